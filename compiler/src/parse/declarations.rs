//! The top-level keys of a flow: its name and settings, variables, intents and services.

use super::reader::Reader;
use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic, Span, closest};
use crate::yaml::{Node, Value};

pub(super) const TOP_KEYS: &[&str] = &[
    "flow",
    "description",
    "release",
    "platforms",
    "language",
    "stt",
    "no_input",
    "variables",
    "intents",
    "services",
    "dialogs",
];
pub(super) const SERVICE_KEYS: &[&str] = &["inputs", "outputs", "branches", "timeout_ms", "http"];
pub(super) const HTTP_KEYS: &[&str] = &["url", "timeout_ms", "retries", "headers"];

impl Reader<'_> {
    /// The whole flow; `None` when it has no `dialogs:` (nothing to analyze).
    pub(super) fn flow(&mut self, root: &Node) -> Option<Flow> {
        let fields = self.fields(root, "the flow", TOP_KEYS)?;
        let name = self
            .require(&fields, "flow", "the flow")
            .and_then(|n| self.identifier(n, "flow"));
        let description = fields
            .get("description")
            .and_then(|n| self.text(n, "`description`"))
            .map(|n| n.text);
        let release = fields
            .get("release")
            .and_then(|n| self.text(n, "`release`"));
        let language = fields
            .get("language")
            .and_then(|n| self.text(n, "`language`"));
        let platforms = match fields.get("platforms") {
            Some(node) => self.platforms(node),
            None => vec![(Platform::Phone, root.span)],
        };
        let stt = fields.get("stt").map(|n| self.stt(n)).unwrap_or_default();
        let no_input = fields.get("no_input").and_then(|node| {
            let f = self.fields(node, "`no_input`", &["reprompts"])?;
            let reprompts = self.require(&f, "reprompts", "`no_input`")?;
            let n = self.number(reprompts, "`no_input.reprompts`")?;
            Some((u32::try_from(n).unwrap_or(u32::MAX), node.span))
        });
        let variables = fields
            .get("variables")
            .map(|n| self.variables(n))
            .unwrap_or_default();
        let intents = fields
            .get("intents")
            .map(|n| self.intents(n))
            .unwrap_or_default();
        let services = fields
            .get("services")
            .map(|n| self.services(n))
            .unwrap_or_default();
        // Without dialogs there is no graph to analyze; the missing key is the one problem to report.
        let dialogs = self
            .require(&fields, "dialogs", "the flow")
            .map(|n| self.dialogs(n))?;
        Some(Flow {
            name: name.unwrap_or(Name {
                text: String::new(),
                span: root.span,
            }),
            description,
            release,
            platforms,
            language,
            stt,
            no_input,
            variables,
            intents,
            services,
            dialogs,
        })
    }

    fn platforms(&mut self, node: &Node) -> Vec<(Platform, Span)> {
        let items: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Scalar(_) => vec![node],
            _ => {
                self.wrong_type(node, "a list of platforms", "`platforms`");
                return Vec::new();
            }
        };
        let mut platforms = Vec::new();
        for item in items {
            let Some(name) = self.text(item, "a platform") else {
                continue;
            };
            match name.text.as_str() {
                "phoneV2" => platforms.push((Platform::Phone, name.span)),
                "textchatV2" => platforms.push((Platform::Chat, name.span)),
                other => {
                    let mut d = Diagnostic::error(
                        Code::UnknownPlatform,
                        name.span,
                        format!("unknown platform `{other}`"),
                    )
                    .with_label("not a platform");
                    d = match closest(other, ["phoneV2", "textchatV2"]) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d.with_help("the platforms are `phoneV2` and `textchatV2`"),
                    };
                    self.report(d);
                }
            }
        }
        platforms
    }

    fn stt(&mut self, node: &Node) -> Stt {
        let mut stt = Stt::default();
        if let Some(f) = self.fields(node, "`stt`", &["type", "id"]) {
            if let Some(kind) = f.get("type").and_then(|n| self.text(n, "`stt.type`")) {
                stt.kind = kind.text;
            }
            if let Some(id) = f.get("id").and_then(|n| self.text(n, "`stt.id`")) {
                stt.id = id.text;
            }
        }
        stt
    }

    fn lifetime(&mut self, node: &Node) -> Option<Lifetime> {
        let name = self.text(node, "a lifetime")?;
        match name.text.as_str() {
            "session" => Some(Lifetime::Session),
            "user" => Some(Lifetime::User),
            other => {
                self.report(
                    Diagnostic::error(
                        Code::WrongType,
                        name.span,
                        format!("unknown lifetime `{other}`"),
                    )
                    .with_label("not a lifetime")
                    .with_help("a variable's lifetime is `session` or `user`"),
                );
                None
            }
        }
    }

    fn variables(&mut self, node: &Node) -> Vec<VariableDecl> {
        let mut out = Vec::new();
        for (key, value) in self.named_entries(node, "variable") {
            let name = self.key_name(key, "variable");
            let (lifetime, default) = match &value.value {
                Value::Null => (Some(Lifetime::Session), String::new()),
                Value::Scalar(_) => (self.lifetime(value), String::new()),
                Value::Map(_) => match self.fields(value, "a variable", &["lifetime", "default"]) {
                    Some(f) => {
                        let lifetime = match f.get("lifetime") {
                            Some(l) => self.lifetime(l),
                            None => Some(Lifetime::Session),
                        };
                        let default = f
                            .get("default")
                            .and_then(|d| self.text(d, "a variable's default"))
                            .map(|d| d.text)
                            .unwrap_or_default();
                        (lifetime, default)
                    }
                    None => (None, String::new()),
                },
                Value::Seq(_) => {
                    self.wrong_type(value, "`session`, `user` or a mapping", "a variable");
                    (None, String::new())
                }
            };
            out.push(VariableDecl {
                name,
                lifetime: lifetime.unwrap_or(Lifetime::Session),
                default,
            });
        }
        out
    }

    fn intents(&mut self, node: &Node) -> Vec<IntentDecl> {
        let mut out = Vec::new();
        for (key, value) in self.named_entries(node, "intent") {
            if !is_intent_name(&key.text) {
                self.report(
                    Diagnostic::error(
                        Code::InvalidName,
                        key.span,
                        format!("`{}` is not a valid intent name", key.text),
                    )
                    .with_help("intent names contain letters, digits, `_`, `.` and `-`"),
                );
            }
            if key.text == END_CONVERSATION_INTENT {
                self.report(
                    Diagnostic::error(
                        Code::DuplicateName,
                        key.span,
                        "`PARLOA.EndConversation` is built in",
                    )
                    .with_label("declared here")
                    .with_help("remove it from `intents:`; handle it in the global block's `on:`"),
                );
            }
            let utterances = match &value.value {
                Value::Null => Vec::new(),
                Value::Seq(items) => items
                    .iter()
                    .filter_map(|i| self.text(i, "an utterance"))
                    .map(|n| n.text)
                    .collect(),
                _ => {
                    self.wrong_type(value, "a list of sample utterances", "an intent");
                    Vec::new()
                }
            };
            out.push(IntentDecl {
                name: Name {
                    text: key.text.clone(),
                    span: key.span,
                },
                utterances,
            });
        }
        out
    }

    fn services(&mut self, node: &Node) -> Vec<ServiceDecl> {
        let mut out = Vec::new();
        for (key, value) in self.named_entries(node, "service") {
            let name = self.key_name(key, "service");
            let Some(f) = self.fields(value, "a service", SERVICE_KEYS) else {
                continue;
            };
            let inputs = f
                .get("inputs")
                .map(|n| self.names(n, "input"))
                .unwrap_or_default();
            let outputs = f
                .get("outputs")
                .map(|n| self.names(n, "output"))
                .unwrap_or_default();
            let branches = self
                .require(&f, "branches", "a service")
                .map(|n| self.names(n, "branch"))
                .unwrap_or_default();
            for (i, branch) in branches.iter().enumerate() {
                if branch.text == "error" {
                    self.report(
                        Diagnostic::error(
                            Code::DuplicateName,
                            branch.span,
                            "the `error` branch is implicit",
                        )
                        .with_help("remove `error` from `branches:`; every service can fail"),
                    );
                } else if let Some(first) = branches[..i].iter().find(|b| b.text == branch.text) {
                    self.report(
                        Diagnostic::error(
                            Code::DuplicateName,
                            branch.span,
                            format!("branch `{}` is listed twice", branch.text),
                        )
                        .with_related(first.span, "first listed here")
                        .with_help("list each branch once"),
                    );
                }
            }
            let timeout_ms = f
                .get("timeout_ms")
                .and_then(|n| self.number(n, "`timeout_ms`"));
            let http = f.get("http").and_then(|n| self.http(n));
            if let Some(spec) = &http {
                let limit = spec
                    .timeout_ms
                    .or(timeout_ms)
                    .unwrap_or(DEFAULT_HTTP_TIMEOUT_MS);
                if limit > MAX_HTTP_TIMEOUT_MS {
                    let span = f.get("http").map(|n| n.span).unwrap_or(name.span);
                    self.report(
                        Diagnostic::error(
                            Code::WrongType,
                            span,
                            format!("a timeout of {limit} ms is too long"),
                        )
                        .with_label("over the limit")
                        .with_help(format!(
                            "HTTP services may wait at most {MAX_HTTP_TIMEOUT_MS} ms"
                        )),
                    );
                }
            }
            out.push(ServiceDecl {
                name,
                inputs,
                outputs,
                branches,
                timeout_ms,
                http,
            });
        }
        out
    }

    fn http(&mut self, node: &Node) -> Option<HttpSpec> {
        let f = self.fields(node, "`http`", HTTP_KEYS)?;
        let url = self
            .require(&f, "url", "`http`")
            .and_then(|n| self.text(n, "`url`"))?;
        if !(url.text.starts_with("http://") || url.text.starts_with("https://"))
            || url.text.contains(char::is_whitespace)
        {
            self.report(
                Diagnostic::error(
                    Code::WrongType,
                    url.span,
                    format!("`{}` is not an HTTP URL", url.text),
                )
                .with_label("not http:// or https://")
                .with_help("write the endpoint as `https://host/path`"),
            );
        }
        let timeout_ms = f
            .get("timeout_ms")
            .and_then(|n| self.number(n, "`timeout_ms`"));
        let retries = f
            .get("retries")
            .and_then(|n| self.number(n, "`retries`"))
            .map(|r| u32::try_from(r.min(10)).unwrap_or(10));
        let mut headers = Vec::new();
        if let Some(node) = f.get("headers") {
            for (key, value) in self.named_entries(node, "HTTP header") {
                if let Some(value) = self.text(value, "an HTTP header value") {
                    headers.push((
                        Name {
                            text: key.text.clone(),
                            span: key.span,
                        },
                        value,
                    ));
                }
            }
        }
        Some(HttpSpec {
            url,
            timeout_ms,
            retries,
            headers,
        })
    }
}

fn is_intent_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}
