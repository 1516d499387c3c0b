//! `flowc graph FLOW --format mermaid|dot`.

use std::path::PathBuf;

use super::Outcome;

/// Arguments of `flowc graph`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The flow file.
    flow: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Mermaid)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Mermaid,
    Dot,
}

/// Draws the flow on stdout.
pub fn run(args: Args) -> Outcome {
    let Some(flow) = super::load_flow(&args.flow) else {
        return Outcome::Failed;
    };
    let text = match args.format {
        Format::Mermaid => flowc::graph::to_mermaid(&flow),
        Format::Dot => flowc::graph::to_dot(&flow),
    };
    print!("{text}");
    Outcome::Clean
}
