//! The request fields a turn does not read, reported by `flowc run --requests` once per JSON path, so that a
//! slot put inside `intent` or a misspelt key does not go unnoticed. docs/requests.md describes the fields.
//!
//! The tables below mirror what the runtime reads (`runtime/src/phone/`, `runtime/src/chat.rs`,
//! `Engine::play_phone` and `play_chat`); the tests of `flowc-cli` send every field they list.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::run::PlatformArg;

/// Why a field is not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// Not a field of the platform's request as flowc knows it.
    Unknown {
        /// Where the field probably belongs, when it is a known mistake.
        hint: Option<&'static str>,
    },
    /// A documented field the turn does not read (the transaction's request still carries it).
    EchoedOnly,
    /// A field this request carries in vain (`intent` on an event turn, `text` next to an `intent`).
    NotOnThisTurn(&'static str),
}

/// One ignored field: its JSON path (`intent.slots`, `slots[].processors`) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    /// The field's path.
    pub path: String,
    /// Why the turn does not read it.
    pub why: Why,
}

/// Remembers the paths already reported, so each is reported once per run.
#[derive(Debug, Default)]
pub struct IgnoredFields {
    reported: BTreeSet<String>,
}

const PHONE: &[&str] = &[
    "callMeta",
    "event",
    "text",
    "intent",
    "intentRanking",
    "slots",
    "collectedDtmf",
];
const CALL_META_READ: &[&str] = &["callId", "callerId", "sessionId", "isPrivacyEnabled"];
const CALL_META_ECHOED: &[&str] = &["instanceId", "customerId", "production"];
const GUESS_READ: &[&str] = &["name"];
const GUESS_ECHOED: &[&str] = &["id", "confidence"];
const SLOT: &[&str] = &["entity", "value", "name"];
const CHAT: &[&str] = &["apiVersion", "requesterId", "sessionId", "context", "event"];
const CHAT_EVENT: &[&str] = &["type", "text"];
const CONTEXT_ITEM: &[&str] = &["key", "value"];

impl IgnoredFields {
    /// The fields of one request line the turn does not read and that were not reported before. A line that
    /// is not a JSON object yields nothing: the engine reports it.
    pub fn check(&mut self, platform: PlatformArg, line: &str) -> Vec<Ignored> {
        let Ok(Value::Object(request)) = serde_json::from_str::<Value>(line) else {
            return Vec::new();
        };
        let mut found = Vec::new();
        match platform {
            PlatformArg::Phone => phone(&request, &mut found),
            PlatformArg::Chat => chat(&request, &mut found),
        }
        found.retain(|i| self.reported.insert(i.path.clone()));
        found
    }
}

fn unknown(path: String, hint: Option<&'static str>, out: &mut Vec<Ignored>) {
    out.push(Ignored {
        path,
        why: Why::Unknown { hint },
    });
}

/// Reports the keys of `object` outside `read` and `echoed`, under `prefix`.
fn keys(
    object: &Map<String, Value>,
    prefix: &str,
    read: &[&str],
    echoed: &[&str],
    hint: &dyn Fn(&str) -> Option<&'static str>,
    out: &mut Vec<Ignored>,
) {
    for key in object.keys() {
        let path = format!("{prefix}{key}");
        if echoed.contains(&key.as_str()) {
            out.push(Ignored {
                path,
                why: Why::EchoedOnly,
            });
        } else if !read.contains(&key.as_str()) {
            unknown(path, hint(key), out);
        }
    }
}

fn phone(request: &Map<String, Value>, out: &mut Vec<Ignored>) {
    keys(
        request,
        "",
        PHONE,
        &[],
        &|key| match key {
            "callerId" | "callId" | "sessionId" | "isPrivacyEnabled" => {
                Some("call data goes inside `callMeta`")
            }
            "dtmf" | "digits" => Some("keypad digits go in `collectedDtmf`, with `event: DTMF`"),
            _ => None,
        },
        out,
    );
    if let Some(Value::Object(meta)) = request.get("callMeta") {
        keys(
            meta,
            "callMeta.",
            CALL_META_READ,
            CALL_META_ECHOED,
            &|_| None,
            out,
        );
    }
    let event = request.get("event").and_then(Value::as_str);
    let has_intent = request.get("intent").is_some_and(|i| !i.is_null());
    if let Some(event) = event {
        if has_intent {
            out.push(Ignored {
                path: "intent".into(),
                why: Why::NotOnThisTurn(match event {
                    "DTMF" => "a DTMF turn is decided by `collectedDtmf`",
                    _ => "an event turn (WELCOME, HANGUP, NO_INPUT, DTMF) does not read the intent",
                }),
            });
        }
    } else if has_intent && request.get("text").is_some_and(|t| !t.is_null()) {
        out.push(Ignored {
            path: "text".into(),
            why: Why::NotOnThisTurn(
                "text is matched to an intent only when the request has no `intent`",
            ),
        });
    }
    if let Some(Value::Object(intent)) = request.get("intent") {
        keys(
            intent,
            "intent.",
            GUESS_READ,
            GUESS_ECHOED,
            &|key| match key {
                "slots" | "entities" => Some(
                    "slots go in the request's top-level `slots`: [{\"entity\": …, \"value\": …}]",
                ),
                _ => None,
            },
            out,
        );
    }
    if request.get("intentRanking").is_some() {
        out.push(Ignored {
            path: "intentRanking".into(),
            why: Why::EchoedOnly,
        });
    }
    // The map form of `slots` takes any entity names; only the list form has fields of its own.
    if let Some(Value::Array(slots)) = request.get("slots") {
        for slot in slots {
            if let Value::Object(slot) = slot {
                keys(slot, "slots[].", SLOT, &[], &|_| None, out);
            }
        }
    }
}

