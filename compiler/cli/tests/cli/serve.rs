//! `flowc serve` as a process: SIGTERM lets the turns in flight finish and exits 0; SIGKILL loses no
//! transaction the server acknowledged (the webhook spool holds every one); two processes on one Redis
//! share the calls, and one finishes them when the other is killed.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::common::temp_dir;

/// A phone flow whose intent `Check` calls the HTTP service at `url` and then says "Checked."
fn slow_flow(dir: &Path, url: &str) -> PathBuf {
    let path = dir.join("slow.yaml");
    let flow = format!(
        r#"flow: slow
release: slow-1
platforms: [phoneV2]
intents:
  Check: ["check"]
services:
  check:
    branches: [ok]
    http: {{ url: "{url}", timeout_ms: 20000 }}
dialogs:
  main:
    start:
      name: Conversation start
      say: "Hello."
      on:
        Check: call
    blocks:
      call:
        service: check
        on: {{ ok: checked, error: checked }}
      checked:
        state:
          name: Checked
          say: "Checked."
          on:
            Check: call
"#
    );
    std::fs::write(&path, flow).unwrap();
    path
}

/// A `flowc serve` process, killed if a test fails before it ends.
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `flowc serve ARGS… --listen 127.0.0.1:0`, and the address it says it serves on.
fn serve(args: &[&str]) -> (Serving, SocketAddr, mpsc::Receiver<String>) {
    let child = Command::new(env!("CARGO_BIN_EXE_flowc"))
        .arg("serve")
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Serving(child);
    let (lines, said) = mpsc::channel();
    let stderr = child.0.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = said
            .recv_timeout(left)
            .expect("flowc serve says where it listens");
        if let Some(rest) = line.split(" on http://").nth(1) {
            let addr = rest.trim_end_matches("/dialoghook").parse().unwrap();
            return (child, addr, said);
        }
    }
}

