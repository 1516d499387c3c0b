//! `flowc test PATH`: checks conversation scripts against their flows, plays them with the interpreter and
//! compares their transactions with the stored snapshots (`flowc::testing`, which a team's own tests use for
//! the generated engine).

use std::path::PathBuf;

use flowc::testing::{Conversations, Update};

use super::Outcome;

/// Arguments of `flowc test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scripts, or folders searched for them (YAML with a top-level `turns:` and no `flow:`).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Accept the new transactions as the snapshots.
    #[arg(long)]
    update: bool,
}

/// Runs every script.
pub fn run(args: Args) -> Outcome {
    let mut paths = args.paths.into_iter();
    let Some(first) = paths.next() else {
        return Outcome::Trouble;
    };
    let conversations = paths.fold(Conversations::new(first), Conversations::and);
    // Without --update a mismatch leaves a `.snap.new` for `cargo insta review`, whatever INSTA_UPDATE says.
    let update = if args.update {
        Update::Always
    } else {
        Update::New
    };
    let report = conversations.update(update).run_interpreted();
    println!("{report}");
    if report.trouble.is_some() {
        Outcome::Trouble
    } else if report.failed() > 0 {
        Outcome::Failed
    } else {
        Outcome::Clean
    }
}
