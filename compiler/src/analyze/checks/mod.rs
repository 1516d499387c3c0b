//! Checks of declarations and of each block against the name tables.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

mod branches;

use super::symbols::{BlockRef, Symbols};
use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic, Span, closest};
use crate::expr::{Expr, Template};
use flowc_runtime::__private::pattern::Pattern;

pub(super) fn run(flow: &Flow, symbols: &Symbols<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let mut checker = Checker {
        flow,
        symbols,
        diagnostics,
        handled_intents: HashSet::new(),
        state_ids: HashMap::new(),
        has_phone: flow.platforms.iter().any(|(p, _)| *p == Platform::Phone),
    };
    checker.declarations();
    for (d, dialog) in flow.dialogs.iter().enumerate() {
        checker.dialog(d, dialog);
        for (b, block) in dialog.blocks.iter().enumerate() {
            checker.block(
                BlockRef {
                    dialog: d,
                    block: b,
                },
                block,
            );
        }
    }
    checker.unused_intents();
}

struct Checker<'a, 'f> {
    flow: &'f Flow,
    symbols: &'a Symbols<'f>,
    diagnostics: &'a mut Vec<Diagnostic>,
    handled_intents: HashSet<&'f str>,
    state_ids: HashMap<&'f str, Span>,
    has_phone: bool,
}

