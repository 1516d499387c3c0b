//! The dialoghook server on 127.0.0.1 against a real HTTP client: every shipped conversation script played
//! over HTTP gives the transactions `flowc test` plays, every chat body validates against Parloa's Textchat
//! V2 schemas, every refusal has its status and a JSON body, and tokens decide where the server listens.

mod serving;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flowc::interpret::Interpreter;
use flowc::script::{Script, StubServices};
use flowc_runtime::server::Server;
use flowc_runtime::{Dynamic, Engine, MemorySink, NoServices};
use flowc_tests::textchat::{REQUEST, RESPONSE, Schemas};
use flowc_tests::{parcel_tracking, support_chat};
use serde_json::Value;
use serving::{Backend, Client, chat, phone};

fn localhost() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn scripts() -> Vec<(Script, flowc::ir::Flow, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../flows/conversations");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("conversations folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let script = Script::load(&path).unwrap();
            let source = std::fs::read_to_string(script.flow_path()).unwrap();
            let (ir, _) = flowc::compile_source("flow.yaml", &source).unwrap();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            (script, ir, stem)
        })
        .collect()
}

#[test]
fn every_script_over_http_gives_the_transactions_flowc_test_plays() {
    let schemas = Schemas::load();
    let scripts = scripts();
    assert!(scripts.len() >= 20, "{} scripts", scripts.len());
    let mut turns = 0;
    for (script, ir, stem) in &scripts {
        // What `flowc test` plays: the interpreter with the script's stubs, deterministic.
        let stubs = StubServices::new(script.services.clone());
        let oracle = Engine::new(Interpreter::new(ir.clone(), &stubs)).deterministic();
        let expected = flowc::script::play(&oracle, script, ir, &|| stubs.take_calls()).unwrap();
        assert!(
            expected.failures.is_empty(),
            "{stem}: {:?}",
            expected.failures
        );
        // The same engine behind the server, one server per script so that ids count from the start.
        let sink = Arc::new(MemorySink::unbounded());
        let engine = Engine::new(Interpreter::new(
            ir.clone(),
            StubServices::new(script.services.clone()),
        ))
        .deterministic()
        .with_shared_sink(sink.clone());
        let release = engine.release().to_owned();
        let running = Server::new()
            .listen(localhost())
            .log(|_| {})
            .release(engine)
            .spawn()
            .unwrap();
        let client = Client::new(running.addr());
        let chat = script.is_chat(ir);
        let platform = if chat { "textchatV2" } else { "phoneV2" };
        let requests = flowc::script::requests(script, chat, ir).unwrap();
        let mut bodies = Vec::new();
        for (turn, request) in requests.iter().enumerate() {
            let (status, body) = client.turn(&release, platform, None, request);
            assert_eq!(status, 200, "{stem} turn {}: {body}", turn + 1);
            let body: Value = serde_json::from_str(&body).unwrap();
            if chat {
                schemas.assert_valid(
                    REQUEST,
                    &serde_json::from_str(request).unwrap(),
                    "the request sent",
                );
                schemas.assert_valid(
                    RESPONSE,
                    &body,
                    &format!("{stem} turn {}: the response", turn + 1),
                );
            }
            bodies.push(body);
        }
        assert!(running.shutdown().unwrap().is_clean());
        let got = sink.take();
        assert_eq!(got.len(), expected.transactions.len(), "{stem}");
        for (turn, (got, want)) in got.iter().zip(&expected.transactions).enumerate() {
            assert_eq!(
                serde_json::to_string(got).unwrap(),
                serde_json::to_string(want).unwrap(),
                "{stem} turn {}: the transaction differs from flowc test's",
                turn + 1
            );
            // The platform gets the response in clear; a privacy call's transaction has it masked.
            let clear = |v: &Value| v.to_string().replace("***", "");
            if script.privacy {
                assert_ne!(
                    clear(&bodies[turn]),
                    clear(&serde_json::to_value(&want.response).unwrap())
                );
                continue;
            }
            assert_eq!(
                bodies[turn],
                serde_json::to_value(&want.response).unwrap(),
                "{stem} turn {}",
                turn + 1
            );
        }
        turns += got.len();
    }
    assert!(turns > 100, "{turns} turns");
}

/// A server of the parcel bot (token `s3cret`) and the support chat (token `chat-token`) with small limits.
fn guarded() -> (flowc_runtime::server::Running, Client) {
    let parcel = Engine::new(parcel_tracking::Flow::new(Backend)).with_release("parcel");
    let support = Engine::new(support_chat::Flow::new(Dynamic(NoServices))).with_release("support");
    let running = Server::new()
        .listen(localhost())
        .log(|_| {})
        .body_limit(4096)
        .read_timeout(Duration::from_millis(300))
        .release(parcel)
        .release(support)
        .token("parcel", "s3cret")
        .token("support", "chat-token")
        .spawn()
        .unwrap();
    let client = Client::new(running.addr());
    (running, client)
}

