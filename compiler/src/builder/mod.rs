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
//! input; a flow with errors fails the build with every diagnostic rendered (file:line:col).

use std::fmt;
use std::path::{Path, PathBuf};

use crate::codegen::{self, Settings};
use crate::render::Style;

/// Compiles flow files into Rust modules.
#[derive(Debug, Clone)]
pub struct Builder {
    flows: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
    out_dir: Option<PathBuf>,
    cargo_instructions: bool,
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
    /// The flow's name (the module name and the file stem).
    pub flow: String,
    /// Where the module was written.
    pub path: PathBuf,
    /// False when the file already had this content and was left alone.
    pub written: bool,
}

impl Builder {
    /// A builder with no flows, writing to `OUT_DIR`.
    pub fn new() -> Self {
        Builder {
            flows: Vec::new(),
            dirs: Vec::new(),
            out_dir: None,
            cargo_instructions: true,
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

    /// Whether to print `cargo:rerun-if-changed` lines (on by default; off outside build scripts).
    pub fn cargo_instructions(mut self, on: bool) -> Self {
        self.cargo_instructions = on;
        self
    }

    /// Checks and generates every flow; fails with all diagnostics of all flows.
    pub fn compile(self) -> Result<Vec<Generated>, BuildError> {
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
            self.rerun(dir);
            crate::files::yaml_files(dir, &crate::parse::looks_like_flow, &mut files)
                .map_err(BuildError::new)?;
        }
        let mut problems = String::new();
        let mut generated = Vec::new();
        let mut names: Vec<(String, PathBuf)> = Vec::new();
        for path in &files {
            self.rerun(path);
            let bytes = match std::fs::read(path) {
                Ok(bytes) => bytes,
                Err(e) => {
                    problems.push_str(&format!("error: cannot read {}: {e}\n", path.display()));
                    continue;
                }
            };
            let file = path.display().to_string();
            let (ir, checked) = match crate::compile_bytes(&file, bytes) {
                Ok(ok) => ok,
                Err(checked) => {
                    problems.push_str(&checked.render(Style::Plain));
                    for d in checked.diagnostics.iter().filter(|d| d.is_error()) {
                        problems.push_str(&crate::render::one_line(d, &file));
                        problems.push('\n');
                    }
                    continue;
                }
            };
            if let Some((_, first)) = names.iter().find(|(n, _)| *n == ir.name) {
                problems.push_str(&format!(
                    "error: flow `{}` is defined by both {} and {}; flow names become module names and must be unique\n",
                    ir.name,
                    first.display(),
                    path.display()
                ));
                continue;
            }
            names.push((ir.name.clone(), path.clone()));
            let settings = Settings {
                source_name: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                source_text: checked.source,
            };
            let code = codegen::generate(&ir, &settings).map_err(BuildError::new)?;
            let target = out_dir.join(format!("{}.rs", ir.name));
            let written = write_if_changed(&target, &code)
                .map_err(|e| BuildError::new(format!("cannot write {}: {e}", target.display())))?;
            generated.push(Generated {
                flow: ir.name,
                path: target,
                written,
            });
        }
        if problems.is_empty() {
            Ok(generated)
        } else {
            Err(BuildError::new(problems))
        }
    }

    fn rerun(&self, path: &Path) {
        if self.cargo_instructions {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
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
