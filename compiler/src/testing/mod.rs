//! Snapshot tests of conversation scripts, through any engine: the interpreter (`flowc test`) or the engine
//! your build script generated (your own `cargo test`). Both compare with the same snapshot files, so one
//! snapshot set serves both engines.
//!
//! ```ignore
//! // tests/conversations.rs in a crate whose build.rs generates the flow `pizza` (the crate `flowc init`
//! // scaffolds has this test, and compiles it in the CLI's tests)
//! use flowc_runtime::Dynamic;
//!
//! #[test]
//! fn conversations() {
//!     // Every script under flows/conversations that plays the flow `pizza`, with the scripts' service stubs;
//!     // `|_| pizza::Flow::new(MyBackend)` plays them against your own services instead.
//!     flowc::testing::Conversations::new("flows/conversations")
//!         .assert(|stubs| pizza::Flow::new(Dynamic(stubs)));
//! }
//! ```
//!
//! A script's snapshot is `snapshots/<script stem>.snap` beside it, in insta's format: by default the
//! conversation view (a short transcript per turn, see [`crate::snapshot::view`]), or the full transactions
//! with `snapshot: full` in the script. Engines run deterministically (fixed clock, sequential ids). On a
//! mismatch the new snapshot is left beside the old as `.snap.new` for `cargo insta review`, like insta does;
//! `INSTA_UPDATE=always` accepts it at once, `INSTA_UPDATE=no` (and CI) writes nothing.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flowc_runtime::{DynamicServices, ServiceError, ServiceReply};
use flowc_runtime::{Engine, Flow, TurnContext};

use crate::interpret::Interpreter;
use crate::script::{CheckedScript, Script, StubServices};
use crate::snapshot::{self, Comparison};

/// What to do with a snapshot that is missing or differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// Leave the new snapshot beside the old as `.snap.new` (for `cargo insta review`) and fail.
    New,
    /// Overwrite the snapshot and pass.
    Always,
    /// Write nothing and fail.
    No,
}

impl Update {
    /// insta's rule: `INSTA_UPDATE=always|new|no`; unset or `auto` means `new`, or `no` when `CI` is set.
    pub fn from_env() -> Update {
        match std::env::var("INSTA_UPDATE").as_deref() {
            Ok("always") => Update::Always,
            Ok("new") => Update::New,
            Ok("no") => Update::No,
            _ if std::env::var_os("CI").is_some() => Update::No,
            _ => Update::New,
        }
    }
}

/// A script's service stubs, as services of a generated engine (`flowc_runtime::Dynamic(stubs)`). Cheap to
/// clone; the clones share which services were called.
#[derive(Debug, Clone)]
pub struct Stubs(Arc<StubServices>);

impl DynamicServices for Stubs {
    fn call(
        &self,
        service: &str,
        inputs: &[(&str, &str)],
        context: &TurnContext,
    ) -> Result<ServiceReply, ServiceError> {
        self.0.call(service, inputs, context)
    }
}

/// Conversation scripts to play: files, or folders searched for scripts.
#[derive(Debug, Clone)]
pub struct Conversations {
    paths: Vec<PathBuf>,
    update: Update,
}

/// How one script went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The script.
    pub script: PathBuf,
    /// `Err` with a report: failed assertions, refused turns, a snapshot that is missing or differs.
    pub result: Result<(), String>,
}

/// How a run went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The scripts played, in order.
    pub outcomes: Vec<Outcome>,
    /// Scripts not played, and why (they play another flow than the engine's).
    pub skipped: Vec<(PathBuf, String)>,
    /// Why no script could be found or read, when that happened.
    pub trouble: Option<String>,
}

impl Report {
    /// Scripts that passed.
    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.result.is_ok()).count()
    }

    /// Scripts that failed.
    pub fn failed(&self) -> usize {
        self.outcomes.len() - self.passed()
    }

    /// True when at least one script played, none failed and nothing went wrong.
    pub fn is_ok(&self) -> bool {
        self.trouble.is_none() && !self.outcomes.is_empty() && self.failed() == 0
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(trouble) = &self.trouble {
            writeln!(f, "error: {trouble}")?;
        }
        for outcome in &self.outcomes {
            match &outcome.result {
                Ok(()) => writeln!(f, "ok      {}", outcome.script.display())?,
                Err(report) => writeln!(f, "FAILED  {}\n{report}", outcome.script.display())?,
            }
        }
        write!(f, "{} passed, {} failed", self.passed(), self.failed())?;
        if !self.skipped.is_empty() {
            write!(f, ", {} skipped", self.skipped.len())?;
        }
        Ok(())
    }
}

impl Conversations {
    /// The scripts at `path`: a script file, or a folder searched (recursively) for scripts.
    pub fn new(path: impl AsRef<Path>) -> Self {
        Conversations {
            paths: vec![path.as_ref().to_path_buf()],
            update: Update::from_env(),
        }
    }

    /// Adds the scripts at another path.
    pub fn and(mut self, path: impl AsRef<Path>) -> Self {
        self.paths.push(path.as_ref().to_path_buf());
        self
    }

    /// What to do with a missing or different snapshot (default: [`Update::from_env`]).
    pub fn update(mut self, update: Update) -> Self {
        self.update = update;
        self
    }

    /// Plays the scripts that play `make`'s flow through a deterministic engine of it, and compares with
    /// their snapshots. `make` gets each script's stubs; scripts of other flows are skipped.
    pub fn run<F: Flow>(&self, mut make: impl FnMut(Stubs) -> F) -> Report {
        self.run_with(|_, stubs| Some(make(stubs)))
    }

