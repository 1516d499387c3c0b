//! Masking of personal data.

use flowc_runtime::{
    CallControlMessage, ChatEvent, ChatRequest, ChatResponse, ContextItem, ContextValue, MASK,
    PhoneRequest, PhoneResponse, Redact, Request, Response, ResponseElement, SipHeader, Slots,
    Transaction, Variable,
};

const HANGUP: &str = include_str!("data/phonev2-hangup-transaction.json");
const SAMPLE: &str = include_str!("data/phonev2-transaction-sample.json");

#[test]
fn phone_transaction_masks_personal_data_only() {
    let mut txs: Vec<Transaction> = serde_json::from_str(SAMPLE).expect("sample parses");
    let mut tx = txs.remove(0);
    tx.variables.push(Variable::new("empty", ""));
    let Request::Phone(req) = &mut tx.request else {
        panic!("phone request expected")
    };
    req.slots = Some(Slots::Map(vec![("zip".into(), "10115".into())]));
    req.collected_dtmf = Some("1234".into());
    let Response::Phone(resp) = &mut tx.response else {
        panic!("phone response expected")
    };
    resp.call_control_messages
        .push(CallControlMessage::SipRefer {
            refer_to: "sip:agents@pbx.example".into(),
            sip_headers: vec![SipHeader {
                name: "User-to-User".into(),
                value: "secret".into(),
            }],
        });

    tx.redact();
    let json = serde_json::to_string(&tx).expect("serializes");
    for secret in [
        "+49xxx",
        "Nein danke",
        "31.08.1992",
        "Kosub",
        "10115",
        "1234",
        "secret",
        "Tschüß",
        "sip:agents@pbx.example",
    ] {
        assert!(!json.contains(secret), "{secret} leaked: {json}");
    }
    assert_eq!(tx.requester_id, MASK);
    assert_eq!(tx.variables[0].value, "", "empty values stay empty");
    assert_eq!(tx.variables[9].value, MASK);
    assert_eq!(tx.variables.last().map(|v| v.value.as_str()), Some(""));
    // Kept in clear.
    assert_eq!(tx.intent.name, "Nein");
    assert!(json.contains("a8f35368-3feb-123a-618c-d094667acbd8"));
    assert!(json.contains("User-to-User"));
    assert!(json.contains(r#""confidence":0.999983549118042"#));
}

#[test]
fn hangup_has_nothing_to_mask_but_caller() {
    let mut txs: Vec<Transaction> = serde_json::from_str(HANGUP).expect("reference parses");
    txs[0].redact();
    let json = serde_json::to_string(&txs).expect("serializes");
    assert!(!json.contains("+491xxx"));
    assert!(json.contains(r#""prompt":"","reprompt":"""#));
}

#[test]
fn chat_bodies_are_masked() {
    let mut req = ChatRequest::new(
        "user-1",
        "session-1",
        ChatEvent::Message {
            text: "my name is Max".into(),
        },
    );
    req.context = Some(vec![
        ContextItem {
            key: "name".into(),
            value: ContextValue::String("Max".into()),
        },
        ContextItem {
            key: "age".into(),
            value: ContextValue::Number(20.into()),
        },
        ContextItem {
            key: "vip".into(),
            value: ContextValue::Bool(true),
        },
    ]);
    req.redact();
    let json = serde_json::to_string(&req).expect("serializes");
    assert_eq!(
        json,
        r#"{"apiVersion":"chat/v1","requesterId":"***","sessionId":"session-1","context":[{"key":"name","value":"***"},{"key":"age","value":"***"},{"key":"vip","value":true}],"event":{"type":"message","text":"***"}}"#
    );

    let mut resp = ChatResponse {
        api_version: "chat/v1".into(),
        requester_id: "user-1".into(),
        session_id: "session-1".into(),
        release_id: "r".into(),
        conversation_id: None,
        transaction_id: None,
        end_conversation: false,
        response_elements: vec![
            ResponseElement::text("e1", "Hello Max"),
            ResponseElement::Payload {
                id: None,
                content: serde_json::from_str(r#"{"chips":["Max",1,true]}"#).expect("object"),
            },
        ],
    };
    resp.redact();
    let json = serde_json::to_string(&resp).expect("serializes");
    assert!(!json.contains("Max") && !json.contains("user-1"), "{json}");
    assert!(json.contains(r#"{"chips":["***","***",true]}"#), "{json}");

    let mut phone = PhoneResponse {
        prompt: "Hi Max".into(),
        ..PhoneResponse::default()
    };
    phone.redact();
    assert_eq!(phone.prompt, MASK);
    assert_eq!(phone.reprompt, "");
    let mut phone_req: PhoneRequest =
        serde_json::from_str(r#"{"callMeta":{"callerId":"+49"},"text":"hi"}"#).expect("parses");
    phone_req.redact();
    assert_eq!(phone_req.call_meta.caller_id.as_deref(), Some(MASK));
    assert_eq!(phone_req.text.as_deref(), Some(MASK));
}
