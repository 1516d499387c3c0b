//! Textchat V2 wire format, against the examples of Parloa's OpenAPI document.

use flowc_runtime::{ChatEvent, ChatRequest, ChatResponse, ContextValue, ResponseElement};

fn round_trip<T>(json: &str) -> T
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let value: T = serde_json::from_str(json).expect("parses");
    assert_eq!(serde_json::to_string(&value).expect("serializes"), json);
    value
}

#[test]
fn launch_message_quit_requests_round_trip() {
    let launch: ChatRequest = round_trip(
        r#"{"apiVersion":"chat/v1","requesterId":"<user-id>","sessionId":"<session-id>","event":{"type":"launch"}}"#,
    );
    assert_eq!(launch.event, ChatEvent::Launch);
    let message: ChatRequest = round_trip(
        r#"{"apiVersion":"chat/v1","requesterId":"<user-id>","sessionId":"<session-id>","event":{"type":"message","text":"Hello textchat!"}}"#,
    );
    assert_eq!(message.text(), Some("Hello textchat!"));
    let quit: ChatRequest = round_trip(
        r#"{"apiVersion":"chat/v1","requesterId":"<user-id>","sessionId":"<session-id>","event":{"type":"quit"}}"#,
    );
    assert_eq!(quit.event, ChatEvent::Quit);
    assert_eq!(
        quit,
        ChatRequest::new("<user-id>", "<session-id>", ChatEvent::Quit)
    );
}

#[test]
fn context_request_round_trips() {
    let req: ChatRequest = round_trip(
        r#"{"apiVersion":"chat/v1","requesterId":"<user-id>","sessionId":"<session-id>","context":[{"key":"name","value":"Max"},{"key":"age","value":20},{"key":"vip","value":true}],"event":{"type":"message","text":"Hello textchat!"}}"#,
    );
    let context = req.context.expect("context present");
    assert_eq!(context[1].value, ContextValue::Number(20.into()));
    assert_eq!(context[1].value.to_text(), "20");
    assert_eq!(context[2].value, ContextValue::Bool(true));
}

#[test]
fn bad_requests_are_clear_errors() {
    let err = serde_json::from_str::<ChatRequest>(
        r#"{"apiVersion":"chat/v1","requesterId":"u","sessionId":"s","event":{"type":"poke"}}"#,
    )
    .expect_err("must fail");
    assert!(
        err.to_string()
            .contains("unknown variant `poke`, expected one of `launch`, `message`, `quit`"),
        "{err}"
    );
    let err = serde_json::from_str::<ChatRequest>(
        r#"{"apiVersion":"chat/v1","requesterId":"u","sessionId":"s","event":{"type":"message"}}"#,
    )
    .expect_err("must fail");
    assert!(err.to_string().contains("missing field `text`"), "{err}");
    let err = serde_json::from_str::<ChatRequest>(
        r#"{"apiVersion":"chat/v1","requesterId":"u","event":{"type":"launch"}}"#,
    )
    .expect_err("must fail");
    assert!(
        err.to_string().contains("missing field `sessionId`"),
        "{err}"
    );
    let err = serde_json::from_str::<ChatRequest>(
        r#"{"apiVersion":"chat/v1","requesterId":"u","sessionId":"s","context":[{"key":"k","value":[1]}],"event":{"type":"launch"}}"#,
    )
    .expect_err("must fail");
    assert!(
        err.to_string().contains("string, number or boolean"),
        "{err}"
    );
}

#[test]
fn text_response_round_trips() {
    let resp: ChatResponse = round_trip(
        r#"{"apiVersion":"chat/v1","requesterId":"user-id","sessionId":"session-id","releaseId":"release-id","conversationId":"Unique identifier of the current on-going conversation","transactionId":"Unique identifier for the current textchat bot interaction","endConversation":false,"responseElements":[{"id":"0822093c-f18d-11ec-8ea0-0242ac120002","type":"text","content":"Greetings from the textchat bot."},{"id":"3822093c-f1dd-11ec-8ea0-0242dc120002","type":"text","content":"How can I help you?."}]}"#,
    );
    assert_eq!(resp.response_elements.len(), 2);
    assert_eq!(
        resp.response_elements[0],
        ResponseElement::text(
            "0822093c-f18d-11ec-8ea0-0242ac120002",
            "Greetings from the textchat bot."
        )
    );
}

#[test]
fn bot_quits_response_round_trips() {
    let resp: ChatResponse = round_trip(
        r#"{"apiVersion":"chat/v1","requesterId":"user-id","sessionId":"session-id","releaseId":"release-id","conversationId":"Unique identifier of the current on-going conversation","transactionId":"Unique identifier for the current textchat bot interaction","endConversation":true,"responseElements":[{"id":"0822093c-f18d-11ec-8ea0-0242ac120002","type":"text","content":"Bye! See you later :)"}]}"#,
    );
    assert!(resp.end_conversation);
}

#[test]
fn payload_and_card_responses_round_trip() {
    let resp: ChatResponse = round_trip(
        r#"{"apiVersion":"chat/v1","requesterId":"user-id","sessionId":"session-id","releaseId":"release-id","endConversation":false,"responseElements":[{"id":"0822093c-f18d-11ec-8ea0-0242ac120002","type":"payload","content":{"suggestionChips":["yes","no","not sure?"]}},{"type":"cross_card","title":"T","content":"C","image":{"large":{"url":"https://l"},"small":{"url":"https://s","width":"10","height":"10"}}}]}"#,
    );
    assert_eq!(resp.response_elements[0].kind(), "payload");
    assert_eq!(resp.response_elements[1].kind(), "cross_card");
}
