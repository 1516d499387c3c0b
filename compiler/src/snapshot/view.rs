//! The conversation view: a transcript of a conversation's transactions, one short block per turn, for
//! snapshots a reviewer reads in a pull request. A changed prompt is a one-line diff; a variable appears
//! only in the turn that changes it. It is computed from the transactions' JSON, the bytes a consumer
//! sees, so it means the same for every engine. Ids, timestamps and response times are left out (they
//! are redacted by omission); the full JSON is the other snapshot kind (`snapshot: full` in a script).
//!
//! ```text
//! turn 2 · intent ProvideNumber (0.97) "it is 1 2 3 4 5 6 7 8" {number: 12345678}
//!   intent:   ProvideNumber · handled locally, explicitly, by "Ask tracking number"
//!   state:    "Ask tracking number" → "Anything else"
//!   says:     Your parcel 12345678 is on its way.
//!   set:      trackingNumber = "12345678"
//! ```

use std::fmt::Write;

use serde_json::Value;

/// The view of a conversation: one block per transaction, in order.
pub fn render(transactions: &[Value]) -> String {
    let mut out = String::new();
    let mut before: Vec<(String, String)> = Vec::new();
    for (index, tx) in transactions.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        turn(&mut out, index + 1, tx, &mut before);
    }
    out
}

fn turn(out: &mut String, number: usize, tx: &Value, before: &mut Vec<(String, String)>) {
    let _ = writeln!(out, "turn {number} · {}", request(tx.get("request")));
    let intent = |field: &str| tx.pointer(&format!("/intent/{field}"));
    let name = |v: Option<&Value>| quoted(str_at(v, "/name"));
    let handled_by = str_at(intent("handledByState"), "/id");
    let intent_name = str_at(tx.get("intent"), "/name");
    if handled_by.is_empty() {
        line(out, "intent", &format!("{intent_name} · not handled"));
    } else {
        let how = if intent("explicitlyHandled") == Some(&Value::Bool(true)) {
            "explicitly"
        } else {
            "by fallback"
        };
        let handled = format!(
            "{intent_name} · handled {}, {how}, by {}",
            str_at(tx.get("intent"), "/handled"),
            name(intent("handledByState"))
        );
        line(out, "intent", &handled);
    }
    let state = format!(
        "{} → {}",
        name(intent("initialState")),
        name(intent("nextState"))
    );
    line(out, "state", &state);
    response(out, tx.get("response"));
    variables(out, tx.get("variables"), before);
    problems(out, tx, "errors", "_errors", "error");
    problems(out, tx, "warnings", "warnings", "warning");
}

/// What the caller sent, in one line.
fn request(request: Option<&Value>) -> String {
    let Some(request) = request else {
        return "request".into();
    };
    // textchatV2: `event: {type, text}`, context items as `{key: value}`.
    if let Some(event) = request.get("event").and_then(Value::as_object) {
        let kind = event.get("type").and_then(Value::as_str).unwrap_or("?");
        let mut text = match event.get("text").and_then(Value::as_str) {
            Some(said) => format!("{kind} {}", quoted(said)),
            None => kind.to_string(),
        };
        if let Some(items) = request.get("context").and_then(Value::as_array) {
            let pairs: Vec<String> = items
                .iter()
                .map(|i| format!("{}: {}", str_at(Some(i), "/key"), scalar(i.get("value"))))
                .collect();
            if !pairs.is_empty() {
                let _ = write!(text, " {{{}}}", pairs.join(", "));
            }
        }
        return text;
    }
    // phoneV2: an event, digits, or an intent with its text and slots.
    let event = request.get("event").and_then(Value::as_str);
    if event == Some("DTMF") || (event.is_none() && request.get("collectedDtmf").is_some()) {
        return format!("DTMF {}", quoted(str_at(Some(request), "/collectedDtmf")));
    }
    if let Some(event) = event {
        return event.to_string();
    }
    let mut parts = Vec::new();
    if let Some(intent) = request.get("intent") {
        let mut part = format!("intent {}", str_at(Some(intent), "/name"));
        if let Some(confidence) = intent.get("confidence") {
            let _ = write!(part, " ({confidence})");
        }
        parts.push(part);
    }
    if let Some(text) = request.get("text").and_then(Value::as_str) {
        parts.push(quoted(text));
    }
    if let Some(slots) = request.get("slots").and_then(Value::as_array) {
        let pairs: Vec<String> = slots
            .iter()
            .map(|s| {
                let entity = s.get("entity").or_else(|| s.get("name"));
                format!("{}: {}", scalar(entity), scalar(s.get("value")))
            })
            .collect();
        parts.push(format!("{{{}}}", pairs.join(", ")));
    }
    if parts.is_empty() {
        "request".into()
    } else {
        parts.join(" ")
    }
}

