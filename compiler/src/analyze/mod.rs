//! Semantic checks over the AST. Every problem of a file is reported in one run; each check is linear in
//! the size of the flow.
//!
//! `symbols` indexes the names, `checks` checks each declaration and block against them, `graph`
//! checks the flow as a graph (reachability, non-waiting cycles), and `ending` walks the hang-up path.
//! A flow without errors comes out [`Resolved`]: its names indexed once, handed to lowering as they are.

mod checks;
mod ending;
mod graph;
mod symbols;

pub use symbols::{BlockRef, Symbols};

use crate::ast::Flow;
use crate::diagnostic::Diagnostic;

/// What analysis found: every diagnostic, and the flow ready for lowering when none is an error.
#[derive(Debug)]
pub struct Analysis<'f> {
    /// Every problem found, in the order the checks found them.
    pub diagnostics: Vec<Diagnostic>,
    /// The flow with its names resolved; `None` when a diagnostic is an error.
    pub resolved: Option<Resolved<'f>>,
}

/// A flow analysis found free of errors, with the name tables the checks resolved it with: what
/// [`lower`](crate::lower::lower) takes, so that lowering looks names up instead of indexing them again.
#[derive(Debug)]
pub struct Resolved<'f> {
    pub(crate) flow: &'f Flow,
    pub(crate) symbols: Symbols<'f>,
}

impl<'f> Resolved<'f> {
    /// The flow.
    pub fn flow(&self) -> &'f Flow {
        self.flow
    }

    /// Its names.
    pub fn symbols(&self) -> &Symbols<'f> {
        &self.symbols
    }
}

/// Runs every semantic check on a parsed flow.
pub fn analyze(flow: &Flow) -> Analysis<'_> {
    let mut diagnostics = Vec::new();
    let symbols = Symbols::build(flow, &mut diagnostics);
    checks::run(flow, &symbols, &mut diagnostics);
    graph::run(flow, &symbols, &mut diagnostics);
    let clean = !diagnostics.iter().any(Diagnostic::is_error);
    Analysis {
        diagnostics,
        resolved: clean.then_some(Resolved { flow, symbols }),
    }
}
