//! The phone conversations the benchmark plays, shared with the tests that check what it measures (the
//! allocation test, the engine-only flow) so that both look at the very same turns.

use flowc_runtime::{CallMeta, IntentGuess, PhoneEvent, PhoneRequest, Slot, Slots};

/// The call every benchmark request belongs to.
pub fn call_meta() -> CallMeta {
    CallMeta {
        instance_id: Some("bench".into()),
        call_id: Some("call-1".into()),
        caller_id: Some("+4915100000001".into()),
        session_id: Some("call-1".into()),
        customer_id: Some("bench".into()),
        production: Some(false),
        is_privacy_enabled: Some(false),
        ..CallMeta::default()
    }
}

/// The caller says `intent` (its lowercase name as the text), with `slots`.
pub fn said(intent: &str, slots: &[(&str, &str)]) -> PhoneRequest {
    let mut r = PhoneRequest::event(call_meta(), PhoneEvent::Welcome);
    r.event = None;
    r.text = Some(intent.to_lowercase());
    r.intent = Some(IntentGuess::named(intent));
    if !slots.is_empty() {
        r.slots = Some(Slots::List(
            slots.iter().map(|(k, v)| Slot::new(*k, *v)).collect(),
        ));
    }
    r
}

/// Requests that open a call of `flow` (`dispatch_heavy` or `parcel_tracking`), and a cycle of requests
/// that keeps it going forever. The switchboard's cycle routes topics to sales, support and the billing
/// subdialog and confirms inside it; the parcel cycle gives a number (a service call) and affirms.
pub fn conversation(flow: &str) -> (Vec<PhoneRequest>, Vec<PhoneRequest>) {
    let welcome = PhoneRequest::event(call_meta(), PhoneEvent::Welcome);
    match flow {
        "dispatch_heavy" => (
            vec![welcome],
            [
                "Topic05", "Topic25", "Topic45", "Confirm", "Topic12", "Topic38", "Topic59",
                "Topic01", "Topic33",
            ]
            .iter()
            .map(|i| said(i, &[]))
            .collect(),
        ),
        _ => (
            vec![welcome, said("TrackParcel", &[])],
            vec![
                said("ProvideNumber", &[("number", "12345678")]),
                said("Affirm", &[]),
            ],
        ),
    }
}
