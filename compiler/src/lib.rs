//! flowc: compiles conversational dialog flows written in YAML into Rust state machines.
//!
//! The stages are separate modules: [`yaml`] reads a located tree, [`parse`] builds the [`ast`], [`analyze`]
//! reports every problem at once, [`lower`] resolves the graph into the [`ir`]. [`render`] draws diagnostics.

// Diagnostics travel in `Result::Err` on the cold path only; boxing them would buy nothing measurable.
#![allow(clippy::result_large_err)]

pub mod analyze;
pub mod ast;
pub mod builder;
pub mod codegen;
pub mod diagnostic;
pub mod encoding;
pub mod expr;
pub mod files;
pub mod graph;
pub mod interpret;
pub mod ir;
pub mod lower;
pub mod parse;
pub mod render;
pub mod schema;
pub mod script;
pub mod snapshot;
pub mod testing;
pub mod utterance;
pub mod yaml;

use std::path::Path;

pub use builder::{BuildError, Builder, Generated};
pub use diagnostic::{Code, Diagnostic, Severity, Span};

/// A flow file after parsing and analysis.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The file name used in diagnostics.
    pub file: String,
    /// The file's text.
    pub source: String,
    /// The AST, when the file had the shape of a flow.
    pub flow: Option<ast::Flow>,
    /// Every problem found, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// True when at least one diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Number of errors and of warnings.
    pub fn counts(&self) -> (usize, usize) {
        let errors = self.diagnostics.iter().filter(|d| d.is_error()).count();
        (errors, self.diagnostics.len() - errors)
    }

    /// The diagnostics drawn for people.
    pub fn render(&self, style: render::Style) -> String {
        render::render(&self.diagnostics, &self.file, &self.source, style)
    }
}

/// Parses and analyzes one flow given as text; `file` names it in diagnostics.
pub fn check_source(file: &str, source: &str) -> Checked {
    let (flow, mut diagnostics) = parse::parse_flow(source);
    if let Some(flow) = &flow {
        diagnostics.extend(analyze::analyze(flow).diagnostics);
    }
    checked(file, source, flow, diagnostics)
}

/// Checks and lowers one flow given as text: the IR, or every diagnostic (warnings included) on failure.
pub fn compile_source(file: &str, source: &str) -> Result<(ir::Flow, Checked), Checked> {
    let (flow, mut diagnostics) = parse::parse_flow(source);
    let mut lowered = None;
    if let Some(flow) = &flow {
        let analysis = analyze::analyze(flow);
        diagnostics.extend(analysis.diagnostics);
        // Parse errors leave holes (a missing `goto`) that analysis does not report again: lower only a
        // flow without any error.
        if let Some(resolved) = &analysis.resolved
            && !diagnostics.iter().any(Diagnostic::is_error)
        {
            lowered = Some(lower::lower(resolved));
        }
    }
    match lowered {
        Some(Ok(ir)) => Ok((ir, checked(file, source, flow, diagnostics))),
        Some(Err(internal)) => {
            diagnostics.push(internal);
            Err(checked(file, source, flow, diagnostics))
        }
        None => Err(checked(file, source, flow, diagnostics)),
    }
}

fn checked(
    file: &str,
    source: &str,
    flow: Option<ast::Flow>,
    mut diagnostics: Vec<Diagnostic>,
) -> Checked {
    diagnostic::sort_diagnostics(&mut diagnostics);
    Checked {
        file: file.to_string(),
        source: source.to_string(),
        flow,
        diagnostics,
    }
}

/// Parses and analyzes one flow given as the bytes of its file: bytes that are not UTF-8 are one located
/// error (E042), so a folder with a Latin-1 file in it is still checked file by file.
pub fn check_bytes(file: &str, bytes: Vec<u8>) -> Checked {
    match encoding::decode(bytes) {
        Ok(source) => check_source(file, &source),
        Err(bad) => not_utf8(file, bad),
    }
}

/// Checks and lowers one flow given as the bytes of its file; see [`check_bytes`] and [`compile_source`].
pub fn compile_bytes(file: &str, bytes: Vec<u8>) -> Result<(ir::Flow, Checked), Checked> {
    match encoding::decode(bytes) {
        Ok(source) => compile_source(file, &source),
        Err(bad) => Err(not_utf8(file, bad)),
    }
}

fn not_utf8(file: &str, bad: encoding::NotUtf8) -> Checked {
    Checked {
        file: file.to_string(),
        source: bad.text,
        flow: None,
        diagnostics: vec![bad.diagnostic],
    }
}

/// Reads and checks one flow file.
pub fn check_file(path: &Path) -> std::io::Result<Checked> {
    let bytes = std::fs::read(path)?;
    Ok(check_bytes(&path.display().to_string(), bytes))
}
