//! `flowc run`: the simulator fills slots from sample utterances and asks for (or says how to stub) services
//! without a stub; `--stubs` scripts are checked against the flow; `--requests` reports the request fields a
//! turn does not read.

use std::io::Write;
use std::process::{Output, Stdio};

use super::common::{PIZZA, flowc, temp_dir};

/// Runs `flowc run ARGS`, typing `input` (piped: stdin is not a terminal).
fn simulate(args: &[&str], input: &str) -> Output {
    let mut child = flowc()
        .arg("run")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn typed_text_fills_the_slots_of_a_sample_with_placeholders() {
    let out = simulate(&[PIZZA], "large please\n/quit\n");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            r#"request   text "large please", intent OrderPizza, slots [{"entity":"size","value":"large"}]"#
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#"variable  size: "" → "large""#),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#"("{size} please" of OrderPizza: size=large)"#),
        "{stdout}"
    );
}

#[test]
fn a_sample_of_placeholders_only_does_not_choose_an_intent_and_says_so() {
    let out = simulate(&["flows/parcel_tracking.yaml"], "12345678\n/quit\n");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("── turn 2 ── PARLOA.Fallback"), "{stdout}");
    assert!(
        stdout.contains("send `/intent ProvideNumber number=…`"),
        "{stdout}"
    );
}

#[test]
fn a_service_without_a_stub_says_once_how_to_pass_stubs() {
    let out = simulate(&[PIZZA], "large please\n/welcome\nmedium please\n/quit\n");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.matches("pass `--stubs SCRIPT`").count(),
        1,
        "{stdout}"
    );
    assert!(
        stdout.contains("service `placeOrder` has no stub, so it takes the `error` branch"),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("no stub for service `placeOrder`").count(),
        2,
        "{stdout}"
    );
}

#[test]
fn asked_for_a_branch_and_outputs_the_simulator_plays_them() {
    let out = simulate(
        &["--ask-services", PIZZA],
        "large please\nplacd\nplaced\norderId=A 17\n/quit\n",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("which branch does it answer? [placed, rejected, error]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("`placd` is not a branch of `placeOrder`"),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#"bot       "Order A 17 is on its way.""#),
        "{stdout}"
    );
    assert!(
        stdout.contains("state     Welcome → Order placed"),
        "{stdout}"
    );
}

#[test]
fn answering_error_or_nothing_takes_the_error_branch() {
    let out = simulate(&["--ask-services", PIZZA], "large please\nerror\n/quit\n");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(r#"bot       "Bye.""#), "{stdout}");
    assert!(stdout.contains("chose `error`"), "{stdout}");
    // The input ends while the simulator asks: the call fails, nothing hangs.
    let out = simulate(&["--ask-services", PIZZA], "large please\n");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("chose `error`"));
}

#[test]
fn stubs_are_checked_against_the_flow_being_run() {
    let out = simulate(
        &[
            "--stubs",
            "compiler/tests/fixtures/bad_scripts/e050_e051_typos_in_stubs.yaml",
            PIZZA,
        ],
        "",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("E050") && stderr.contains("E051"),
        "{stderr}"
    );
    // A script whose stubs fit is used.
    let dir = temp_dir("stubs");
    let stubs = dir.join("stubs.yaml");
    std::fs::write(
        &stubs,
        "name: stubs\nflow_file: other.yaml\nservices:\n  placeOrder: { branch: placed, outputs: { orderId: B-2 } }\nturns: [welcome]\n",
    )
    .unwrap();
    let out = simulate(
        &["--stubs", stubs.to_str().unwrap(), PIZZA],
        "large please\n/quit\n",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Order B-2 is on its way."), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn requests_replay_reports_each_ignored_field_once() {
    let dir = temp_dir("ignored");
    let requests = dir.join("requests.jsonl");
    let meta = r#""callMeta":{"callId":"c","callerId":"+49","sessionId":"s1","instanceId":"i"}"#;
    let order = format!(
        r#"{{{meta},"text":"large please","intent":{{"name":"OrderPizza","slots":[{{"entity":"size","value":"large"}}]}}}}"#
    );
    std::fs::write(
        &requests,
        format!(
            "{{{meta},\"event\":\"WELCOME\"}}\n{order}\n{order}\n{{{meta},\"event\":\"HANGUP\",\"errorMessage\":\"x\"}}\n"
        ),
    )
    .unwrap();
    let out = flowc()
        .args(["run", PIZZA, "--deterministic", "--requests"])
        .arg(&requests)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let file = requests.display().to_string();
    for expected in [
        format!(
            "warning: {file}:2: `intent.slots` is not a field of the request; the turn ignores it (kept in the transaction's request); slots go in the request's top-level `slots`"
        ),
        format!("note: {file}:2: `text` is not read by this turn"),
        format!("note: {file}:1: `callMeta.instanceId` is not read by the turn"),
        format!("warning: {file}:4: `errorMessage` is not a field of the request"),
    ] {
        assert!(stderr.contains(&expected), "{expected}\n--\n{stderr}");
    }
    assert_eq!(stderr.matches("`intent.slots`").count(), 1, "{stderr}");
    assert!(!stderr.contains(":3:"), "{stderr}");
    // The requests still play, and the transactions keep the fields the turn ignored.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 4);
    assert!(
        stdout.contains(r#""slots":[{"entity":"size","value":"large"}]}"#),
        "{stdout}"
    );
    // The same requests with the slots where the runtime reads them: size is filled and nothing is ignored.
    let fixed = format!(
        "{{{meta},\"event\":\"WELCOME\"}}\n{{\"callMeta\":{{\"sessionId\":\"s1\"}},\"intent\":{{\"name\":\"OrderPizza\"}},\"slots\":[{{\"entity\":\"size\",\"value\":\"large\"}}]}}\n"
    );
    std::fs::write(&requests, fixed).unwrap();
    let out = flowc()
        .args(["run", PIZZA, "--deterministic", "--requests"])
        .arg(&requests)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("warning"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains(r#""value":"large""#));
    let _ = std::fs::remove_dir_all(&dir);
}
