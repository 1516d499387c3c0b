//! The builder as a build script sees it: its cargo instructions, denied warnings, and the manifest.

use std::path::{Path, PathBuf};

use super::outputs::MANIFEST_FILE;
use super::*;

const WITH_WARNING: &str = "flow: support_hotline
intents:
  Goodbye: [\"bye\"]
  Complaint: [\"i want to complain\"]
dialogs:
  main:
    start:
      say: \"Welcome to support.\"
      on: { Goodbye: goodbye }
      else: goodbye
    blocks:
      goodbye:
        end: { say: \"Goodbye!\" }
";

fn clean(name: &str) -> &'static str {
    Box::leak(
        format!(
            "flow: {name}\ndialogs:\n  main:\n    start: {{ say: \"Hi\", else: bye }}\n    blocks:\n      bye:\n        end: {{}}\n"
        )
        .into_boxed_str(),
    )
}

/// A fresh folder with `flows/` holding the given files.
fn project(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowc-builder-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("flows")).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join("flows").join(name), text).unwrap();
    }
    dir
}

fn build(dir: &Path, builder: Builder) -> (Result<Vec<Generated>, BuildError>, String) {
    let mut instructions = Vec::new();
    let result = builder
        .compile_dir(dir.join("flows"))
        .out_dir(dir.join("out"))
        .compile_into(&mut instructions);
    (result, String::from_utf8(instructions).unwrap())
}

#[test]
fn warnings_are_cargo_warning_lines_with_location_and_code() {
    let dir = project("warn", &[("hotline.yaml", WITH_WARNING)]);
    let (result, instructions) = build(&dir, Builder::new());
    let generated = result.unwrap();
    assert_eq!(
        generated[0].warnings.len(),
        1,
        "{:?}",
        generated[0].warnings
    );
    let warnings: Vec<&str> = instructions
        .lines()
        .filter(|l| l.starts_with("cargo:warning="))
        .collect();
    assert_eq!(warnings.len(), 1, "{instructions}");
    assert!(
        warnings[0].contains("hotline.yaml:4:3: warning[W029]: "),
        "{instructions}"
    );
    assert!(warnings[0].contains("(help: "), "{instructions}");
    assert!(
        instructions.contains("cargo:rerun-if-changed="),
        "{instructions}"
    );
    // Off outside build scripts: nothing at all.
    let (_, quiet) = build(&dir, Builder::new().cargo_instructions(false));
    assert_eq!(quiet, "");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn denied_warnings_fail_the_build_with_the_rendered_warning() {
    let dir = project("deny", &[("hotline.yaml", WITH_WARNING)]);
    let (result, _) = build(&dir, Builder::new().deny_warnings(true));
    let message = result.unwrap_err().to_string();
    assert!(message.contains("warning[W029]"), "{message}");
    assert!(message.contains("deny_warnings"), "{message}");
    assert!(!dir.join("out/support_hotline.rs").exists());
    // A flow without warnings builds with warnings denied.
    let dir = project("deny-clean", &[("a.yaml", clean("a"))]);
    let (result, _) = build(&dir, Builder::new().deny_warnings(true));
    assert_eq!(result.unwrap().len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_deleted_flow_loses_its_generated_file() {
    let dir = project("stale", &[("a.yaml", clean("a")), ("b.yaml", clean("b"))]);
    build(&dir, Builder::new()).0.unwrap();
    assert!(dir.join("out/a.rs").exists() && dir.join("out/b.rs").exists());
    std::fs::remove_file(dir.join("flows/b.yaml")).unwrap();
    build(&dir, Builder::new()).0.unwrap();
    assert!(dir.join("out/a.rs").exists());
    assert!(!dir.join("out/b.rs").exists(), "b's module outlived b");
    let manifest = std::fs::read_to_string(dir.join("out").join(MANIFEST_FILE)).unwrap();
    assert!(
        manifest.contains("a\t") && !manifest.contains("b\t"),
        "{manifest}"
    );
    // A renamed flow: the old module goes, the new one comes.
    std::fs::write(dir.join("flows/a.yaml"), clean("renamed")).unwrap();
    build(&dir, Builder::new()).0.unwrap();
    assert!(!dir.join("out/a.rs").exists() && dir.join("out/renamed.rs").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn another_builders_flows_in_the_same_folder_are_kept() {
    let dir = project("shared", &[("a.yaml", clean("a"))]);
    std::fs::create_dir_all(dir.join("more")).unwrap();
    std::fs::write(dir.join("more/c.yaml"), clean("c")).unwrap();
    build(&dir, Builder::new()).0.unwrap();
    Builder::new()
        .flow(dir.join("more/c.yaml"))
        .out_dir(dir.join("out"))
        .compile_into(&mut Vec::new())
        .unwrap();
    build(&dir, Builder::new()).0.unwrap();
    assert!(dir.join("out/a.rs").exists() && dir.join("out/c.rs").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failed_build_removes_nothing() {
    let dir = project("failed", &[("a.yaml", clean("a")), ("b.yaml", clean("b"))]);
    build(&dir, Builder::new()).0.unwrap();
    std::fs::remove_file(dir.join("flows/b.yaml")).unwrap();
    std::fs::write(dir.join("flows/a.yaml"), "flow: a\ndialogs: 5\n").unwrap();
    assert!(build(&dir, Builder::new()).0.is_err());
    assert!(dir.join("out/b.rs").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
