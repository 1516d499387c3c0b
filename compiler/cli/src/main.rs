//! The `flowc` command line: check, graph, build, run and test dialog flows.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
