//! HTTP services (Parloa's service contract) against a real HTTP server on loopback: success, each error
//! kind, retries on timeout and 429, and a bad URL refused at start.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use flowc::interpret::Interpreter;
use flowc_runtime::{Engine, HttpServices, Transaction};
use serde_json::{Value, json};

/// What the test server answers to the n-th request (0-based): status, body, delay.
type Script = Arc<dyn Fn(usize, &Value) -> (u16, String, u64) + Send + Sync>;

/// A request as the server saw it: its JSON body and its headers.
type Seen = (Value, Vec<(String, String)>);

struct Server {
    url: String,
    seen: Arc<std::sync::Mutex<Vec<Seen>>>,
    count: Arc<AtomicUsize>,
}

fn server(script: Script, requests: usize) -> Server {
    let http = tiny_http::Server::http("127.0.0.1:0").expect("loopback server");
    let url = format!(
        "http://{}/svc",
        http.server_addr().to_ip().expect("ip address")
    );
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let (seen2, count2) = (seen.clone(), count.clone());
    thread::spawn(move || {
        for _ in 0..requests {
            let Ok(Some(mut request)) = http.recv_timeout(Duration::from_secs(10)) else {
                return;
            };
            let mut body = String::new();
            let _ = std::io::Read::read_to_string(request.as_reader(), &mut body);
            let parsed: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            let headers = request
                .headers()
                .iter()
                .map(|h| (h.field.to_string(), h.value.to_string()))
                .collect();
            seen2.lock().unwrap().push((parsed.clone(), headers));
            let n = count2.fetch_add(1, Ordering::SeqCst);
            let (status, answer, delay) = script(n, &parsed);
            thread::sleep(Duration::from_millis(delay));
            let _ =
                request.respond(tiny_http::Response::from_string(answer).with_status_code(status));
        }
    });
    Server { url, seen, count }
}

fn flow(url: &str, extra: &str) -> String {
    format!(
        r#"
flow: http_demo
variables:
  number: {{ lifetime: session, default: "4711" }}
  status: session
intents:
  Go: []
services:
  lookup:
    inputs: [number]
    outputs: [status]
    branches: [found, missing]
    http: {{ url: "{url}", timeout_ms: 300{extra}, headers: {{ X-Api-Key: secret }} }}
dialogs:
  main:
    start: {{ say: hi, on: {{ Go: lookup }} }}
    blocks:
      lookup:
        service: lookup
        on: {{ found: found, missing: missing, error: failed }}
      found:
        end: {{ say: "found {{{{ status }}}}" }}
      missing:
        end: {{ say: missing }}
      failed:
        end: {{ say: "failed {{{{ context.lastServiceCallStatus }}}}: {{{{ context.lastServiceCallError }}}}" }}
"#
    )
}

fn play(yaml: &str) -> Transaction {
    let (ir, _) = flowc::compile_source("http.yaml", yaml)
        .unwrap_or_else(|c| panic!("{}", c.render(flowc::render::Style::Plain)));
    let http = HttpServices::new(flowc::interpret::http_endpoints(&ir)).unwrap();
    let engine = Engine::new(Interpreter::new(ir, http)).deterministic();
    let meta = json!({"callId": "c", "callerId": "+49", "sessionId": "s"});
    engine
        .handle_phone_json(&json!({"callMeta": meta, "event": "WELCOME"}).to_string())
        .unwrap();
    engine
        .handle_phone_json(&json!({"callMeta": meta, "intent": {"name": "Go"}}).to_string())
        .unwrap()
        .transaction
}

fn prompt(tx: &Transaction) -> String {
    flowc::script::prompt_text(tx)
}

#[test]
fn success_selects_the_branch_and_assigns_outputs() {
    let s = server(
        Arc::new(|_, _| {
            (
                200,
                r#"{"choice":"found","output":{"status":"on the truck"}}"#.into(),
                0,
            )
        }),
        1,
    );
    let tx = play(&flow(&s.url, ""));
    assert_eq!(prompt(&tx), "found on the truck");
    let (body, headers) = s.seen.lock().unwrap()[0].clone();
    assert_eq!(
        body["input"],
        json!({"number": "4711"}),
        "inputs are sent as strings"
    );
    assert_eq!(body["context"]["sessionId"], "s");
    assert!(
        headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("x-api-key") && v == "secret")
    );
    assert!(
        headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("content-type") && v == "application/json")
    );
}

#[test]
fn each_error_kind_takes_the_error_branch() {
    for (status, body, expect) in [
        (500, "oops", "failed 500: "),
        (404, "nope", "failed 404: "),
        (200, "not json", "failed 200: "),
        (200, r#"{"choice":"elsewhere"}"#, "failed error: "),
    ] {
        let s = server(Arc::new(move |_, _| (status, body.into(), 0)), 1);
        let tx = play(&flow(&s.url, ""));
        assert!(
            prompt(&tx).starts_with(expect),
            "{status} {body}: {}",
            prompt(&tx)
        );
        assert_eq!(tx.meta.errors.occurrences, 1);
        assert_eq!(s.count.load(Ordering::SeqCst), 1, "{status} is not retried");
    }
}

#[test]
fn timeouts_and_429_are_retried() {
    let s = server(
        Arc::new(|n, _| match n {
            0 => (
                200,
                r#"{"choice":"found","output":{"status":"late"}}"#.into(),
                800,
            ),
            1 => (429, "slow down".into(), 0),
            _ => (
                200,
                r#"{"choice":"found","output":{"status":"third time"}}"#.into(),
                0,
            ),
        }),
        3,
    );
    let tx = play(&flow(&s.url, ", retries: 2"));
    assert_eq!(prompt(&tx), "found third time");
    assert_eq!(s.count.load(Ordering::SeqCst), 3);
}

#[test]
fn a_timeout_without_retries_fails_with_status_timeout() {
    let s = server(
        Arc::new(|_, _| (200, r#"{"choice":"found"}"#.into(), 800)),
        1,
    );
    let tx = play(&flow(&s.url, ""));
    assert_eq!(
        prompt(&tx),
        "failed timeout: service `lookup` failed in block `lookup`: timed out after 300 ms"
    );
}

#[test]
fn a_refused_connection_fails_cleanly() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let tx = play(&flow(&format!("http://127.0.0.1:{port}/svc"), ""));
    assert!(prompt(&tx).starts_with("failed error: "), "{}", prompt(&tx));
}

#[test]
fn timeouts_over_the_limit_and_bad_urls_are_compile_errors() {
    let checked = flowc::check_source(
        "x.yaml",
        &flow("http://127.0.0.1:1/svc", "").replace("timeout_ms: 300", "timeout_ms: 25000"),
    );
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.message.contains("too long")),
        "{:?}",
        checked.diagnostics
    );
    let checked = flowc::check_source("x.yaml", &flow("ftp://example/svc", ""));
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.message.contains("not an HTTP URL"))
    );
}
