//! `flowc::Builder`: compiles flows from a build script, prost-build style.
//!
//! ```no_run
//! // build.rs
//! flowc::Builder::new().compile_dir("flows").compile().unwrap();
//! // src/lib.rs: flowc_runtime::include_flow!("parcel_tracking");
//! ```
//!
//! Output goes to `OUT_DIR` unless [`Builder::out_dir`] says otherwise; a file is written only when its
//! content changed (so cargo does not rebuild for nothing); `cargo:rerun-if-changed` is printed for every
//! input; a flow with errors fails the build with every diagnostic rendered (file:line:col); each warning
//! is printed as a `cargo:warning=` line, so `cargo build` shows it, and [`Builder::deny_warnings`] makes
//! warnings fail the build. The builder keeps a manifest of what it wrote (see `outputs`): a flow that is
//! gone has its generated file removed, and `flowc_runtime::include_flow!` finds a flow by its name or its
//! file stem.

mod outputs;
#[cfg(test)]
mod tests;

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::codegen::{self, Settings};
use crate::diagnostic::Diagnostic;
use crate::render::Style;

pub use outputs::MANIFEST_FILE;

/// Compiles flow files into Rust modules.
#[derive(Debug, Clone)]
pub struct Builder {
    flows: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
    out_dir: Option<PathBuf>,
    cargo_instructions: bool,
    deny_warnings: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

/// Why a build failed: every problem of every flow, rendered.
pub struct BuildError {
    message: String,
}

impl BuildError {
    fn new(message: impl Into<String>) -> Self {
        BuildError {
            message: message.into(),
        }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

// `build.rs` usually ends in `.unwrap()`, which prints Debug: show the rendered diagnostics there too.
impl fmt::Debug for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\n{}", self.message)
    }
}

impl std::error::Error for BuildError {}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The flow's name (the module name and the generated file's stem).
    pub flow: String,
    /// The flow file it was generated from.
    pub source: PathBuf,
    /// Where the module was written.
    pub path: PathBuf,
    /// False when the file already had this content and was left alone.
    pub written: bool,
    /// The flow's warnings (also printed as `cargo:warning=` lines).
    pub warnings: Vec<Diagnostic>,
}

impl Builder {
    /// A builder with no flows, writing to `OUT_DIR`.
    pub fn new() -> Self {
        Builder {
            flows: Vec::new(),
            dirs: Vec::new(),
            out_dir: None,
            cargo_instructions: true,
            deny_warnings: false,
        }
    }

    /// Adds one flow file.
    pub fn flow(mut self, path: impl AsRef<Path>) -> Self {
        self.flows.push(path.as_ref().to_path_buf());
        self
    }

