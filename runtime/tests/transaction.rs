//! Transactions against Parloa's reference files: key order, round trips.

use flowc_runtime::{
    AffectedStep, CallMeta, ChatEvent, ChatRequest, ChatResponse, Handled, IntentId, IntentRecord,
    Meta, PhoneEvent, PhoneRequest, PhoneResponse, Platform, Request, Response, ResponseElement,
    StateRef, Transaction, Variable,
};
use serde_json::Value;

const HANGUP: &str = include_str!("data/phonev2-hangup-transaction.json");
const SAMPLE: &str = include_str!("data/phonev2-transaction-sample.json");

#[test]
fn hangup_reference_round_trips_byte_for_byte() {
    let txs: Vec<Transaction> = serde_json::from_str(HANGUP).expect("reference parses");
    let out = serde_json::to_string_pretty(&txs).expect("serializes");
    assert_eq!(out.trim_end(), HANGUP.trim_end());
}

#[test]
fn hangup_reference_has_the_documented_values() {
    let txs: Vec<Transaction> = serde_json::from_str(HANGUP).expect("reference parses");
    let [tx] = txs.as_slice() else {
        panic!("one transaction expected, got {}", txs.len())
    };
    assert_eq!(tx.intent.name, "PARLOA.EndConversation");
    assert_eq!(tx.intent.handled_by_state, StateRef::EMPTY);
    assert_eq!(tx.intent.handled, Handled::Locally);
    assert!(!tx.intent.explicitly_handled);
    assert_eq!(tx.platform, Platform::PhoneV2);
    assert_eq!(tx.language, None);
    let Request::Phone(req) = &tx.request else {
        panic!("phone request expected")
    };
    assert_eq!(req.event, Some(PhoneEvent::Hangup));
    assert_eq!(req.call_meta.session_key(), Some("+491xxx"));
    let Response::Phone(resp) = &tx.response else {
        panic!("phone response expected")
    };
    assert!(!resp.end_talk);
    assert!(!resp.continue_listening);
    assert_eq!(
        resp.custom_stt.as_ref().map(|s| s.kind.as_str()),
        Some("prebuild")
    );
}

#[test]
fn hangup_transaction_built_in_code_matches_reference() {
    const BASE: StateRef = StateRef::from_static("STATE.base", "Conversation start", "main");
    let call_meta = CallMeta {
        instance_id: Some("xxx".into()),
        call_id: Some("xxx".into()),
        caller_id: Some("+491xxx".into()),
        session_id: Some("+491xxx".into()),
        customer_id: Some("xxx-demo".into()),
        production: Some(false),
        is_privacy_enabled: Some(false),
        ..CallMeta::default()
    };
    let tx = Transaction {
        transaction_id: "xxx".into(),
        request_timestamp: flowc_runtime::format_iso8601_ms(1_677_777_105_602),
        response_time: 12,
        user_context_id: "xxx".into(),
        release_id: "xxx".into(),
        requester_id: "+491xxx".into(),
        intent: IntentRecord {
            name: "PARLOA.EndConversation".into(),
            initial_state: BASE,
            handled_by_state: StateRef::EMPTY,
            handled: Handled::Locally,
            explicitly_handled: false,
            next_state: BASE,
        },
        meta: Meta::default(),
        variables: vec![],
        platform: Platform::PhoneV2,
        language: None,
        request: Request::Phone(PhoneRequest::event(call_meta.clone(), PhoneEvent::Hangup)),
        response: Response::Phone(PhoneResponse {
            call_meta,
            custom_stt: Some(flowc_runtime::CustomStt {
                kind: "prebuild".into(),
                id: "generic".into(),
            }),
            ..PhoneResponse::default()
        }),
    };
    let out = serde_json::to_string_pretty(&vec![tx]).expect("serializes");
    assert_eq!(out.trim_end(), HANGUP.trim_end());
}

#[test]
fn real_sample_deserializes_and_keeps_every_value() {
    let txs: Vec<Transaction> = serde_json::from_str(SAMPLE).expect("sample parses");
    let tx = &txs[0];
    assert_eq!(tx.transaction_id, "60ba45ba981733dfa6613bf8");
    assert_eq!(tx.response_time, 23);
    assert_eq!(tx.intent.name, "Nein");
    assert!(tx.intent.explicitly_handled);
    assert_eq!(tx.intent.next_state.name, "Routing");
    assert_eq!(tx.variables.len(), 26);
    assert_eq!(tx.variables[9].value, "31");
    let Request::Phone(req) = &tx.request else {
        panic!("phone request expected")
    };
    assert_eq!(req.call_meta.session_id, None);
    assert_eq!(
        req.call_meta.session_key(),
        Some("a8f35368-3feb-123a-618c-d094667acbd8")
    );
    assert_eq!(req.text.as_deref(), Some("Nein danke"));
    assert_eq!(req.intent_name(), Some("Nein"));
    let id = req.intent.as_ref().and_then(|i| i.id.clone());
    assert_eq!(
        id,
        Some(IntentId::Number((-4_300_620_255_518_597_600_i64).into()))
    );
    assert_eq!(req.intent_ranking.as_ref().map(Vec::len), Some(6));
    assert!(req.slots.as_ref().is_some_and(|s| s.is_empty()));
    let Response::Phone(resp) = &tx.response else {
        panic!("phone response expected")
    };
    assert!(resp.end_talk);
    assert_eq!(resp.custom_stt, None);

    // Nothing is lost: the re-serialized sample equals the input as JSON.
    let again: Value = serde_json::to_value(&txs).expect("serializes");
    let original: Value = serde_json::from_str(SAMPLE).expect("valid JSON");
    assert_eq!(again, original);
}

