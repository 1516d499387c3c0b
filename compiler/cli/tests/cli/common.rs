//! What every test of the binary needs: the binary, run from the workspace root, and a fresh folder.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The `flowc` binary, run from the workspace root (the paths in the tests name the shipped files from
/// there), without colour.
pub fn flowc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_flowc"));
    c.current_dir(workspace());
    c.env("NO_COLOR", "1");
    c
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// An empty folder of this test's own (`name` is unique across the binary's tests).
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowc-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The small pizza flow the script and simulator tests play.
pub const PIZZA: &str = "compiler/tests/fixtures/bad_scripts/flows/pizza.yaml";