fn chat(request: &Map<String, Value>, out: &mut Vec<Ignored>) {
    keys(
        request,
        "",
        CHAT,
        &[],
        &|key| match key {
            "slots" => Some(
                "chat requests carry no slots: send `context: [{\"key\": …, \"value\": …}]`, read as `slots.KEY`",
            ),
            "text" | "message" => {
                Some("a message is `event: {\"type\": \"message\", \"text\": …}`")
            }
            _ => None,
        },
        out,
    );
    if let Some(Value::Object(event)) = request.get("event") {
        keys(event, "event.", CHAT_EVENT, &[], &|_| None, out);
    }
    if let Some(Value::Array(items)) = request.get("context") {
        for item in items {
            if let Value::Object(item) = item {
                keys(item, "context[].", CONTEXT_ITEM, &[], &|_| None, out);
            }
        }
    }
}

/// The line `flowc run --requests` prints for an ignored field of request line `number` of `source`.
pub fn describe(source: &str, number: usize, ignored: &Ignored, platform: PlatformArg) -> String {
    let path = &ignored.path;
    let place = format!("{source}:{number}");
    match &ignored.why {
        Why::Unknown { hint } => {
            let kept = match platform {
                PlatformArg::Phone => "kept in the transaction's request",
                PlatformArg::Chat => "dropped",
            };
            let hint = hint.map(|h| format!("; {h}")).unwrap_or_default();
            format!(
                "warning: {place}: `{path}` is not a field of the request; the turn ignores it ({kept}){hint}"
            )
        }
        Why::EchoedOnly => format!(
            "note: {place}: `{path}` is not read by the turn (only echoed in the transaction's request)"
        ),
        Why::NotOnThisTurn(why) => {
            format!("note: {place}: `{path}` is not read by this turn: {why}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(platform: PlatformArg, line: &str) -> Vec<String> {
        IgnoredFields::default()
            .check(platform, line)
            .into_iter()
            .map(|i| i.path)
            .collect()
    }

    #[test]
    fn every_field_the_turn_reads_passes_quietly() {
        let phone = r#"{"callMeta":{"callId":"c","callerId":"+49","sessionId":"s","isPrivacyEnabled":false},
            "text":"hi","slots":[{"entity":"a","value":"1"},{"name":"b","value":"2"}],"collectedDtmf":"12"}"#;
        assert!(paths(PlatformArg::Phone, phone).is_empty());
        let intent = r#"{"callMeta":{"sessionId":"s"},"intent":{"name":"A"},"slots":{"x":"1"}}"#;
        assert!(paths(PlatformArg::Phone, intent).is_empty());
        let chat = r#"{"apiVersion":"chat/v1","requesterId":"u","sessionId":"s",
            "context":[{"key":"k","value":1}],"event":{"type":"message","text":"hi"}}"#;
        assert!(paths(PlatformArg::Chat, chat).is_empty());
    }

    #[test]
    fn slots_inside_intent_and_unknown_keys_are_found_once() {
        let line = r#"{"callMeta":{"sessionId":"s","tenant":"t"},"intent":{"name":"A","slots":[{"entity":"x","value":"1"}]},
            "slots":[{"entity":"y","value":"2","processors":[]}],"errorMessage":"e"}"#;
        let mut fields = IgnoredFields::default();
        let first: Vec<String> = fields
            .check(PlatformArg::Phone, line)
            .into_iter()
            .map(|i| i.path)
            .collect();
        assert_eq!(
            first,
            [
                "errorMessage",
                "callMeta.tenant",
                "intent.slots",
                "slots[].processors"
            ]
        );
        assert!(fields.check(PlatformArg::Phone, line).is_empty());
    }

    #[test]
    fn echoed_fields_and_fields_this_turn_does_not_read() {
        let line = r#"{"callMeta":{"sessionId":"s","instanceId":"i"},"event":"WELCOME","intent":{"id":1,"name":"A","confidence":0.9},
            "intentRanking":[]}"#;
        assert_eq!(
            paths(PlatformArg::Phone, line),
            [
                "callMeta.instanceId",
                "intent",
                "intent.id",
                "intent.confidence",
                "intentRanking"
            ]
        );
        let line = r#"{"callMeta":{"sessionId":"s"},"text":"hi","intent":{"name":"A"}}"#;
        assert_eq!(paths(PlatformArg::Phone, line), ["text"]);
        let chat = r#"{"apiVersion":"chat/v1","requesterId":"u","sessionId":"s","slots":{},"event":{"type":"launch","lang":"de"}}"#;
        assert_eq!(paths(PlatformArg::Chat, chat), ["slots", "event.lang"]);
        assert!(paths(PlatformArg::Phone, "not json").is_empty());
        assert!(paths(PlatformArg::Phone, "[1]").is_empty());
    }
}
