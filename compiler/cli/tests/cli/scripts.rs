//! `flowc check` and `flowc test` on conversation scripts: scripts are checked like flows, and a script with
//! errors is never played or recorded.

use std::path::PathBuf;

use super::common::{PIZZA, flowc, temp_dir, workspace};

/// A folder with the pizza flow, a clean script and one with the typos.
fn folder(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    std::fs::copy(workspace().join(PIZZA), dir.join("pizza.yaml")).unwrap();
    std::fs::write(
        dir.join("good.yaml"),
        "name: good\nflow_file: pizza.yaml\nservices:\n  placeOrder: { branch: placed, outputs: { orderId: A-1 } }\n\
         turns:\n  - welcome\n  - intent: OrderPizza\n    slots: { size: large }\n    expect: { state: loggedOrder }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("typos.yaml"),
        "name: typos\nflow_file: pizza.yaml\nservices:\n  placeOrdr: { branch: placed }\n  placeOrder: { branch: loged }\n\
         turns:\n  - welcome\n  - intent: OrderPizza\n",
    )
    .unwrap();
    dir
}

#[test]
fn check_reports_what_a_script_names_that_the_flow_lacks() {
    let out = flowc()
        .args(["check", "--format", "json"])
        .arg("compiler/tests/fixtures/bad_scripts/e050_e051_typos_in_stubs.yaml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, u64, u64)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [("E050".to_string(), 6, 3), ("E051".to_string(), 7, 25)]
    );
    assert_eq!(json[0]["help"], "did you mean `placeOrder`?");
}

#[test]
fn check_on_a_folder_checks_its_flows_and_scripts() {
    let dir = folder("check");
    let out = flowc().arg("check").arg(&dir).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("checked 1 flow file(s) and 2 conversation script(s): 2 error(s)"),
        "{stderr}"
    );
    assert!(stderr.contains("typos.yaml:4:3]"), "{stderr}");
    assert!(
        stderr.contains("`placeOrder` has: placed, rejected, error"),
        "{stderr}"
    );
    assert!(!stderr.contains("good.yaml"), "{stderr}");
    // The clean script alone passes.
    let out = flowc()
        .arg("check")
        .arg(dir.join("good.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn test_neither_plays_nor_records_a_script_with_errors() {
    let dir = folder("test");
    let out = flowc()
        .args(["test", "--update"])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("1 passed, 1 failed"), "{stdout}");
    assert!(
        stdout.contains("E050") && stdout.contains("E051"),
        "{stdout}"
    );
    let snapshots = dir.join("snapshots");
    assert!(snapshots.join("good.snap").exists());
    assert!(!snapshots.join("typos.snap").exists());
    assert!(!snapshots.join("typos.snap.new").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_script_whose_flow_has_errors_shows_the_flows_problems() {
    let dir = temp_dir("broken-flow");
    std::fs::write(
        dir.join("flow.yaml"),
        "flow: x\ndialogs:\n  main:\n    start: { say: hi, else: nowhere }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("script.yaml"),
        "name: s\nflow_file: flow.yaml\nturns:\n  - welcome\n",
    )
    .unwrap();
    let out = flowc()
        .arg("test")
        .arg(dir.join("script.yaml"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("E056"), "{stdout}");
    assert!(stdout.contains("E010"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}
