//! `flowc test PATH`: checks conversation scripts against their flows, plays them with the interpreter and
//! compares their transactions with the stored snapshots.

use std::path::{Path, PathBuf};

use flowc::interpret::Interpreter;
use flowc::script::{CheckedScript, StubServices};
use flowc::snapshot::{self, Comparison};
use flowc_runtime::Engine;

use super::Outcome;

/// Arguments of `flowc test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scripts, or folders searched for them (YAML with a top-level `turns:` and no `flow:`).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Accept the new transactions as the snapshots.
    #[arg(long)]
    update: bool,
}

/// Runs every script.
pub fn run(args: Args) -> Outcome {
    let scripts = match find_scripts(&args.paths) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Outcome::Trouble;
        }
    };
    let (mut passed, mut failed) = (0, 0);
    for path in scripts {
        match run_one(&path, args.update) {
            Ok(()) => {
                println!("ok      {}", path.display());
                passed += 1;
            }
            Err(report) => {
                println!("FAILED  {}\n{report}", path.display());
                failed += 1;
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        Outcome::Failed
    } else {
        Outcome::Clean
    }
}

/// Checks one script against its flow, plays it and compares (or updates) its snapshot. A script with errors
/// is not played: a misspelt stub or branch would take the `error` path, and `--update` would record it.
pub fn run_one(path: &Path, update: bool) -> Result<(), String> {
    let checked =
        flowc::script::check_file(path).map_err(|e| format!("  {}: {e}", path.display()))?;
    // The report goes to stdout with the other results, so it is drawn without colour.
    let style = flowc::render::Style::Plain;
    let (script, ir) = match checked {
        CheckedScript {
            script: Some(script),
            flow: Some(ir),
            ..
        } if !checked.has_errors() => (script, ir),
        _ => {
            let mut report = checked.render(style);
            if let Some(flow) = &checked.flow_problems {
                report.push_str(&flow.render(style));
            }
            return Err(report);
        }
    };
    let services = StubServices::new(script.services.clone());
    let engine = Engine::new(Interpreter::new(ir.clone(), services)).deterministic();
    let stubs = |engine: &Engine<Interpreter<StubServices>>| engine.flow().services().take_calls();
    let played = flowc::script::play(&engine, &script, &ir, &|| stubs(&engine))
        .map_err(|e| format!("  {e}"))?;
    let mut report = String::new();
    for failure in &played.failures {
        report.push_str(&format!("  assertion: {failure}\n"));
    }
    let text = snapshot::render(&path.display().to_string(), &played.transactions)?;
    let snap = script.snapshot_path();
    match snapshot::compare(&snap, &text) {
        Comparison::Same => {}
        _ if update => {
            if let Some(dir) = snap.parent() {
                std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
            }
            std::fs::write(&snap, &text).map_err(|e| format!("  {}: {e}", snap.display()))?;
            let _ = std::fs::remove_file(snap.with_extension("snap.new"));
        }
        Comparison::Missing => {
            write_pending(&snap, &text);
            report.push_str(&format!(
                "  no snapshot at {} (run with --update to accept)\n",
                snap.display()
            ));
        }
        Comparison::Differs(diff) => {
            write_pending(&snap, &text);
            report.push_str(&format!(
                "  transactions differ from {} (review with `cargo insta review` or rerun with --update):\n{diff}",
                snap.display()
            ));
        }
    }
    if report.is_empty() {
        Ok(())
    } else {
        Err(report)
    }
}

/// Leaves the new snapshot beside the old one for `cargo insta review`.
fn write_pending(snap: &Path, text: &str) {
    if let Some(dir) = snap.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = std::fs::write(snap.with_extension("snap.new"), text);
}

fn find_scripts(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    flowc::files::expand(paths, &flowc::script::looks_like_script)
}