fn signal(child: &Serving, name: &str) {
    let status = Command::new("kill")
        .args([name, &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn turn(agent: &ureq::Agent, addr: SocketAddr, release: &str, body: &str) -> (u16, String) {
    let url = format!("http://{addr}/dialoghook?dialog={release}&platform=phoneV2");
    let mut response = agent
        .post(&url)
        .header("Content-Type", "application/json")
        .send(body)
        .unwrap();
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().unwrap())
}

fn phone(session: &str, rest: &str) -> String {
    format!(
        r#"{{"callMeta":{{"callId":"{session}","callerId":"+49151","sessionId":"{session}"}},{rest}}}"#
    )
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn sigterm_finishes_the_turns_in_flight_flushes_and_exits_0() {
    let dir = temp_dir("sigterm");
    // The service answers only when the test says so, so a turn is in flight when SIGTERM comes.
    let service = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/check",
        service.server_addr().to_ip().unwrap().port()
    );
    let (called, call_arrived) = mpsc::channel();
    let (answer, may_answer) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        if let Ok(request) = service.recv() {
            called.send(()).unwrap();
            may_answer.recv().unwrap();
            let body = r#"{"choice":"ok","output":{}}"#;
            let _ = request.respond(tiny_http::Response::from_string(body));
        }
    });
    let flow = slow_flow(&dir, &url);
    let out = dir.join("out.jsonl");
    let (child, addr, stderr) = serve(&[flow.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    let agent = client();
    assert_eq!(
        turn(&agent, addr, "slow-1", &phone("c1", r#""event":"WELCOME""#)).0,
        200
    );
    let in_flight = std::thread::spawn(move || {
        let said = r#""text":"check","intent":{"name":"Check"}"#;
        turn(&client(), addr, "slow-1", &phone("c1", said))
    });
    call_arrived
        .recv_timeout(Duration::from_secs(20))
        .expect("the service is called");
    signal(&child, "-TERM");
    // No new connection is taken once the signal is handled, while the turn is still in flight.
    wait_for("the listener to close", || {
        TcpStream::connect(addr).is_err()
    });
    assert!(!in_flight.is_finished());
    answer.send(()).unwrap();
    let (status, body) = in_flight.join().unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Checked."), "{body}");
    let mut child = child;
    assert_eq!(child.0.wait().unwrap().code(), Some(0));
    let log: Vec<String> = stderr.try_iter().collect();
    assert!(log.iter().any(|l| l.contains("shutting down")), "{log:?}");
    let lines = std::fs::read_to_string(&out).unwrap();
    let intents: Vec<String> = lines
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["intent"]["name"].to_string()
        })
        .collect();
    assert_eq!(intents, ["\"PARLOA.Welcome\"", "\"Check\""]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigkill_loses_no_transaction_the_server_acknowledged() {
    let dir = temp_dir("sigkill");
    let spool = dir.join("spool");
    // A webhook receiver that is down: every transaction waits in the spool.
    let down = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hook = format!("http://{}/hook", down.local_addr().unwrap());
    drop(down);
    let flow = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../flows/minimal.yaml");
    let (mut child, addr, _stderr) = serve(&[
        flow.to_str().unwrap(),
        "--webhook",
        &hook,
        "--spool",
        spool.to_str().unwrap(),
    ]);
    let agent = client();
    let mut acknowledged = Vec::new();
    for call in 0..10 {
        let session = format!("call-{call}");
        for rest in [r#""event":"WELCOME""#, r#""text":"hello""#] {
            let (status, body) = turn(&agent, addr, "xxx", &phone(&session, rest));
            assert_eq!(status, 200, "{body}");
            acknowledged.push(session.clone());
        }
    }
    signal(&child, "-KILL");
    child.0.wait().unwrap();
    let mut spooled = Vec::new();
    for entry in std::fs::read_dir(&spool).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let tx: serde_json::Value = serde_json::from_str(line).unwrap();
                spooled.push(
                    tx["request"]["callMeta"]["sessionId"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                );
            }
        }
    }
    spooled.sort();
    acknowledged.sort();
    assert_eq!(spooled, acknowledged);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The Redis of `FLOWC_TEST_REDIS` (`.ci/run` starts one), or a `redis-server` of this test's own on a free
/// port (killed when dropped); fails saying so when there is neither.
fn redis() -> (String, Option<Serving>) {
    if let Ok(url) = std::env::var("FLOWC_TEST_REDIS")
        && !url.is_empty()
    {
        return (url, None);
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let child = Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .expect("this test needs redis-server (or FLOWC_TEST_REDIS=redis://HOST:PORT/; .ci/run sets it)");
    let child = Serving(child);
    wait_for("redis-server", || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    (format!("redis://127.0.0.1:{port}/"), Some(child))
}

#[test]
fn two_processes_on_one_redis_share_the_calls_and_one_finishes_them_when_the_other_is_killed() {
    let (url, _redis) = redis();
    let dir = temp_dir("redis");
    let flow = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../flows/minimal.yaml");
    let (a_out, b_out) = (dir.join("a.jsonl"), dir.join("b.jsonl"));
    let instance = |out: &Path| {
        serve(&[
            flow.to_str().unwrap(),
            "--redis",
            &url,
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let (mut a, a_addr, _a_stderr) = instance(&a_out);
    let (_b, b_addr, _b_stderr) = instance(&b_out);
    let agent = client();
    let calls: Vec<String> = (0..20)
        .map(|i| format!("redis-{}-{i}", std::process::id()))
        .collect();
    // Turns alternate between the two processes: the WELCOME on one, the next turn on the other.
    for (i, call) in calls.iter().enumerate() {
        let addrs = [a_addr, b_addr];
        for (t, rest) in [r#""event":"WELCOME""#, r#""text":"hello""#]
            .iter()
            .enumerate()
        {
            let (status, body) = turn(&agent, addrs[(i + t) % 2], "xxx", &phone(call, rest));
            assert_eq!(status, 200, "{body}");
        }
    }
    signal(&a, "-KILL");
    a.0.wait().unwrap();
    // The survivor plays every call on from where the two of them left it, and ends it.
    for call in &calls {
        for rest in [r#""text":"hello""#, r#""event":"HANGUP""#] {
            let (status, body) = turn(&agent, b_addr, "xxx", &phone(call, rest));
            assert_eq!(status, 200, "{body}");
        }
    }
    let read = |path: &Path| -> Vec<serde_json::Value> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let (a_tx, b_tx) = (read(&a_out), read(&b_out));
    assert_eq!((a_tx.len(), b_tx.len()), (20, 60));
    for call in &calls {
        let of_call: Vec<&serde_json::Value> = a_tx
            .iter()
            .chain(&b_tx)
            .filter(|t| t["request"]["callMeta"]["sessionId"] == call.as_str())
            .collect();
        assert_eq!(of_call.len(), 4, "{call}");
        // One conversation across both processes: one analytics id, and the last turn ended it.
        assert!(
            of_call
                .iter()
                .all(|t| t["userContextId"] == of_call[0]["userContextId"])
        );
        assert_eq!(of_call.last().unwrap()["request"]["event"], "HANGUP");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
