//! The `flowc` binary: exit codes, formats and file discovery.

use std::path::{Path, PathBuf};
use std::process::Command;

fn flowc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_flowc"));
    c.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    c.env("NO_COLOR", "1");
    c
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowc-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

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
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../flows")).unwrap()
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