/// What the bot answered: its words, a transfer, and whether the conversation ends.
fn response(out: &mut String, response: Option<&Value>) {
    let Some(response) = response else { return };
    if let Some(elements) = response.get("responseElements").and_then(Value::as_array) {
        for element in elements {
            match element.get("type").and_then(Value::as_str) {
                Some("text") => line(out, "says", &str_at(Some(element), "/content")),
                _ => line(out, "shows", &compact(element)),
            }
        }
        if response.get("endConversation") == Some(&Value::Bool(true)) {
            line(out, "ends", "conversation");
        }
        return;
    }
    let prompt = str_at(Some(response), "/prompt");
    if !prompt.is_empty() {
        line(out, "says", &prompt);
    }
    let reprompt = str_at(Some(response), "/reprompt");
    if !reprompt.is_empty() {
        line(out, "reprompt", &reprompt);
    }
    for message in response
        .get("callControlMessages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let mut text = format!(
            "{} {}",
            str_at(Some(message), "/type"),
            str_at(Some(message), "/referTo")
        );
        let headers: Vec<String> = message
            .get("sipHeaders")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|h| {
                format!(
                    "{}: {}",
                    str_at(Some(h), "/name"),
                    str_at(Some(h), "/value")
                )
            })
            .collect();
        if !headers.is_empty() {
            let _ = write!(text, " ({})", headers.join(", "));
        }
        line(out, "control", &text);
    }
    if response.get("continueListening") == Some(&Value::Bool(false)) {
        line(out, "ends", "call");
    }
}

/// The variables whose value differs from the turn before (from `""` on the first turn).
fn variables(out: &mut String, variables: Option<&Value>, before: &mut Vec<(String, String)>) {
    let now: Vec<(String, String)> = variables
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|v| (str_at(Some(v), "/name"), str_at(Some(v), "/value")))
        .collect();
    for (name, value) in &now {
        let old = before
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str());
        if old != value {
            line(out, "set", &format!("{name} = {}", quoted(value)));
        }
    }
    *before = now;
}

/// `meta.errors` / `meta.warnings`: one line per problem, with the step it happened in.
fn problems(out: &mut String, tx: &Value, group: &str, list: &str, label: &str) {
    let steps = tx
        .pointer(&format!("/meta/{group}/affectedSteps"))
        .and_then(Value::as_array);
    for step in steps.into_iter().flatten() {
        let place = quoted(str_at(Some(step), "/stateName"));
        for problem in step
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let text = format!(
                "{} in {place}: {}",
                str_at(Some(problem), "/type"),
                str_at(Some(problem), "/message")
            );
            line(out, label, &text);
        }
    }
}

fn line(out: &mut String, label: &str, text: &str) {
    // One transcript line per fact: line breaks inside a value would make a diff ambiguous.
    let text = text.replace('\n', "\\n");
    let _ = writeln!(out, "  {:<9} {text}", format!("{label}:"));
}

fn str_at(value: Option<&Value>, pointer: &str) -> String {
    match value.and_then(|v| v.pointer(pointer)) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn scalar(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn quoted(text: impl AsRef<str>) -> String {
    let text = text.as_ref();
    format!("{text:?}")
}

fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn phone(prompt: &str, vars: Value) -> Value {
        json!({
            "transactionId": "tx-1", "requestTimestamp": "2024-01-01T00:00:00.000Z", "responseTime": 3,
            "intent": {
                "name": "ProvideNumber",
                "initialState": {"id": "a", "name": "Ask", "dialogName": "main"},
                "handledByState": {"id": "a", "name": "Ask", "dialogName": "main"},
                "handled": "locally", "explicitlyHandled": true,
                "nextState": {"id": "b", "name": "Tell", "dialogName": "main"}
            },
            "meta": {"errors": {"occurrences": 1, "affectedSteps": [
                {"stateName": "Look up", "_errors": [{"type": "ServiceError", "message": "down"}]}]},
                "warnings": {"occurrences": 0, "affectedSteps": []}},
            "variables": vars,
            "request": {"callMeta": {}, "text": "it is 12", "intent": {"name": "ProvideNumber", "confidence": 0.9},
                        "slots": [{"entity": "number", "value": "12"}]},
            "response": {"callControlMessages": [], "continueListening": true, "prompt": prompt, "reprompt": ""}
        })
    }

    #[test]
    fn a_turn_is_a_short_block_without_ids_or_times() {
        let text = render(&[phone(
            "Your parcel 12.",
            json!([{"name": "n", "value": "12"}]),
        )]);
        assert_eq!(
            text,
            "turn 1 · intent ProvideNumber (0.9) \"it is 12\" {number: 12}\n\
             \x20 intent:   ProvideNumber · handled locally, explicitly, by \"Ask\"\n\
             \x20 state:    \"Ask\" → \"Tell\"\n\
             \x20 says:     Your parcel 12.\n\
             \x20 set:      n = \"12\"\n\
             \x20 error:    ServiceError in \"Look up\": down\n"
        );
    }

    #[test]
    fn a_changed_prompt_is_a_one_line_change_and_unchanged_variables_are_not_repeated() {
        let vars = json!([{"name": "n", "value": "12"}, {"name": "m", "value": ""}]);
        let a = render(&[phone("One.", vars.clone()), phone("Two.", vars.clone())]);
        let b = render(&[phone("One.", vars.clone()), phone("Deux.", vars)]);
        let changed = a.lines().zip(b.lines()).filter(|(x, y)| x != y).count();
        assert_eq!(changed, 1, "{a}\n{b}");
        assert_eq!(a.matches("set:").count(), 1, "{a}");
    }
}
