//! Conformance with the outside world, not only with ourselves: the real phoneV2 transaction's request is
//! echoed byte for byte, privacy is audited over every byte every sink received for a whole call, a new
//! WELCOME on an open conversation ends it the way the platform would have, chat requests follow the
//! Textchat V2 spec.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flowc::interpret::Interpreter;
use flowc::script::{Stub, StubServices, Stubs};
use flowc_runtime::{
    AnalyticsSink, Engine, EngineError, Handled, JsonLinesSink, MemorySink, Request, TeeSink,
    Transaction, problem,
};
use serde_json::{Value, json};

/// The real phoneV2 transaction Parloa documents (phone numbers masked by Parloa).
const SAMPLE: &str = include_str!("../../runtime/tests/data/phonev2-transaction-sample.json");

const AUDIT_FLOW: &str = r#"
flow: audit
release: rel-audit
platforms: [phoneV2, textchatV2]
variables:
  account: session
  balance: session
  nickname: user
intents:
  Account: []
  Agent: []
  Nein: []
services:
  lookup: { inputs: [account], outputs: [balance], branches: [found] }
dialogs:
  main:
    start:
      name: Conversation start
      say: "Welcome, caller {{ context.callerId }}."
      on:
        Account: { set: { account: "{{ slots.account }}", nickname: "{{ slots.nickname }}" }, goto: lookup }
        Nein: start
      dtmf: { match: "[0-9]+", set: { account: "{{ dtmf }}" }, goto: lookup }
    global:
      on:
        Agent: agent
        PARLOA.EndConversation: bye
    blocks:
      lookup:
        service: lookup
        on: { found: tell, error: tell }
      tell:
        state:
          say: "Your balance is {{ balance }}, {{ nickname }}."
          reprompt: "Account {{ account }}?"
          on: { Agent: agent }
      agent:
        transfer:
          say: "Connecting {{ nickname }}."
          refer_to: "sip:{{ account }}@pbx.example"
          headers: { X-Account: "{{ account }}", X-Balance: "{{ balance }}" }
      bye:
        end: { say: "Bye {{ nickname }}." }
"#;

fn interpreter(source: &str, stubs: &[(&str, Stub)]) -> Interpreter<StubServices> {
    let (ir, _) = flowc::compile_source("audit.yaml", source).expect("the flow compiles");
    let services = StubServices::new(
        stubs
            .iter()
            .map(|(name, stub)| (name.to_string(), Stubs::One(stub.clone())))
            .collect(),
    );
    Interpreter::new(ir, services)
}

/// Every personal value the audit plants, each distinct, none a substring of anything else flowc writes.
const PLANTED: &[&str] = &[
    "+49151PLANT01",  // caller id and session id
    "ACC-PLANT-02",   // slot value, variable, refer-to, SIP header
    "NICK-PLANT-03",  // slot value, user variable, prompts
    "TEXT-PLANT-04",  // utterance text
    "BAL-PLANT-05",   // service output, variable, prompt, SIP header
    "NAME-PLANT-06",  // an unknown callMeta key
    "ERR-PLANT-07",   // errorMessage, a request field flowc does not model
    "PROC-PLANT-08",  // a slot's processors
    "99887766554433", // DTMF digits
];

/// The audited call: privacy asked for on the WELCOME only; later requests omit the flag, the HANGUP's
/// callMeta too.
fn audited_call(session: &str, privacy_on_welcome: bool) -> Vec<Value> {
    let welcome_meta = json!({
        "callId": session, "callerId": "+49151PLANT01", "sessionId": session,
        "callerName": "NAME-PLANT-06", "isPrivacyEnabled": privacy_on_welcome,
    });
    let later_meta =
        json!({ "callId": session, "callerId": "+49151PLANT01", "sessionId": session });
    vec![
        json!({ "callMeta": welcome_meta, "event": "WELCOME" }),
        json!({
            "callMeta": later_meta, "text": "TEXT-PLANT-04", "errorMessage": "ERR-PLANT-07",
            "intent": { "id": 17, "name": "Account", "confidence": 0.93 },
            "intentRanking": [{ "id": 17, "name": "Account", "confidence": 0.93 }],
            "slots": [
                { "entity": "account", "value": "ACC-PLANT-02", "processors": ["PROC-PLANT-08"] },
                { "entity": "nickname", "value": "NICK-PLANT-03" }
            ]
        }),
        json!({ "callMeta": later_meta, "event": "NO_INPUT" }),
        json!({ "callMeta": later_meta, "text": "agent please", "intent": { "name": "Agent" } }),
        // The next call on the same session: DTMF, a failing service, the caller hangs up.
        json!({ "callMeta": welcome_meta, "event": "WELCOME" }),
        json!({ "callMeta": later_meta, "event": "DTMF", "collectedDtmf": "99887766554433" }),
        json!({ "callMeta": { "callId": session, "sessionId": session }, "event": "HANGUP" }),
    ]
}