#[track_caller]
fn refused(answer: (u16, String), status: u16, needle: &str) {
    let (got, body) = answer;
    assert_eq!(got, status, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    assert_eq!(body["status"], status);
    let message = body["error"].as_str().unwrap();
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
}

#[test]
fn each_refusal_has_its_status_and_a_json_body() {
    let (running, client) = guarded();
    let welcome = phone("s1", r#""event":"WELCOME""#);
    let ok = client.turn("parcel", "phoneV2", Some("s3cret"), &welcome);
    assert_eq!(ok.0, 200, "{}", ok.1);
    // 401: no token, a wrong one, a prefix of the right one, the other release's, not a bearer.
    for token in [None, Some("wrong"), Some("s3cre"), Some("chat-token")] {
        refused(
            client.turn("parcel", "phoneV2", token, &welcome),
            401,
            "Bearer",
        );
    }
    let basic = [
        ("Content-Type", "application/json"),
        ("Authorization", "Basic czNjcmV0"),
    ];
    let url = "/dialoghook?dialog=parcel&platform=phoneV2";
    refused(
        client.send("POST", url, &basic, Some(welcome.as_bytes())),
        401,
        "Bearer",
    );
    // 404: an unknown dialog, none, an unknown path.
    refused(
        client.turn("nope", "phoneV2", Some("s3cret"), &welcome),
        404,
        "\"nope\"",
    );
    refused(
        client.send("POST", "/dialoghook?platform=phoneV2", &[], None),
        404,
        "dialog",
    );
    refused(client.get("/dialog"), 404, "no such path");
    // 405: the wrong method, with Allow.
    refused(client.get(url), 405, "use POST");
    refused(client.send("PUT", url, &[], Some(b"{}")), 405, "use POST");
    refused(
        client.send("POST", "/healthz", &[], Some(b"{}")),
        405,
        "use GET",
    );
    // 415: no content type, or another.
    let auth = ("Authorization", "Bearer s3cret");
    refused(
        client.send("POST", url, &[auth], Some(welcome.as_bytes())),
        415,
        "application/json",
    );
    let text = [auth, ("Content-Type", "text/plain")];
    refused(
        client.send("POST", url, &text, Some(welcome.as_bytes())),
        415,
        "application/json",
    );
    // 413: over the limit, declared or not.
    let big = phone("s1", &format!(r#""text":"{}""#, "x".repeat(5000)));
    refused(
        client.turn("parcel", "phoneV2", Some("s3cret"), &big),
        413,
        "4096 bytes",
    );
    assert_eq!(chunked(running.addr(), 5000), 413);
    // 400: not JSON.
    refused(
        client.turn("parcel", "phoneV2", Some("s3cret"), r#"{"callMeta":"#),
        400,
        "EOF",
    );
    refused(
        client.turn("parcel", "phoneV2", Some("s3cret"), "hello"),
        400,
        "malformed",
    );
    // 422: JSON the platform's schema refuses, a platform the flow does not run on or nobody knows.
    refused(
        client.turn(
            "parcel",
            "phoneV2",
            Some("s3cret"),
            r#"{"event":"WELCOME"}"#,
        ),
        422,
        "callMeta",
    );
    refused(
        client.turn(
            "parcel",
            "phoneV2",
            Some("s3cret"),
            &phone("s1", r#""event":"RING""#),
        ),
        422,
        "RING",
    );
    refused(
        client.turn(
            "parcel",
            "phoneV2",
            Some("s3cret"),
            r#"{"callMeta":{},"event":"WELCOME"}"#,
        ),
        422,
        "sessionId",
    );
    refused(
        client.turn(
            "support",
            "textchatV2",
            Some("chat-token"),
            &chat("c1", r#"{"type":"poke"}"#),
        ),
        422,
        "poke",
    );
    let v2 = chat("c1", r#"{"type":"launch"}"#).replace("chat/v1", "chat/v2");
    refused(
        client.turn("support", "textchatV2", Some("chat-token"), &v2),
        422,
        "apiVersion",
    );
    refused(
        client.turn("parcel", "textchatV2", Some("s3cret"), &welcome),
        422,
        "does not run on textchatV2",
    );
    refused(
        client.turn("parcel", "sms", Some("s3cret"), &welcome),
        422,
        "unknown platform",
    );
    refused(
        client.send(
            "POST",
            "/dialoghook?dialog=parcel",
            &[auth, ("Content-Type", "application/json")],
            Some(welcome.as_bytes()),
        ),
        422,
        "platform",
    );
    // 408: a body that stops coming.
    assert_eq!(stalled_body(running.addr()), 408);
    // The chat release answers with a body Parloa's schema accepts.
    let (status, body) = client.turn(
        "support",
        "textchatV2",
        Some("chat-token"),
        &chat("c1", r#"{"type":"launch"}"#),
    );
    assert_eq!(status, 200);
    Schemas::load().assert_valid(
        RESPONSE,
        &serde_json::from_str(&body).unwrap(),
        "the launch response",
    );
    // Health, and the refusals counted by status.
    let (status, health) = client.get("/healthz");
    assert_eq!((status, health.contains("\"ok\"")), (200, true), "{health}");
    assert_eq!(
        client.metric(r#"flowc_requests_refused_total{status="401"}"#),
        5.0
    );
    assert_eq!(
        client.metric(r#"flowc_requests_refused_total{status="422"}"#),
        8.0
    );
    assert_eq!(
        client
            .metric(r#"flowc_turns_total{release="parcel",platform="phoneV2",handled="locally"}"#),
        1.0
    );
    assert!(running.shutdown().unwrap().is_clean());
}

/// Sends a chunked body of `size` bytes by hand (no Content-Length); the status.
fn chunked(addr: SocketAddr, size: usize) -> u16 {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let head = "POST /dialoghook?dialog=parcel&platform=phoneV2 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n\
                Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    stream.write_all(head.as_bytes()).unwrap();
    for _ in 0..size / 1000 {
        // The server may answer and close before the last chunks: later writes may fail.
        let _ = stream.write_all(format!("3e8\r\n{}\r\n", " ".repeat(1000)).as_bytes());
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    status_of(&mut stream)
}

/// Declares a body of 100 bytes, sends 10, and waits; the status.
fn stalled_body(addr: SocketAddr) -> u16 {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let head = "POST /dialoghook?dialog=parcel&platform=phoneV2 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n\
                Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"callMeta";
    stream.write_all(head.as_bytes()).unwrap();
    let started = Instant::now();
    let status = status_of(&mut stream);
    assert!(started.elapsed() < Duration::from_secs(5));
    status
}

fn status_of(stream: &mut TcpStream) -> u16 {
    let mut answer = [0u8; 12];
    stream.read_exact(&mut answer).expect("a status line");
    std::str::from_utf8(&answer[9..12])
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn a_slow_client_is_cut_off_at_the_read_timeout() {
    let (running, _) = guarded();
    let mut stream = TcpStream::connect(running.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"POST /dialoghook?dialog=parcel HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    // The server closes the connection (after a 408 or without a word) instead of waiting for the headers.
    let _ = stream.read_to_end(&mut rest);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "held for {:?}",
        started.elapsed()
    );
    drop(running);
}

#[test]
fn without_a_token_for_every_release_the_server_listens_on_loopback_only() {
    let said = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = Arc::clone(&said);
    let open = Engine::new(parcel_tracking::Flow::new(Backend)).with_release("parcel");
    let guarded = Engine::new(support_chat::Flow::new(Dynamic(NoServices))).with_release("support");
    let running = Server::new()
        .listen(SocketAddr::from(([0, 0, 0, 0], 0)))
        .log(move |line| log.lock().unwrap().push(line.to_owned()))
        .release(open)
        .release(guarded)
        .token("support", "t")
        .spawn()
        .unwrap();
    assert!(running.addr().ip().is_loopback(), "{}", running.addr());
    let said = said.lock().unwrap().join("\n");
    assert!(
        said.contains("no token for parcel: listening on loopback only"),
        "{said}"
    );
    drop(running);
    // With a token for each, the address given is kept.
    let running = Server::new()
        .listen(SocketAddr::from(([0, 0, 0, 0], 0)))
        .log(|_| {})
        .release(Engine::new(parcel_tracking::Flow::new(Backend)).with_release("parcel"))
        .token("parcel", "t")
        .spawn()
        .unwrap();
    assert!(running.addr().ip().is_unspecified());
}

#[test]
fn a_server_refuses_to_start_on_a_bad_configuration() {
    let parcel = || Engine::new(parcel_tracking::Flow::new(Backend)).with_release("parcel");
    let start = |server: Server| {
        server
            .listen(localhost())
            .log(|_| {})
            .spawn()
            .err()
            .map(|e| e.to_string())
    };
    assert_eq!(start(Server::new()).as_deref(), Some("no release to serve"));
    let twice = start(Server::new().release(parcel()).release(parcel())).unwrap();
    assert!(
        twice.contains("two engines report the release \"parcel\""),
        "{twice}"
    );
    let stray = start(Server::new().release(parcel()).token("other", "t")).unwrap();
    assert!(
        stray.contains("\"other\", which no engine serves"),
        "{stray}"
    );
    let empty = start(Server::new().release(parcel()).token("parcel", "")).unwrap();
    assert!(empty.contains("empty"), "{empty}");
}