    /// [`Conversations::run`], panicking with the report unless every script passed and at least one played:
    /// the one call a `#[test]` needs.
    #[track_caller]
    pub fn assert<F: Flow>(&self, make: impl FnMut(Stubs) -> F) {
        let report = self.run(make);
        if !report.is_ok() {
            let hint = if report.outcomes.is_empty() && report.trouble.is_none() {
                "\nno script plays this flow"
            } else {
                ""
            };
            panic!("conversation scripts failed:\n{report}{hint}");
        }
    }

    /// Plays every script through the interpreter: what `flowc test` does.
    pub fn run_interpreted(&self) -> Report {
        self.run_with(|ir, stubs| Some(Interpreter::new(ir.clone(), stubs)))
    }

    fn run_with<F: Flow>(
        &self,
        mut make: impl FnMut(&crate::ir::Flow, Stubs) -> Option<F>,
    ) -> Report {
        let mut report = Report::default();
        let scripts = match crate::files::expand(&self.paths, &crate::script::looks_like_script) {
            Ok(scripts) => scripts,
            Err(e) => {
                report.trouble = Some(e);
                return report;
            }
        };
        for path in scripts {
            match self.play(&path, &mut make) {
                Played::Done(result) => report.outcomes.push(Outcome {
                    script: path,
                    result,
                }),
                Played::Skipped(why) => report.skipped.push((path, why)),
            }
        }
        report
    }

    fn play<F: Flow>(
        &self,
        path: &Path,
        make: &mut impl FnMut(&crate::ir::Flow, Stubs) -> Option<F>,
    ) -> Played {
        // A script with errors is not played: a misspelt stub or branch would take the `error` path, and an
        // update would record it.
        let checked = match crate::script::check_file(path) {
            Ok(checked) => checked,
            Err(e) => return Played::Done(Err(format!("  {}: {e}", path.display()))),
        };
        let (script, ir) = match checked {
            CheckedScript {
                script: Some(script),
                flow: Some(ir),
                ..
            } if !checked.has_errors() => (script, ir),
            _ => {
                let style = crate::render::Style::Plain;
                let mut report = checked.render(style);
                if let Some(flow) = &checked.flow_problems {
                    report.push_str(&flow.render(style));
                }
                return Played::Done(Err(report));
            }
        };
        let stubs = Stubs(Arc::new(StubServices::new(script.services.clone())));
        let Some(flow) = make(&ir, stubs.clone()) else {
            return Played::Skipped(format!("plays flow `{}`", ir.name));
        };
        if flow.info().name != ir.name.as_str() {
            return Played::Skipped(format!(
                "plays flow `{}`, the engine plays `{}`",
                ir.name,
                flow.info().name
            ));
        }
        let engine = Engine::new(flow).deterministic();
        Played::Done(self.compare(path, &script, &engine, &ir, &stubs))
    }

    fn compare<F: Flow>(
        &self,
        path: &Path,
        script: &Script,
        engine: &Engine<F>,
        ir: &crate::ir::Flow,
        stubs: &Stubs,
    ) -> Result<(), String> {
        let played = crate::script::play(engine, script, ir, &|| stubs.0.take_calls())
            .map_err(|e| format!("  {e}"))?;
        let mut report = String::new();
        for failure in &played.failures {
            report.push_str(&format!("  assertion: {failure}\n"));
        }
        let kind = script.snapshot;
        let text = snapshot::render_kind(kind, &source_name(path), &played.transactions)?;
        let snap = script.snapshot_path();
        let pending = snap.with_extension("snap.new");
        match snapshot::compare(&snap, &text) {
            Comparison::Same => {
                let _ = std::fs::remove_file(&pending);
            }
            _ if self.update == Update::Always => {
                write(&snap, &text)?;
                let _ = std::fs::remove_file(&pending);
            }
            Comparison::Missing => {
                self.leave_pending(&pending, &text);
                report.push_str(&format!(
                    "  no snapshot at {} ({})\n",
                    snap.display(),
                    self.how_to_accept()
                ));
            }
            Comparison::Differs(diff) => {
                self.leave_pending(&pending, &text);
                report.push_str(&format!(
                    "  transactions differ from {} ({}):\n{diff}",
                    snap.display(),
                    self.how_to_accept()
                ));
            }
        }
        if report.is_empty() {
            Ok(())
        } else {
            Err(report)
        }
    }

    fn leave_pending(&self, pending: &Path, text: &str) {
        if self.update == Update::New {
            let _ = write(pending, text);
        }
    }

    fn how_to_accept(&self) -> &'static str {
        match self.update {
            Update::No => {
                "INSTA_UPDATE=no: nothing written; rerun with INSTA_UPDATE=always to accept"
            }
            _ => {
                "review with `cargo insta review`, or accept with INSTA_UPDATE=always / `flowc test --update`"
            }
        }
    }
}

/// The script as the snapshot's `source:` names it: relative to the crate (or workspace) it lives in — the
/// nearest folder above it with a `Cargo.toml` — so the header is the same from any working directory and
/// names no path of the machine.
fn source_name(script: &Path) -> String {
    let full = script
        .canonicalize()
        .unwrap_or_else(|_| script.to_path_buf());
    let root = full
        .ancestors()
        .skip(1)
        .find(|dir| dir.join("Cargo.toml").is_file());
    let relative = root.and_then(|root| full.strip_prefix(root).ok());
    match relative {
        Some(relative) => relative.display().to_string().replace('\\', "/"),
        None => script
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

enum Played {
    Done(Result<(), String>),
    Skipped(String),
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("  {}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("  {}: {e}", path.display()))
}

#[cfg(test)]
mod tests;