/// A loopback Analytics Webhook receiver that keeps every byte posted to it.
struct Receiver {
    url: String,
    bodies: Arc<Mutex<Vec<u8>>>,
    _thread: std::thread::JoinHandle<()>,
}

impl Receiver {
    fn start() -> Self {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("binds 127.0.0.1");
        let port = server.server_addr().to_ip().expect("an IP address").port();
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&bodies);
        let thread = std::thread::spawn(move || {
            // Ends when the test process does; bounded by the requests the test makes.
            for mut request in server.incoming_requests() {
                let mut body = Vec::new();
                let _ = std::io::Read::read_to_end(request.as_reader(), &mut body);
                kept.lock().expect("not poisoned").extend_from_slice(&body);
                let _ = request.respond(tiny_http::Response::empty(200));
            }
        });
        Receiver {
            url: format!("http://127.0.0.1:{port}/analytics"),
            bodies,
            _thread: thread,
        }
    }
}

/// Plays the audited call with a memory sink, a JSON-lines file and a webhook at once, and returns every
/// byte each of them holds or received.
fn play_audited_call(privacy_on_welcome: bool) -> Vec<(&'static str, Vec<u8>)> {
    let dir = tempdir(if privacy_on_welcome { "on" } else { "off" });
    let memory = Arc::new(MemorySink::unbounded());
    let lines_path = dir.join("transactions.jsonl");
    let lines = JsonLinesSink::new(std::fs::File::create(&lines_path).expect("creates the file"));
    let receiver = Receiver::start();
    let webhook = Arc::new(
        flowc_runtime::WebhookSink::new(
            flowc_runtime::WebhookConfig::new(receiver.url.as_str(), dir.join("spool"))
                .batch_size(3),
        )
        .expect("webhook starts"),
    );
    let tee = TeeSink::new()
        .with(Arc::clone(&memory))
        .with(lines)
        .with(Arc::clone(&webhook));
    let failing_then_found = Stub {
        branch: Some("found".into()),
        outputs: [("balance".to_string(), "BAL-PLANT-05".to_string())].into(),
        fail: None,
    };
    let engine = Engine::new(interpreter(AUDIT_FLOW, &[("lookup", failing_then_found)]))
        .deterministic()
        .with_sink(tee);
    let mut responses = Vec::new();
    for request in audited_call("call-audit", privacy_on_welcome) {
        let turn = engine
            .handle_phone_json(&request.to_string())
            .expect("the request plays");
        assert!(turn.sink_error.is_none(), "{:?}", turn.sink_error);
        responses.push(serde_json::to_vec(&turn.response).expect("serializes"));
    }
    engine.flush().expect("flushes");
    let stats = webhook.shutdown(Duration::from_secs(10));
    assert_eq!(stats.failed, 0, "{stats:?}");
    let memory_bytes = serde_json::to_vec(&memory.snapshot()).expect("serializes");
    assert_eq!(memory.len(), 7, "one transaction per request");
    let webhook_bytes = receiver.bodies.lock().expect("not poisoned").clone();
    let file_bytes = std::fs::read(&lines_path).expect("reads the file");
    let _ = std::fs::remove_dir_all(&dir);
    vec![
        ("memory sink", memory_bytes),
        ("JSON lines file", file_bytes),
        ("webhook", webhook_bytes),
        ("responses to the platform", responses.concat()),
    ]
}

fn tempdir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "flowc-conformance-{tag}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creates a temporary folder");
    dir
}

#[test]
fn no_planted_personal_value_reaches_any_sink_in_a_privacy_call() {
    for (sink, bytes) in play_audited_call(true) {
        let text = String::from_utf8_lossy(&bytes);
        if sink == "responses to the platform" {
            // The platform needs the call in clear: only analytics are masked.
            assert!(text.contains("NICK-PLANT-03") && text.contains("ACC-PLANT-02"));
            continue;
        }
        assert!(text.contains("***"), "{sink} holds no masked value");
        for planted in PLANTED {
            assert!(
                !text.contains(planted),
                "{planted} reached the {sink}: {text}"
            );
        }
    }
}

#[test]
fn the_audit_sees_every_planted_value_when_privacy_is_off() {
    // The same call without privacy: every planted value reaches every sink, so the audit above looks
    // where the values would be.
    for (sink, bytes) in play_audited_call(false) {
        let text = String::from_utf8_lossy(&bytes);
        for planted in PLANTED {
            if sink == "responses to the platform"
                && [
                    "TEXT-PLANT-04",
                    "ERR-PLANT-07",
                    "PROC-PLANT-08",
                    "99887766554433",
                ]
                .contains(planted)
            {
                continue; // responses echo no request fields but callMeta
            }
            assert!(text.contains(planted), "{planted} missing from the {sink}");
        }
    }
}