    /// Adds every flow file in a folder and its subfolders (YAML files with a top-level `flow:` key).
    pub fn compile_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.dirs.push(dir.as_ref().to_path_buf());
        self
    }

    /// Writes the modules here instead of `OUT_DIR`.
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Whether to print `cargo:rerun-if-changed` and `cargo:warning=` lines (on by default; off outside
    /// build scripts).
    pub fn cargo_instructions(mut self, on: bool) -> Self {
        self.cargo_instructions = on;
        self
    }

    /// Whether a flow's warnings fail the build like errors (off by default: warnings are printed as
    /// `cargo:warning=` lines and the build goes on).
    pub fn deny_warnings(mut self, on: bool) -> Self {
        self.deny_warnings = on;
        self
    }

    /// Checks and generates every flow; fails with all diagnostics of all flows. On success, generated files
    /// of flows that are gone are removed and the `include_flow!` index is rewritten.
    pub fn compile(self) -> Result<Vec<Generated>, BuildError> {
        let stdout = std::io::stdout();
        let mut lock = stdout.lock();
        self.compile_into(&mut lock)
    }

    /// [`Builder::compile`], with cargo's instructions written to `instructions` (stdout in a build script).
    fn compile_into(self, instructions: &mut dyn Write) -> Result<Vec<Generated>, BuildError> {
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or_else(|| {
                    BuildError::new(
                        "OUT_DIR is not set: call flowc::Builder::out_dir, or run from build.rs",
                    )
                })?,
        };
        let mut files = self.flows.clone();
        for dir in &self.dirs {
            self.instruct(instructions, &format!("rerun-if-changed={}", dir.display()));
            crate::files::yaml_files(dir, &crate::parse::looks_like_flow, &mut files)
                .map_err(BuildError::new)?;
        }
        let mut problems = String::new();
        let mut generated: Vec<Generated> = Vec::new();
        for path in &files {
            self.instruct(
                instructions,
                &format!("rerun-if-changed={}", path.display()),
            );
            match self.generate(path, &out_dir, &generated) {
                Ok(one) => {
                    for warning in &one.warnings {
                        let line = cargo_warning(warning, &path.display().to_string());
                        self.instruct(instructions, &line);
                    }
                    generated.push(one);
                }
                Err(problem) => problems.push_str(&problem),
            }
        }
        if !problems.is_empty() {
            return Err(BuildError::new(problems));
        }
        outputs::finish(&out_dir, &files, &generated).map_err(BuildError::new)?;
        Ok(generated)
    }

    /// Checks one flow and writes its module; the rendered problems when it cannot be built.
    fn generate(
        &self,
        path: &Path,
        out_dir: &Path,
        done: &[Generated],
    ) -> Result<Generated, String> {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("error: cannot read {}: {e}\n", path.display()))?;
        let file = path.display().to_string();
        let (ir, checked) = match crate::compile_bytes(&file, bytes) {
            Ok(ok) => ok,
            Err(checked) => return Err(summary(&checked, &file, Diagnostic::is_error)),
        };
        if self.deny_warnings && !checked.diagnostics.is_empty() {
            let mut problems = summary(&checked, &file, |_| true);
            problems.push_str(&format!(
                "error: {file} has warnings and the build denies them (flowc::Builder::deny_warnings)\n"
            ));
            return Err(problems);
        }
        if let Some(first) = done.iter().find(|g| g.flow == ir.name) {
            return Err(format!(
                "error: flow `{}` is defined by both {} and {}; flow names become module names and must be unique\n",
                ir.name,
                first.source.display(),
                path.display()
            ));
        }
        let settings = Settings {
            source_name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            source_text: checked.source,
        };
        let code = codegen::generate(&ir, &settings)?;
        let target = out_dir.join(format!("{}.rs", ir.name));
        let written = write_if_changed(&target, &code)
            .map_err(|e| format!("error: cannot write {}: {e}\n", target.display()))?;
        Ok(Generated {
            flow: ir.name,
            source: path.to_path_buf(),
            path: target,
            written,
            warnings: checked.diagnostics,
        })
    }

    fn instruct(&self, out: &mut dyn Write, line: &str) {
        if self.cargo_instructions {
            // A build script whose stdout is gone has nobody to tell; the build itself goes on.
            let _ = writeln!(out, "cargo:{line}");
        }
    }
}

/// The rendered diagnostics of a flow, then one `file:line:col` line per diagnostic `pick` selects.
fn summary(checked: &crate::Checked, file: &str, pick: fn(&Diagnostic) -> bool) -> String {
    let mut out = checked.render(Style::Plain);
    for d in checked.diagnostics.iter().filter(|d| pick(d)) {
        out.push_str(&crate::render::one_line(d, file));
        out.push('\n');
    }
    out
}

/// `warning=file:line:col: warning[W027]: message (help: …)`, on one line because cargo reads a
/// `cargo:warning=` instruction up to the end of its line.
fn cargo_warning(warning: &Diagnostic, file: &str) -> String {
    let mut line = format!("warning={}", crate::render::one_line(warning, file));
    if let Some(help) = &warning.help {
        line.push_str(" (help: ");
        line.push_str(help);
        line.push(')');
    }
    line.replace(['\n', '\r'], " ")
}

/// Writes `content` unless the file already holds exactly it; true when written.
pub fn write_if_changed(path: &Path, content: &str) -> std::io::Result<bool> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == content) {
        return Ok(false);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, content)?;
    Ok(true)
}