#[test]
fn language_goes_after_platform_only_when_declared() {
    let mut txs: Vec<Transaction> = serde_json::from_str(HANGUP).expect("reference parses");
    let mut tx = txs.remove(0);
    let without = serde_json::to_string(&tx).expect("serializes");
    assert!(!without.contains("language"));
    tx.language = Some("de-DE".into());
    let with = serde_json::to_string(&tx).expect("serializes");
    assert!(with.contains(r#""platform":"phoneV2","language":"de-DE","request":{"#));
    let back: Transaction = serde_json::from_str(&with).expect("parses");
    assert_eq!(back, tx);
}

#[test]
fn affected_steps_shape() {
    // The shape Parloa's analytics consumers read: `_errors` / `warnings` arrays of {type, message} and
    // `sessionBefore.currentNode`, beside the block's own id, name and dialog.
    const LOOKUP: StateRef = StateRef::from_static("6f1c", "lookup", "main");
    const ASK: StateRef = StateRef::from_static("9a2b", "Ask number", "main");
    let mut meta = Meta::default();
    meta.errors.push(AffectedStep::error(
        &LOOKUP,
        &ASK,
        flowc_runtime::problem::SERVICE_ERROR,
        "service lookupParcel failed: timeout",
    ));
    meta.warnings.push(AffectedStep::warning(
        &ASK,
        &ASK,
        flowc_runtime::problem::UNHANDLED_INPUT,
        "no handler",
    ));
    let json = serde_json::to_string(&meta).expect("serializes");
    assert_eq!(
        json,
        concat!(
            r#"{"errors":{"occurrences":1,"affectedSteps":[{"stateId":"6f1c","stateName":"lookup","dialogName":"main","#,
            r#""sessionBefore":{"currentNode":{"id":"9a2b","name":"Ask number","dialogName":"main"}},"#,
            r#""_errors":[{"type":"ServiceError","message":"service lookupParcel failed: timeout"}]}]},"#,
            r#""warnings":{"occurrences":1,"affectedSteps":[{"stateId":"9a2b","stateName":"Ask number","dialogName":"main","#,
            r#""sessionBefore":{"currentNode":{"id":"9a2b","name":"Ask number","dialogName":"main"}},"#,
            r#""warnings":[{"type":"UnhandledInput","message":"no handler"}]}]}}"#
        )
    );
    let back: Meta = serde_json::from_str(&json).expect("parses");
    assert_eq!(back, meta);
}

#[test]
fn chat_transaction_round_trips() {
    let tx = Transaction {
        transaction_id: "tx-000001".into(),
        request_timestamp: "2024-01-01T00:00:00.000Z".into(),
        response_time: 0,
        user_context_id: "uc-000001".into(),
        release_id: "r".into(),
        requester_id: "u".into(),
        intent: IntentRecord::default(),
        meta: Meta::default(),
        variables: vec![Variable::new("trackingNumber", "")],
        platform: Platform::TextchatV2,
        language: None,
        request: Request::Chat(ChatRequest::new(
            "u",
            "s",
            ChatEvent::Message { text: "hi".into() },
        )),
        response: Response::Chat(ChatResponse {
            api_version: "chat/v1".into(),
            requester_id: "u".into(),
            session_id: "s".into(),
            release_id: "r".into(),
            conversation_id: Some("c".into()),
            transaction_id: Some("tx-000001".into()),
            end_conversation: false,
            response_elements: vec![ResponseElement::text("e1", "Hello")],
        }),
    };
    let json = serde_json::to_string(&tx).expect("serializes");
    let back: Transaction = serde_json::from_str(&json).expect("parses");
    assert_eq!(back, tx);
    assert_eq!(back.request.platform(), Platform::TextchatV2);
}

#[test]
fn malformed_bodies_in_a_transaction_report_the_real_field() {
    let mut value: Value = serde_json::from_str(HANGUP).expect("valid JSON");
    value[0]["request"]["event"] = Value::String("RING".into());
    let err = serde_json::from_value::<Vec<Transaction>>(value.clone())
        .expect_err("unknown event must fail");
    assert!(err.to_string().contains("unknown variant `RING`"), "{err}");

    value[0]["request"] = serde_json::json!({"apiVersion": "chat/v1"});
    let err = serde_json::from_value::<Vec<Transaction>>(value).expect_err("must fail");
    assert!(err.to_string().contains("missing field"), "{err}");
}
