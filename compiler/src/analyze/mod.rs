//! Semantic checks over the AST. Every problem of a file is reported in one run; each check is linear in
//! the size of the flow.
//!
//! [`symbols`] indexes the names, [`checks`] checks each declaration and block against them, [`graph`]
//! checks the flow as a graph (reachability, non-waiting cycles), and [`ending`] walks the hang-up path.

mod checks;
mod ending;
mod graph;
mod symbols;

pub use symbols::{BlockRef, Symbols};

use crate::ast::Flow;
use crate::diagnostic::Diagnostic;

/// Runs every semantic check on a parsed flow.
pub fn analyze(flow: &Flow) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let symbols = Symbols::build(flow, &mut diagnostics);
    checks::run(flow, &symbols, &mut diagnostics);
    graph::run(flow, &symbols, &mut diagnostics);
    diagnostics
}
