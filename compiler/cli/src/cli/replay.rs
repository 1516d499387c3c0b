//! `flowc webhook-replay SPOOL URL`: sends again the batches a webhook sink set aside in its spool's
//! `rejected/` and `dead-letter/` folders.

use std::path::PathBuf;

use flowc_runtime::webhook::{ReplayOutcome, Replayed, replay};

use super::Outcome;

/// Arguments of `flowc webhook-replay`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The spool directory (`--spool` of `flowc run --webhook`).
    spool: PathBuf,
    #[command(flatten)]
    receiver: super::webhook::ReceiverArgs,
}

/// POSTs each batch in `rejected/` and `dead-letter/`, oldest first, once; prints per file what happened. A
/// file is deleted only after a 2xx. Exit 0 when the folders are empty at the end, 1 when something is left, 2
/// when the URL, a header or the spool is unusable.
pub fn run(args: Args) -> Outcome {
    let report = args
        .receiver
        .endpoint()
        .and_then(|endpoint| replay(&args.spool, &endpoint));
    let report = match report {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {e}");
            return Outcome::Trouble;
        }
    };
    for file in &report {
        println!("{}", line(file));
    }
    let sent: Vec<&Replayed> = report.iter().filter(|f| f.is_done()).collect();
    let left = report.len() - sent.len();
    let transactions: u64 = sent.iter().map(|f| f.transactions).sum();
    eprintln!(
        "webhook-replay: {} file(s) delivered to {} ({transactions} transaction(s)), {left} left in {}",
        sent.len(),
        args.receiver.url,
        args.spool.display()
    );
    if left == 0 {
        Outcome::Clean
    } else {
        Outcome::Failed
    }
}

/// `sent` or `left`, the file (relative to the spool) and why.
fn line(file: &Replayed) -> String {
    let name = file.file.display();
    let n = file.transactions;
    match &file.outcome {
        ReplayOutcome::Delivered => format!("sent  {name} ({n} transaction(s))"),
        ReplayOutcome::NotDeleted(e) => format!(
            "left  {name} ({n} transaction(s)): delivered, but the file could not be deleted ({e}); \
             a later replay sends it again"
        ),
        ReplayOutcome::Failed(why) => format!("left  {name} ({n} transaction(s)): {why}"),
        ReplayOutcome::Unreadable(e) => format!("left  {name}: cannot read it: {e}"),
        ReplayOutcome::NotJson(bad) => format!(
            "left  {name}: {bad} line(s) are not JSON; fix or remove them, then replay again"
        ),
        ReplayOutcome::Empty => format!("left  {name}: holds no transaction; nothing to send"),
        ReplayOutcome::NotABatch => {
            format!("left  {name}: not a batch file (never sent); look at it and remove it by hand")
        }
        other => format!("left  {name}: {other:?}"),
    }
}