#[test]
fn a_service_failure_text_is_masked_in_a_privacy_call() {
    let failing = Stub {
        fail: Some("no account FAIL-PLANT-09".into()),
        ..Stub::default()
    };
    let sink = Arc::new(MemorySink::unbounded());
    let engine = Engine::new(interpreter(AUDIT_FLOW, &[("lookup", failing)]))
        .deterministic()
        .with_shared_sink(Arc::clone(&sink) as Arc<dyn AnalyticsSink>);
    for request in audited_call("call-fail", true).into_iter().take(2) {
        engine
            .handle_phone_json(&request.to_string())
            .expect("plays");
    }
    let txs = sink.snapshot();
    let failed = &txs[1];
    assert_eq!(failed.meta.errors.occurrences, 1);
    let problem = &failed.meta.errors.affected_steps[0].errors[0];
    assert_eq!(problem.kind, problem::SERVICE_ERROR);
    assert!(problem.message.ends_with(": ***"), "{}", problem.message);
    let text = serde_json::to_string(&txs).expect("serializes");
    assert!(!text.contains("FAIL-PLANT-09"), "{text}");
}

#[test]
fn the_real_transactions_request_is_echoed_byte_for_byte() {
    let sample: Vec<Value> = serde_json::from_str(SAMPLE).expect("the sample parses");
    let request = &sample[0]["request"];
    let engine = Engine::new(interpreter(AUDIT_FLOW, &[])).deterministic();
    let mut welcome = json!({ "callMeta": request["callMeta"].clone(), "event": "WELCOME" });
    engine
        .handle_phone_json(&welcome.to_string())
        .expect("plays");
    let mut buffer = flowc_runtime::TurnBuffer::new();
    let parsed: flowc_runtime::PhoneRequest =
        serde_json::from_str(&request.to_string()).expect("the sample request parses");
    engine.play_phone(&parsed, &mut buffer).expect("plays");
    let transaction: Value =
        serde_json::from_slice(buffer.transaction_json()).expect("the transaction parses");
    // Key order included: compare the serialized text, not the values.
    assert_eq!(
        transaction["request"].to_string(),
        request.to_string(),
        "the request must be echoed as received"
    );
    // The response echoes the callMeta the same way.
    assert_eq!(
        transaction["response"]["callMeta"].to_string(),
        request["callMeta"].to_string()
    );
    assert_eq!(transaction["intent"]["name"], "Nein");
    // An unknown field survives too, in its place.
    welcome["callMeta"]["isPrivacyEnabled"] = json!(false);
    welcome["errorMessage"] = json!("asr timeout");
    let turn = engine
        .handle_phone_json(&welcome.to_string())
        .expect("plays");
    let Request::Phone(echo) = &turn.transaction.request else {
        panic!("a phone request")
    };
    assert_eq!(
        serde_json::to_value(echo).expect("serializes"),
        welcome,
        "{echo:?}"
    );
}

#[test]
fn a_new_welcome_on_an_open_conversation_ends_it_as_if_hung_up() {
    let sink = Arc::new(MemorySink::unbounded());
    let engine = Engine::new(interpreter(
        AUDIT_FLOW,
        &[(
            "lookup",
            Stub {
                branch: Some("found".into()),
                ..Stub::default()
            },
        )],
    ))
    .deterministic()
    .with_shared_sink(Arc::clone(&sink) as Arc<dyn AnalyticsSink>);
    let call = audited_call("call-rewelcome", false);
    for request in &call[..2] {
        engine
            .handle_phone_json(&request.to_string())
            .expect("plays");
    }
    // The platform never sent the HANGUP of the first call; the next one begins on the same session.
    let turn = engine
        .handle_phone_json(&call[0].to_string())
        .expect("plays");
    assert_eq!(turn.transaction.intent.name, "PARLOA.Welcome");
    let txs: Vec<Transaction> = sink.snapshot();
    assert_eq!(txs.len(), 4, "one synthetic hangup between the two calls");
    let hangup = &txs[2];
    assert_eq!(hangup.intent.name, "PARLOA.EndConversation");
    // The flow's own EndConversation handling ran, as on a real hang-up.
    assert_eq!(hangup.intent.handled, Handled::Globally);
    assert!(hangup.intent.explicitly_handled);
    assert_eq!(hangup.intent.initial_state.name, "tell");
    assert_eq!(hangup.intent.next_state.id, "STATE.base");
    let warning = &hangup.meta.warnings.affected_steps[0];
    assert_eq!(warning.warnings[0].kind, problem::SYNTHETIC_HANGUP);
    assert!(warning.warnings[0].message.contains("sent no HANGUP"));
    let Request::Phone(request) = &hangup.request else {
        panic!("a phone request")
    };
    assert_eq!(request.event, Some(flowc_runtime::PhoneEvent::Hangup));
    // The new call starts clean: session variables back to their default, a new analytics id.
    let welcome = &txs[3];
    assert_ne!(welcome.user_context_id, txs[1].user_context_id);
    assert_eq!(hangup.user_context_id, txs[1].user_context_id);
    let account = welcome.variables.iter().find(|v| v.name == "account");
    assert_eq!(account.map(|v| v.value.as_str()), Some(""));
    // The user-lifetime value was kept by the synthetic hang-up like by a real one.
    let nickname = welcome.variables.iter().find(|v| v.name == "nickname");
    assert_eq!(nickname.map(|v| v.value.as_str()), Some("NICK-PLANT-03"));
}

