//! phoneV2 request and response wire format.

use flowc_runtime::{
    CallControlMessage, CallMeta, IntentGuess, PhoneEvent, PhoneRequest, PhoneResponse, SipHeader,
    Slot, Slots,
};

fn meta() -> CallMeta {
    CallMeta {
        call_id: Some("c1".into()),
        ..CallMeta::default()
    }
}

#[test]
fn end_talk_is_written_only_when_true() {
    let mut resp = PhoneResponse {
        call_meta: meta(),
        ..PhoneResponse::default()
    };
    let json = serde_json::to_string(&resp).expect("serializes");
    assert_eq!(
        json,
        r#"{"callControlMessages":[],"continueListening":false,"prompt":"","reprompt":"","callMeta":{"callId":"c1"}}"#
    );
    resp.end_talk = true;
    let json = serde_json::to_string(&resp).expect("serializes");
    assert!(
        json.ends_with(r#""callMeta":{"callId":"c1"},"endTalk":true}"#),
        "{json}"
    );
}

#[test]
fn sip_refer_shape() {
    let resp = PhoneResponse {
        call_control_messages: vec![CallControlMessage::SipRefer {
            refer_to: "sip:agents@pbx.example".into(),
            sip_headers: vec![SipHeader {
                name: "User-to-User".into(),
                value: "12345678".into(),
            }],
        }],
        prompt: "Connecting you.".into(),
        call_meta: meta(),
        ..PhoneResponse::default()
    };
    let json = serde_json::to_string(&resp).expect("serializes");
    assert!(json.starts_with(
        r#"{"callControlMessages":[{"type":"SIP_REFER","referTo":"sip:agents@pbx.example","sipHeaders":[{"name":"User-to-User","value":"12345678"}]}],"#
    ), "{json}");
    let back: PhoneResponse = serde_json::from_str(&json).expect("parses");
    assert_eq!(back, resp);
}

#[test]
fn unknown_event_is_a_clear_error() {
    let err = serde_json::from_str::<PhoneRequest>(r#"{"callMeta":{},"event":"RING"}"#)
        .expect_err("must fail");
    let msg = err.to_string();
    assert!(
        msg.contains(
            "unknown variant `RING`, expected one of `WELCOME`, `HANGUP`, `DTMF`, `NO_INPUT`"
        ),
        "{msg}"
    );
}

#[test]
fn missing_call_meta_is_a_clear_error() {
    let err =
        serde_json::from_str::<PhoneRequest>(r#"{"event":"WELCOME"}"#).expect_err("must fail");
    assert!(
        err.to_string().contains("missing field `callMeta`"),
        "{err}"
    );
    // Garbage never panics.
    for input in [
        "",
        "null",
        "[]",
        "{",
        r#"{"callMeta":5}"#,
        r#"{"callMeta":{},"slots":7}"#,
    ] {
        assert!(
            serde_json::from_str::<PhoneRequest>(input).is_err(),
            "{input}"
        );
    }
}

#[test]
fn every_event_parses() {
    for (name, event) in [
        ("WELCOME", PhoneEvent::Welcome),
        ("HANGUP", PhoneEvent::Hangup),
        ("DTMF", PhoneEvent::Dtmf),
        ("NO_INPUT", PhoneEvent::NoInput),
    ] {
        let req: PhoneRequest =
            serde_json::from_str(&format!(r#"{{"callMeta":{{}},"event":"{name}"}}"#))
                .expect("parses");
        assert_eq!(req.event, Some(event));
        assert_eq!(event.to_string(), name);
    }
}

#[test]
fn request_serializes_in_documented_order() {
    let req = PhoneRequest {
        call_meta: meta(),
        event: Some(PhoneEvent::Dtmf),
        text: Some("one two".into()),
        intent: Some(IntentGuess::named("ProvideNumber")),
        intent_ranking: Some(vec![IntentGuess::named("ProvideNumber")]),
        slots: Some(Slots::List(vec![Slot::new("number", "12")])),
        collected_dtmf: Some("12".into()),
    };
    let json = serde_json::to_string(&req).expect("serializes");
    assert_eq!(
        json,
        r#"{"callMeta":{"callId":"c1"},"event":"DTMF","text":"one two","intent":{"name":"ProvideNumber"},"intentRanking":[{"name":"ProvideNumber"}],"slots":[{"name":"number","value":"12"}],"collectedDtmf":"12"}"#
    );
}

#[test]
fn call_meta_keeps_reference_order_whatever_the_input_order() {
    let input = r#"{"isPrivacyEnabled":true,"production":true,"customerId":"cu","sessionId":"s","callerId":"+49","callId":"c","instanceId":"i"}"#;
    let meta: CallMeta = serde_json::from_str(input).expect("parses");
    assert!(meta.privacy_enabled());
    assert_eq!(
        serde_json::to_string(&meta).expect("serializes"),
        r#"{"instanceId":"i","callId":"c","callerId":"+49","sessionId":"s","customerId":"cu","production":true,"isPrivacyEnabled":true}"#
    );
}

#[test]
fn slots_array_form_round_trips_with_extra_keys() {
    let input = r#"{"callMeta":{},"slots":[{"name":"number","value":"123","entity":"num"},{"name":"n","value":4}]}"#;
    let req: PhoneRequest = serde_json::from_str(input).expect("parses");
    let slots = req.slots.as_ref().expect("slots present");
    assert_eq!(slots.text("number").as_deref(), Some("123"));
    assert_eq!(slots.text("n").as_deref(), Some("4"));
    assert_eq!(slots.text("missing"), None);
    assert_eq!(serde_json::to_string(&req).expect("serializes"), input);
}

#[test]
fn slots_map_form_round_trips_in_input_order() {
    let input = r#"{"callMeta":{},"slots":{"zip":"10115","city":"Berlin","count":2}}"#;
    let req: PhoneRequest = serde_json::from_str(input).expect("parses");
    let slots = req.slots.as_ref().expect("slots present");
    assert!(matches!(slots, Slots::Map(_)));
    assert_eq!(slots.len(), 3);
    assert_eq!(slots.text("city").as_deref(), Some("Berlin"));
    assert_eq!(serde_json::to_string(&req).expect("serializes"), input);
}

#[test]
fn intent_ids_keep_their_value() {
    let input = r#"{"callMeta":{},"intent":{"id":-4300620255518597600,"name":"Nein","confidence":0.999983549118042},"intentRanking":[{"id":4711706624519692000,"name":"A"},{"id":"abc","name":"B"}]}"#;
    let req: PhoneRequest = serde_json::from_str(input).expect("parses");
    assert_eq!(serde_json::to_string(&req).expect("serializes"), input);
}
