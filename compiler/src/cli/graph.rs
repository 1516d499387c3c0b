//! `flowc graph FLOW --format mermaid|dot` (filled in with the IR).

use std::path::PathBuf;

use super::Outcome;

/// Arguments of `flowc graph`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The flow file.
    flow: PathBuf,
}

/// Draws the flow.
pub fn run(_args: Args) -> Outcome {
    Outcome::Trouble
}
