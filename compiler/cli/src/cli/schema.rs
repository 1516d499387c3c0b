//! `flowc schema flow|script`: prints the JSON Schema (draft 2020-12) of flow files or conversation scripts,
//! for editors (`# yaml-language-server: $schema=flow.schema.json`).

use std::io::Write;

use clap::ValueEnum;

use super::Outcome;

/// Which schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// Flow files.
    Flow,
    /// Conversation scripts.
    Script,
}

/// `flowc schema` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// `flow` or `script`.
    kind: Kind,
}

/// Prints the schema on stdout.
pub fn run(args: Args) -> Outcome {
    let schema = match args.kind {
        Kind::Flow => flowc::schema::FLOW,
        Kind::Script => flowc::schema::SCRIPT,
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(schema.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Outcome::Clean,
        // A closed pipe (`flowc schema flow | head`) is not worth a panic or a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Outcome::Clean,
        Err(e) => {
            eprintln!("error: cannot write the schema: {e}");
            Outcome::Trouble
        }
    }
}
