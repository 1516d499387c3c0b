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
        ..PhoneRequest::default()
    };
    let json = serde_json::to_string(&req).expect("serializes");
    assert_eq!(
        json,
        r#"{"callMeta":{"callId":"c1"},"event":"DTMF","text":"one two","intent":{"name":"ProvideNumber"},"intentRanking":[{"name":"ProvideNumber"}],"slots":[{"entity":"number","value":"12"}],"collectedDtmf":"12"}"#
    );
}

#[test]
fn call_meta_built_in_code_is_written_in_reference_order() {
    let meta = CallMeta {
        is_privacy_enabled: Some(true),
        instance_id: Some("i".into()),
        caller_id: Some("+49".into()),
        ..CallMeta::default()
    };
    assert_eq!(
        serde_json::to_string(&meta).expect("serializes"),
        r#"{"instanceId":"i","callerId":"+49","isPrivacyEnabled":true}"#
    );
}

#[test]
fn call_meta_is_echoed_as_received_with_unknown_keys_in_place() {
    // The order of the real phoneV2 transaction in runtime/tests/data, plus keys flowc does not model.
    let input = r#"{"callerId":"+49xxx","sipHeaders":{"X-B":"2","X-A":"1"},"callId":"a8f3","instanceId":"60a6","isPrivacyEnabled":true,"dialledNumber":"+4930"}"#;
    let meta: CallMeta = serde_json::from_str(input).expect("parses");
    assert!(meta.privacy_enabled());
    assert_eq!(meta.caller_id.as_deref(), Some("+49xxx"));
    assert!(!meta.received.is_plain());
    assert_eq!(serde_json::to_string(&meta).expect("serializes"), input);
}

#[test]
fn slots_are_read_by_entity_and_by_the_alias_name() {
    let input = r#"{"callMeta":{},"slots":[{"entity":"number","value":"12345678","processors":[{"type":"digits"}]},{"entity":"number_original","value":"one two"},{"name":"n","value":4},{"value":"x","entity":"both","name":"alias"}]}"#;
    let req: PhoneRequest = serde_json::from_str(input).expect("parses");
    let slots = req.slots.as_ref().expect("slots present");
    assert_eq!(slots.text("number").as_deref(), Some("12345678"));
    assert_eq!(slots.text("number_original").as_deref(), Some("one two"));
    assert_eq!(slots.text("n").as_deref(), Some("4"));
    // With both keys the first names the slot; the other is echoed as it came.
    assert_eq!(slots.text("both").as_deref(), Some("x"));
    assert_eq!(slots.text("alias"), None);
    assert_eq!(slots.text("missing"), None);
    assert_eq!(serde_json::to_string(&req).expect("serializes"), input);
}

#[test]
fn slots_built_in_code_are_written_with_entity() {
    let slots = Slots::List(vec![Slot::new("number", "12")]);
    assert_eq!(
        serde_json::to_string(&slots).expect("serializes"),
        r#"[{"entity":"number","value":"12"}]"#
    );
}

#[test]
fn request_is_echoed_with_every_field_in_its_order() {
    let input = r#"{"callMeta":{"callerId":"+49xxx","callId":"c","instanceId":"i"},"intentRanking":[{"id":-4300620255518597600,"confidence":0.999983549118042,"name":"Nein"}],"text":"Nein danke","slots":[],"intent":{"id":-4300620255518597600,"confidence":0.999983549118042,"name":"Nein"},"errorMessage":"","nlu":{"z":1,"a":[true,null]}}"#;
    let req: PhoneRequest = serde_json::from_str(input).expect("parses");
    assert_eq!(req.intent_name(), Some("Nein"));
    assert_eq!(
        req.intent.as_ref().and_then(|i| i.confidence),
        Some(0.999983549118042)
    );
    assert_eq!(req.received.extra().len(), 2);
    assert_eq!(
        req.received.get("errorMessage"),
        Some(&serde_json::json!(""))
    );
    assert_eq!(serde_json::to_string(&req).expect("serializes"), input);
}

#[test]
fn duplicate_and_missing_fields_are_errors() {
    let duplicate =
        serde_json::from_str::<PhoneRequest>(r#"{"callMeta":{},"text":"a","text":"b"}"#)
            .expect_err("duplicate field");
    assert!(
        duplicate.to_string().contains("duplicate field `text`"),
        "{duplicate}"
    );
    let missing =
        serde_json::from_str::<PhoneRequest>(r#"{"event":"WELCOME"}"#).expect_err("no callMeta");
    assert!(
        missing.to_string().contains("missing field `callMeta`"),
        "{missing}"
    );
    let not_object = serde_json::from_str::<PhoneRequest>(r#"[1]"#).expect_err("not an object");
    assert!(
        not_object.to_string().contains("phoneV2 request"),
        "{not_object}"
    );
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