impl<'f> Checker<'_, 'f> {
    fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    fn declarations(&mut self) {
        let flow = self.flow;
        for service in &flow.services {
            for (role, names) in [("input", &service.inputs), ("output", &service.outputs)] {
                for name in names {
                    if !self.symbols.variables.contains_key(name.as_str()) {
                        let help = self.variable_help(&name.text);
                        self.report(
                            Diagnostic::error(
                                Code::ServiceVariable,
                                name.span,
                                format!(
                                    "{role} `{}` of service `{}` is not a declared variable",
                                    name.text, service.name.text
                                ),
                            )
                            .with_label("not a variable")
                            .with_help(help),
                        );
                    }
                }
            }
        }
        if let Some((_, span)) = flow.no_input
            && !self.has_phone
        {
            self.phone_only(span, "`no_input`");
        }
        if flow.platforms.is_empty()
            && !self
                .diagnostics
                .iter()
                .any(|d| d.code == Code::UnknownPlatform)
        {
            self.report(
                Diagnostic::error(
                    Code::WrongType,
                    flow.name.span,
                    "the flow runs on no platform",
                )
                .with_help("list at least one of `phoneV2`, `textchatV2` under `platforms:`"),
            );
        }
    }

    fn variable_help(&self, name: &str) -> String {
        match closest(name, self.flow.variables.iter().map(|v| v.name.as_str())) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("declare it under `variables:`, e.g. `{name}: session`"),
        }
    }

    fn phone_only(&mut self, span: Span, what: &str) {
        self.report(
            Diagnostic::error(
                Code::PhoneOnly,
                span,
                format!("{what} only works on the phone, and this flow has no `phoneV2` platform"),
            )
            .with_label("phone only")
            .with_help("add `phoneV2` to `platforms:` or remove it"),
        );
    }

    fn dialog(&mut self, d: usize, dialog: &'f Dialog) {
        if dialog.is_main() {
            if let Some(entry) = &dialog.entry {
                self.report(
                    Diagnostic::error(
                        Code::WrongType,
                        entry.span,
                        "the main dialog has no `entry`",
                    )
                    .with_help("the main dialog begins at its `start:` block; remove `entry:`"),
                );
            }
            return;
        }
        match &dialog.entry {
            None => self.report(
                Diagnostic::error(
                    Code::SubdialogEntry,
                    dialog.name.span,
                    format!("subdialog `{}` has no `entry`", dialog.name.text),
                )
                .with_label("where does it begin?")
                .with_help("add `entry: <block>` naming the subdialog's first block"),
            ),
            Some(entry) => {
                if self.symbols.lookup(d, entry.as_str()).is_none() {
                    let help =
                        match closest(&entry.text, dialog.blocks.iter().map(|b| b.name.as_str())) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => "name one of the subdialog's blocks".to_string(),
                        };
                    self.report(
                        Diagnostic::error(
                            Code::SubdialogEntry,
                            entry.span,
                            format!(
                                "entry `{}` is not a block of subdialog `{}`",
                                entry.text, dialog.name.text
                            ),
                        )
                        .with_label("unknown block")
                        .with_help(help),
                    );
                }
            }
        }
    }

    fn block(&mut self, at: BlockRef, block: &'f Block) {
        let d = at.dialog;
        match &block.kind {
            BlockKind::Start(body) | BlockKind::State(body) => self.state(d, block, body),
            BlockKind::Global(body) => self.global(d, body),
            BlockKind::End { say } | BlockKind::Back { say } => {
                if let Some(t) = say {
                    self.template(t);
                }
            }
            BlockKind::Service { service, on } => self.service(d, block, service, on),
            BlockKind::Condition { arms, otherwise } => {
                for arm in arms {
                    self.expression(&arm.when);
                    self.target(d, &arm.goto);
                }
                match otherwise {
                    Some(t) => self.target(d, t),
                    None => self.report(
                        Diagnostic::error(
                            Code::ConditionWithoutElse,
                            block.kind_span,
                            format!("condition `{}` has no `else`", block.name.text),
                        )
                        .with_label("what if nothing holds?")
                        .with_help("end the list with `- else: <block>`"),
                    ),
                }
            }
            BlockKind::Set { assignments, goto } => {
                self.assignments(assignments);
                match goto {
                    Some(t) => self.target(d, t),
                    None => self.report(
                        Diagnostic::error(
                            Code::DeadEnd,
                            block.name.span,
                            format!("set block `{}` has no way on", block.name.text),
                        )
                        .with_label("no `goto`")
                        .with_help("add `goto: <block>` beside `set:`"),
                    ),
                }
            }
            BlockKind::Call { dialog, on } => self.call(d, block, dialog, on),
            BlockKind::Exit { .. } => {
                if self.flow.dialogs[d].is_main() {
                    self.report(
                        Diagnostic::error(
                            Code::ExitOutsideSubdialog,
                            block.kind_span,
                            "`exit` in the main dialog",
                        )
                        .with_label("nothing to return to")
                        .with_help(
                            "only a subdialog can exit; end the conversation with an `end` block",
                        ),
                    );
                }
            }
            BlockKind::Transfer {
                say,
                refer_to,
                headers,
            } => {
                if !self.has_phone {
                    self.phone_only(block.kind_span, "a transfer");
                }
                for t in say
                    .iter()
                    .chain(std::iter::once(refer_to))
                    .chain(headers.iter().map(|(_, v)| v))
                {
                    self.template(t);
                }
            }
            BlockKind::Note { .. } => {}
        }
    }

    fn state(&mut self, d: usize, block: &'f Block, body: &'f StateBody) {
        if let Some(id) = &body.id {
            if id.text.is_empty() || id.text == "STATE.base" || id.text == "STATE.global" {
                self.report(
                    Diagnostic::error(Code::DuplicateStateId, id.span, format!("state id `{}` is reserved", id.text))
                        .with_help("`STATE.base` and `STATE.global` belong to the start and global blocks; choose another id"),
                );
            } else if let Some(&first) = self.state_ids.get(id.as_str()) {
                self.report(
                    Diagnostic::error(
                        Code::DuplicateStateId,
                        id.span,
                        format!("state id `{}` is used twice", id.text),
                    )
                    .with_label("second use")
                    .with_related(first, "first used here")
                    .with_help("state ids identify states in analytics; give each state its own"),
                );
            } else {
                self.state_ids.insert(id.as_str(), id.span);
            }
        }
        for t in body.prompts.iter().chain(body.reprompt.iter()) {
            self.template(t);
        }
        let global = self.symbols.global_body(self.flow);
        for handler in &body.on {
            if handler.intent.text == END_CONVERSATION_INTENT {
                self.report(
                    Diagnostic::error(
                        Code::EndingOutsideGlobal,
                        handler.intent.span,
                        "`PARLOA.EndConversation` is handled in a state",
                    )
                    .with_label("the caller is gone; no state can handle this")
                    .with_help("handle the custom ending actions in the global block's `on:`"),
                );
                continue;
            }
            self.intent(&handler.intent);
            if let Some(shadowed) =
                global.and_then(|g| g.on.iter().find(|h| h.intent.text == handler.intent.text))
            {
                self.report(
                    Diagnostic::new(
                        Code::ShadowsGlobal,
                        handler.intent.span,
                        format!(
                            "state `{}` handles `{}` locally, so the global handler never fires here",
                            block.name.text, handler.intent.text
                        ),
                    )
                    .with_label("local handler")
                    .with_related(shadowed.intent.span, "global handler")
                    .with_help("remove one of the two, or rename the intent if both are meant"),
                );
            }
            self.action(d, &handler.action);
        }
        if let Some(a) = &body.otherwise {
            self.action(d, a);
        }
        if !body.dtmf.is_empty() && !self.has_phone {
            self.phone_only(body.dtmf[0].pattern.span, "`dtmf`");
        }
        for dtmf in &body.dtmf {
            self.pattern(&dtmf.pattern.text, dtmf.pattern.span);
            self.action(d, &dtmf.action);
        }
        let global_ways = global.is_some_and(|g| {
            g.otherwise.is_some()
                || g.on
                    .iter()
                    .any(|h| h.intent.text != END_CONVERSATION_INTENT)
        });
        if body.on.is_empty() && body.otherwise.is_none() && body.dtmf.is_empty() && !global_ways {
            self.report(
                Diagnostic::error(
                    Code::DeadEnd,
                    block.name.span,
                    format!("state `{}` has no way on", block.name.text),
                )
                .with_label("the caller can never leave this state")
                .with_help("add `on:` handlers or `else:`, or global handlers"),
            );
        }
    }

    fn global(&mut self, d: usize, body: &'f GlobalBody) {
        for handler in &body.on {
            if handler.intent.text != END_CONVERSATION_INTENT {
                self.intent(&handler.intent);
            }
            self.action(d, &handler.action);
        }
        if let Some(a) = &body.otherwise {
            self.action(d, a);
        }
        if let Some(t) = &body.on_error {
            self.target(d, t);
        }
    }

    fn intent(&mut self, intent: &'f Name) {
        self.handled_intents.insert(intent.as_str());
        if !self.symbols.intents.contains_key(intent.as_str()) {
            let help = match closest(
                &intent.text,
                self.flow.intents.iter().map(|i| i.name.as_str()),
            ) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "declare it under `intents:`, e.g. `{}: [\"…\"]`",
                    intent.text
                ),
            };
            self.report(
                Diagnostic::error(
                    Code::UndeclaredIntent,
                    intent.span,
                    format!("intent `{}` is not declared", intent.text),
                )
                .with_label("unknown intent")
                .with_help(help),
            );
        }
    }

    fn unused_intents(&mut self) {
        for intent in &self.flow.intents {
            if !self.handled_intents.contains(intent.name.as_str())
                && intent.name.text != END_CONVERSATION_INTENT
            {
                self.report(
                    Diagnostic::new(
                        Code::UnusedIntent,
                        intent.name.span,
                        format!("intent `{}` is never handled", intent.name.text),
                    )
                    .with_label("declared here")
                    .with_help("handle it in a state's or the global block's `on:`, or remove it"),
                );
            }
        }
    }

    fn action(&mut self, d: usize, action: &Action) {
        if let Some(t) = &action.say {
            self.template(t);
        }
        self.assignments(&action.set);
        if let Some(t) = &action.goto {
            self.target(d, t);
        }
    }

    fn target(&mut self, d: usize, target: &Name) {
        self.symbols.resolve(self.flow, d, target, self.diagnostics);
    }

    fn assignments(&mut self, assignments: &[Assignment]) {
        for a in assignments {
            if !self.symbols.variables.contains_key(a.variable.as_str()) {
                let help = self.variable_help(&a.variable.text);
                self.report(
                    Diagnostic::error(
                        Code::SetUndeclared,
                        a.variable.span,
                        format!("`{}` is not a declared variable", a.variable.text),
                    )
                    .with_label("cannot be set")
                    .with_help(help),
                );
            }
            self.template(&a.value);
        }
    }

    fn template(&mut self, template: &Template) {
        let mut unknown = Vec::new();
        template.for_each_variable(&mut |name, span| {
            if !self.symbols.variables.contains_key(name) {
                unknown.push((name.to_string(), span));
            }
        });
        self.undefined(unknown);
        for part in &template.parts {
            if let crate::expr::TemplatePart::Expr(e) = part {
                self.patterns_of(e);
            }
        }
    }

    fn expression(&mut self, expr: &Expr) {
        let mut unknown = Vec::new();
        expr.for_each_variable(&mut |name, span| {
            if !self.symbols.variables.contains_key(name) {
                unknown.push((name.to_string(), span));
            }
        });
        self.undefined(unknown);
        self.patterns_of(expr);
    }

    fn patterns_of(&mut self, expr: &Expr) {
        let mut found = Vec::new();
        expr.for_each_pattern(&mut |p, span| found.push((p.to_string(), span)));
        for (p, span) in found {
            self.pattern(&p, span);
        }
    }

    fn undefined(&mut self, names: Vec<(String, Span)>) {
        for (name, span) in names {
            let help = self.variable_help(&name);
            self.report(
                Diagnostic::error(
                    Code::UndefinedVariable,
                    span,
                    format!("variable `{name}` is not declared"),
                )
                .with_label("undefined")
                .with_help(help),
            );
        }
    }

    fn pattern(&mut self, pattern: &str, span: Span) {
        if let Err(e) = Pattern::parse(pattern) {
            self.report(
                Diagnostic::error(Code::InvalidDtmfPattern, span, format!("invalid pattern `{pattern}`: {e}"))
                    .with_label("does not parse")
                    .with_help("patterns use digits, `.`, classes like `[0-9]`, groups `(a|b)` and `* + ? {n,m}`"),
            );
        }
    }
}
