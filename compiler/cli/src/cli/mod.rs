//! Argument parsing and dispatch; each subcommand lives in its own module.

mod build;
mod check;
mod files;
mod graph;
mod ignored;
mod init;
mod replay;
mod run;
mod schema;
mod serve;
mod services;
mod simulate;
mod test;
mod webhook;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Compiles conversational dialog flows (YAML) into Rust state machines.
#[derive(Debug, Parser)]
#[command(name = "flowc", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check flow files (or folders of them) and report every problem at once.
    Check(check::Args),
    /// Draw a flow's dialogs, states and transitions as Mermaid or Graphviz dot.
    Graph(graph::Args),
    /// Generate the Rust module of a flow.
    Build(build::Args),
    /// Play a flow: an interactive simulator, or `--requests FILE` to replay Parloa requests.
    Run(run::Args),
    /// Serve flows over HTTP as a Parloa-compatible dialoghook (development and staging).
    Serve(serve::Args),
    /// Play conversation scripts and compare their transactions with stored snapshots.
    Test(test::Args),
    /// Print the JSON Schema of flow files or conversation scripts, for editors.
    Schema(schema::Args),
    /// Create a new bot crate: a flow, build.rs, a Services implementation, a script and its snapshot test.
    Init(init::Args),
    /// Send Parloa's health check to an Analytics Webhook: exit 0 when it answers 200, 1 otherwise.
    WebhookCheck(webhook::CheckArgs),
    /// Send again the batches a webhook spool set aside (rejected/, dead-letter/): exit 0 when none is left.
    WebhookReplay(replay::Args),
}

/// What a subcommand ends with, mapped to the documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Clean,
    /// Exit 1: the input has errors.
    Failed,
    /// Exit 2: usage or I/O problem.
    Trouble,
}

/// Runs the command line.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Build(args) => build::run(args),
        Command::Run(args) => run::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Test(args) => test::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Init(args) => init::run(args),
        Command::WebhookCheck(args) => webhook::check(args),
        Command::WebhookReplay(args) => replay::run(args),
    };
    ExitCode::from(match outcome {
        Outcome::Clean => 0,
        Outcome::Failed => 1,
        Outcome::Trouble => 2,
    })
}

/// Reads, checks and lowers a flow, printing its diagnostics; `None` when it has errors or cannot be read.
pub fn load_flow(path: &std::path::Path) -> Option<flowc::ir::Flow> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return None;
        }
    };
    match flowc::compile_bytes(&path.display().to_string(), bytes) {
        Ok((flow, checked)) => {
            eprint!("{}", checked.render(stderr_style()));
            Some(flow)
        }
        Err(checked) => {
            eprint!("{}", checked.render(stderr_style()));
            None
        }
    }
}

/// Colour when stderr is a terminal and NO_COLOR is unset.
pub fn stderr_style() -> flowc::render::Style {
    if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        flowc::render::Style::Color
    } else {
        flowc::render::Style::Plain
    }
}