#[test]
fn chat_requests_other_than_chat_v1_are_refused() {
    let engine = Engine::new(interpreter(AUDIT_FLOW, &[])).deterministic();
    let request = json!({
        "apiVersion": "chat/v2", "requesterId": "u", "sessionId": "s", "event": { "type": "launch" }
    });
    let error = engine
        .handle_chat_json(&request.to_string())
        .expect_err("refused");
    assert!(matches!(error, EngineError::UnsupportedApiVersion(ref v) if v == "chat/v2"));
    assert!(error.to_string().contains("chat/v1"), "{error}");
    let ok = json!({
        "apiVersion": "chat/v1", "requesterId": "u", "sessionId": "s", "event": { "type": "launch" }
    });
    engine.handle_chat_json(&ok.to_string()).expect("plays");
}

#[test]
fn the_application_can_end_an_open_conversation_as_if_hung_up() {
    let sink = Arc::new(MemorySink::unbounded());
    let engine = Engine::new(interpreter(AUDIT_FLOW, &[]))
        .deterministic()
        .with_shared_sink(Arc::clone(&sink) as Arc<dyn AnalyticsSink>);
    let call = audited_call("call-idle", false);
    let meta: flowc_runtime::CallMeta =
        serde_json::from_value(call[0]["callMeta"].clone()).expect("a callMeta");
    let mut buffer = flowc_runtime::TurnBuffer::new();
    assert!(
        !engine
            .end_phone_conversation(&meta, &mut buffer)
            .expect("a session key"),
        "no conversation yet"
    );
    engine
        .handle_phone_json(&call[0].to_string())
        .expect("plays");
    assert!(
        engine
            .end_phone_conversation(&meta, &mut buffer)
            .expect("ends")
    );
    let hangup: Transaction =
        serde_json::from_slice(buffer.transaction_json()).expect("a transaction");
    assert_eq!(hangup.intent.name, "PARLOA.EndConversation");
    assert_eq!(hangup.intent.handled, Handled::Globally);
    assert_eq!(
        hangup.meta.warnings.affected_steps[0].warnings[0].kind,
        problem::SYNTHETIC_HANGUP
    );
    assert_eq!(sink.len(), 2, "the hangup went to the sink too");
    // Ended once: a second call finds nothing open, and the next WELCOME adds no synthetic hangup.
    assert!(
        !engine
            .end_phone_conversation(&meta, &mut buffer)
            .expect("no-op")
    );
    engine
        .handle_phone_json(&call[0].to_string())
        .expect("plays");
    assert_eq!(sink.len(), 3);
}

#[test]
fn a_chat_launch_on_an_open_chat_ends_it_as_if_the_user_quit() {
    let sink = Arc::new(MemorySink::unbounded());
    let engine = Engine::new(interpreter(AUDIT_FLOW, &[]))
        .deterministic()
        .with_shared_sink(Arc::clone(&sink) as Arc<dyn AnalyticsSink>);
    let launch = json!({
        "apiVersion": "chat/v1", "requesterId": "u", "sessionId": "s", "event": { "type": "launch" }
    });
    engine.handle_chat_json(&launch.to_string()).expect("plays");
    engine.handle_chat_json(&launch.to_string()).expect("plays");
    let txs = sink.snapshot();
    assert_eq!(txs.len(), 3);
    assert_eq!(txs[1].intent.name, "PARLOA.EndConversation");
    let Request::Chat(quit) = &txs[1].request else {
        panic!("a chat request")
    };
    assert_eq!(quit.event, flowc_runtime::ChatEvent::Quit);
    assert_eq!(
        txs[1].meta.warnings.affected_steps[0].warnings[0].kind,
        problem::SYNTHETIC_HANGUP
    );
    assert_eq!(txs[2].intent.name, "PARLOA.Welcome");
}
