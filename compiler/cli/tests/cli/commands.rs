//! The `flowc` binary: exit codes, formats and file discovery.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::common::{flowc, temp_dir};

#[test]
fn shipped_flows_are_clean_even_with_warnings_denied() {
    let out = flowc()
        .args(["check", "--deny-warnings", "flows"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn errors_exit_1_and_json_lists_them() {
    let out = flowc()
        .args([
            "check",
            "--format",
            "json",
            "compiler/tests/fixtures/bad/e010_unknown_target.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &json[0];
    assert_eq!(first["code"], "E010");
    assert_eq!(first["severity"], "error");
    assert!(first["line"].as_u64().unwrap() > 0);
    assert!(
        first["file"]
            .as_str()
            .unwrap()
            .ends_with("e010_unknown_target.yaml")
    );
}

#[test]
fn warnings_pass_unless_denied() {
    let dir = temp_dir("warn");
    let file = dir.join("warn.yaml");
    std::fs::write(
        &file,
        "flow: warn\nintents:\n  Unused: []\ndialogs:\n  main:\n    start: { say: hi, else: bye }\n    blocks:\n      bye:\n        end: {}\n",
    )
    .unwrap();
    let plain = flowc().arg("check").arg(&file).output().unwrap();
    assert_eq!(plain.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&plain.stderr).contains("W029"));
    let denied = flowc()
        .arg("check")
        .arg("--deny-warnings")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(denied.status.code(), Some(1));
}

#[test]
fn folders_skip_yaml_that_is_not_a_flow() {
    let dir = temp_dir("mixed");
    std::fs::write(dir.join("config.yaml"), "name: not a flow\nitems: [1, 2]\n").unwrap();
    std::fs::write(dir.join("broken.yml"), "flow: x\ndialogs: [\n").unwrap();
    let out = flowc().arg("check").arg(&dir).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("broken.yml"));
    assert!(!stderr.contains("config.yaml"));
    assert!(stderr.contains("checked 1 flow file(s)"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn missing_files_and_bad_usage_exit_2() {
    let out = flowc()
        .args(["check", "no/such/file.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/file.yaml"));
    let out = flowc().args(["check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = flowc().args(["frobnicate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn graph_draws_every_shipped_flow() {
    for entry in
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../flows")).unwrap()
    {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        if !flowc::parse::looks_like_flow(&text) {
            continue;
        }
        for format in ["mermaid", "dot"] {
            let out = flowc()
                .arg("graph")
                .arg(&path)
                .args(["--format", format])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(0));
            let text = String::from_utf8(out.stdout).unwrap();
            assert!(text.contains("dialog main"), "{text}");
        }
    }
}

#[test]
fn conversation_scripts_match_their_snapshots() {
    let out = flowc()
        .args(["test", "flows/conversations"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

#[test]
fn requests_replay_reports_bad_lines_and_goes_on() {
    let dir = temp_dir("requests");
    let requests = dir.join("requests.jsonl");
    let meta = r#"{"callId":"c","callerId":"+49","sessionId":"s1"}"#;
    std::fs::write(
        &requests,
        format!(
            "{{\"callMeta\":{meta},\"event\":\"WELCOME\"}}\nnot json\n{{\"event\":\"WELCOME\"}}\n{{\"callMeta\":{meta},\"event\":\"RING\"}}\n{{\"callMeta\":{meta},\"event\":\"HANGUP\"}}\n"
        ),
    )
    .unwrap();
    let out = flowc()
        .args(["run", "flows/minimal.yaml", "--deterministic", "--requests"])
        .arg(&requests)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in [":2:", ":3:", ":4:"] {
        assert!(stderr.contains(line), "{stderr}");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let transactions: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(transactions.len(), 2);
    assert_eq!(transactions[1]["intent"]["name"], "PARLOA.EndConversation");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn simulator_plays_typed_lines() {
    use std::io::Write;
    let mut child = flowc()
        .args(["run", "flows/parcel_tracking.yaml"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"where is my parcel\n/intent ProvideNumber number=12345678\n/silence\n/quit\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("── turn 2 ── TrackParcel"), "{stdout}");
    assert!(
        stdout.contains("variable  trackingNumber: \"\" → \"12345678\""),
        "{stdout}"
    );
    assert!(stdout.contains("PARLOA.NoInput"), "{stdout}");
    assert!(stdout.contains("PARLOA.EndConversation"), "{stdout}");
    assert!(
        stdout.contains("request   text \"where is my parcel\", intent TrackParcel"),
        "{stdout}"
    );
}

/// One request a [`Receiver`] got: its headers (lowercase `name: value`) and body.
type Request = (Vec<String>, Vec<u8>);

/// A real HTTP receiver on 127.0.0.1. It answers 500 to a batch holding the transaction `poison` and 400 to
/// one holding `refuse-me` until `accept_all` is set, 200 otherwise; it logs what it answered 2xx.
struct Receiver {
    url: String,
    accept_all: std::sync::Arc<std::sync::atomic::AtomicBool>,
    delivered: std::sync::Arc<std::sync::Mutex<Vec<Request>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Receiver {
    fn start() -> Self {
        use std::sync::atomic::Ordering;
        let server = tiny_http::Server::http("127.0.0.1:0").expect("binds 127.0.0.1");
        let port = server.server_addr().to_ip().expect("an IP").port();
        let accept_all = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let delivered = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let thread = {
            let (accept_all, delivered, stop) =
                (accept_all.clone(), delivered.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let Ok(Some(mut request)) =
                        server.recv_timeout(std::time::Duration::from_millis(20))
                    else {
                        continue;
                    };
                    let mut body = Vec::new();
                    let _ = request.as_reader().read_to_end(&mut body);
                    let text = String::from_utf8_lossy(&body);
                    let status = if accept_all.load(Ordering::Relaxed) {
                        200
                    } else if text.contains(r#""poison""#) {
                        500
                    } else if text.contains(r#""refuse-me""#) {
                        400
                    } else {
                        200
                    };
                    if status == 200 {
                        let headers = request
                            .headers()
                            .iter()
                            .map(|h| format!("{}: {}", h.field, h.value).to_ascii_lowercase())
                            .collect();
                        delivered.lock().unwrap().push((headers, body));
                    }
                    let _ = request.respond(tiny_http::Response::empty(status));
                }
            })
        };
        Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            accept_all,
            delivered,
            stop,
            thread: Some(thread),
        }
    }

    /// Transaction ids of the batches answered 2xx, in order.
    fn delivered_ids(&self) -> Vec<String> {
        self.delivered
            .lock()
            .unwrap()
            .iter()
            .flat_map(|(_, body)| serde_json::from_slice::<Vec<serde_json::Value>>(body).unwrap())
            .map(|tx| tx["transactionId"].as_str().unwrap().to_owned())
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn webhook_replay_resends_rejected_and_dead_letter_batches() {
    use flowc_runtime::webhook::RetryPolicy;
    use flowc_runtime::{AnalyticsSink, WebhookConfig, WebhookSink};
    use std::time::Duration;

    let receiver = Receiver::start();
    let dir = temp_dir("webhook-replay");
    let spool = dir.join("spool");
    let sink = WebhookSink::new(
        WebhookConfig::new(receiver.url.as_str(), &spool)
            .batch_size(2)
            .max_delay(Duration::from_millis(20))
            .max_attempts(2)
            .retry(RetryPolicy {
                initial: Duration::from_millis(10),
                max: Duration::from_millis(50),
                max_retry_after: Duration::from_secs(1),
            }),
    )
    .unwrap();
    // Batches of two: refused at once (400), then the poison one (500 every time), then five fine ones.
    let ids = [
        "refuse-me",
        "a",
        "poison",
        "b",
        "c",
        "d",
        "e",
        "f",
        "g",
        "h",
        "i",
        "j",
    ];
    for id in ids {
        sink.record_json(format!(r#"{{"transactionId":"{id}"}}"#).as_bytes())
            .unwrap();
    }
    assert!(sink.flush_within(Duration::from_secs(10)).unwrap());
    let stats = sink.stats();
    assert_eq!((stats.sent, stats.failed, stats.dead_lettered), (8, 2, 2));
    drop(sink);
    assert_eq!(
        receiver.delivered_ids(),
        ids[4..],
        "later batches went through"
    );
    assert_eq!(
        names_in(&spool.join("rejected")),
        ["00000000000000000001.jsonl"]
    );
    assert_eq!(
        names_in(&spool.join("dead-letter")),
        ["00000000000000000002.jsonl"]
    );

    let replay = || {
        flowc()
            .args(["webhook-replay", spool.to_str().unwrap(), &receiver.url])
            .args(["-H", "X-Team: parcel"])
            .output()
            .unwrap()
    };
    // Still refused: reported per file, nothing deleted, exit 1.
    let out = replay();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "left  rejected/00000000000000000001.jsonl (2 transaction(s)): HTTP 400",
            "left  dead-letter/00000000000000000002.jsonl (2 transaction(s)): HTTP 500",
        ]
    );
    assert_eq!(names_in(&spool.join("rejected")).len(), 1);
    assert_eq!(names_in(&spool.join("dead-letter")).len(), 1);

    // Accepted: sent oldest first with the headers, the folders emptied, exit 0.
    receiver
        .accept_all
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let out = replay();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "sent  rejected/00000000000000000001.jsonl (2 transaction(s))",
            "sent  dead-letter/00000000000000000002.jsonl (2 transaction(s))",
        ]
    );
    assert!(names_in(&spool.join("rejected")).is_empty());
    assert!(names_in(&spool.join("dead-letter")).is_empty());
    let delivered = receiver.delivered_ids();
    assert_eq!(delivered[delivered.len() - 4..], ids[..4]);
    let last = receiver.delivered.lock().unwrap().last().cloned().unwrap();
    assert!(
        last.0.contains(&"x-team: parcel".to_owned()),
        "{:?}",
        last.0
    );

    // Nothing left: still exit 0. No spool, or a bad URL: exit 2.
    assert_eq!(replay().status.code(), Some(0));
    let missing = dir.join("no-such-spool");
    let out = flowc()
        .args(["webhook-replay", missing.to_str().unwrap(), &receiver.url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-spool"));
    let out = flowc()
        .args(["webhook-replay", spool.to_str().unwrap(), "not a url"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid webhook URL"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_label_past_column_65535_does_not_crash_check_or_build() {
    let dir = temp_dir("wide");
    let flow = dir.join("wide.yaml");
    std::fs::write(&flow, format!("    {}:", "k".repeat(65_532))).unwrap();
    for command in ["check", "build"] {
        let out = flowc().arg(command).arg(&flow).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{command}: {stderr}");
        assert!(stderr.contains("E001"), "{command}: {stderr}");
    }
}

#[test]
fn a_latin1_flow_in_a_folder_is_located_and_the_other_files_are_still_checked() {
    let dir = temp_dir("latin1");
    // Sorted first, so a read error would stop the folder before the other file.
    std::fs::write(
        dir.join("a_begruessung.yaml"),
        b"flow: begruessung\ndialogs:\n  main:\n    start: { say: \"Gr\xfc\xdf Gott\", else: start }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("b_broken.yaml"),
        "flow: x\ndialogs:\n  main:\n    start: { say: \"Grüß Gott\", else: nowhere }\n",
    )
    .unwrap();
    let out = flowc()
        .args(["check", "--format", "json"])
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, String, u64, u64, String)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let file = d["file"].as_str().unwrap();
            let name = file.rsplit(['/', '\\']).next().unwrap().to_string();
            let field = |k: &str| d[k].as_u64().unwrap();
            (
                name,
                d["code"].as_str().unwrap().to_string(),
                field("line"),
                field("column"),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(
        found[0],
        (
            "a_begruessung.yaml".to_string(),
            "E042".to_string(),
            4,
            22,
            "the file is not UTF-8: byte 0xFC at byte offset 56, the first of 2 bytes that are not"
                .to_string()
        )
    );
    assert_eq!(
        (found[1].0.as_str(), found[1].1.as_str()),
        ("b_broken.yaml", "E010")
    );
    // The people's format draws the Latin-1 line too, with the bad byte replaced.
    let out = flowc().arg("check").arg(&dir).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("E042") && stderr.contains("E010"),
        "{stderr}"
    );
    assert!(
        stderr.contains("checked 2 flow file(s): 2 error(s)"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_reader_that_closes_the_pipe_early_does_not_crash_check() {
    let dir = temp_dir("pipe");
    let flow = dir.join("long.yaml");
    // The message names the 2 MB target, far more than a pipe buffers: the write must meet the closed end.
    let target = "b".repeat(2_000_000);
    std::fs::write(
        &flow,
        format!("flow: x\ndialogs:\n  main:\n    start: {{ say: hi, else: {target} }}\n"),
    )
    .unwrap();
    let mut child = flowc()
        .args(["check", "--format", "json"])
        .arg(&flow)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2), "{status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn run_with_a_webhook_says_how_to_resend_what_the_receiver_refused() {
    let receiver = Receiver::start();
    let dir = temp_dir("run-refused");
    let requests = dir.join("requests.jsonl");
    let meta = r#"{"callId":"c","callerId":"+49","sessionId":"s1"}"#;
    // The receiver answers 400 to a batch holding the text "refuse-me".
    std::fs::write(
        &requests,
        format!(
            "{{\"callMeta\":{meta},\"event\":\"WELCOME\"}}\n{{\"callMeta\":{meta},\"text\":\"refuse-me\"}}\n"
        ),
    )
    .unwrap();
    let spool = dir.join("spool");
    let out = flowc()
        .args(["run", "flows/minimal.yaml", "--deterministic", "--requests"])
        .arg(&requests)
        .args(["--webhook", &receiver.url, "--spool"])
        .arg(&spool)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("refused with HTTP 400"), "{stderr}");
    assert!(
        stderr.contains("`flowc webhook-replay` sends them again"),
        "{stderr}"
    );
    assert_eq!(names_in(&spool.join("rejected")).len(), 1, "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn schema_prints_the_flow_and_script_schemas() {
    for (kind, schema) in [
        ("flow", flowc::schema::FLOW),
        ("script", flowc::schema::SCRIPT),
    ] {
        let out = flowc().args(["schema", kind]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{kind}");
        assert_eq!(String::from_utf8(out.stdout).unwrap(), schema, "{kind}");
    }
    let out = flowc().args(["schema", "flows"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("possible values: flow, script"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `flowc init` then `cargo test` in the new crate: green on the first run; then a changed prompt fails with
/// a one-line view diff and leaves a `.snap.new` for `cargo insta review`. The new crate builds in the
/// workspace's target folder (cargo holds its lock while building, not while tests run), with the workspace's
/// Cargo.lock copied in, so it reuses the dependencies the workspace built: about 20 s instead of 90 s from a
/// clean clone.
#[test]
fn init_scaffolds_a_crate_whose_cargo_test_passes_first_time() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = temp_dir("init").join("pizza-bot");
    let out = flowc()
        .args(["init", "pizza-bot", "--path"])
        .arg(&dir)
        .arg("--flowc-path")
        .arg(&repo)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::copy(repo.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("target"));
    let cargo_test = || {
        Command::new(env!("CARGO"))
            .arg("test")
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", &target)
            .env("INSTA_UPDATE", "new")
            .env_remove("CI")
            .output()
            .unwrap()
    };
    let first = cargo_test();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&first.stdout),
        String::from_utf8_lossy(&first.stderr),
    );
    assert!(first.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("test conversations ... ok"), "{stdout}");
    assert!(
        !stderr.contains("warning"),
        "the scaffold builds with warnings:\n{stderr}"
    );

    let flow = dir.join("flows/pizza-bot.yaml");
    let text = std::fs::read_to_string(&flow).unwrap();
    std::fs::write(
        &flow,
        text.replace("is on its way", "will be with you soon"),
    )
    .unwrap();
    let second = cargo_test();
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(!second.status.success(), "{stdout}");
    assert!(
        stdout.contains("+ says:     Your large pizza will be with you soon"),
        "{stdout}"
    );
    assert!(
        dir.join("flows/conversations/snapshots/order_a_pizza.snap.new")
            .exists()
    );
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

#[test]
fn init_refuses_a_bad_name_and_a_full_folder() {
    let dir = temp_dir("init-refuse");
    let out = flowc()
        .args(["init", "9lives", "--path"])
        .arg(dir.join("x"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a usable crate name"));
    std::fs::write(dir.join("taken"), "").unwrap();
    let out = flowc()
        .args(["init", "bot", "--path"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not empty"));
}
