//! Sending again what the sink set aside: the batches in a spool's
//! `rejected/` and `dead-letter/` folders (`flowc webhook-replay`).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::client::{Attempt, Client};
use super::spool::{self, DEAD_LETTER, REJECTED};
use super::{WebhookEndpoint, WebhookError};

/// What became of one file of a [`replay`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplayOutcome {
    /// The receiver answered 2xx and the file was deleted.
    Delivered,
    /// The receiver answered 2xx but the file could not be deleted (a later
    /// replay sends it again); the I/O error.
    NotDeleted(String),
    /// Not delivered: the receiver's status and body, or the transport error.
    Failed(String),
    /// The file could not be read; the I/O error.
    Unreadable(String),
    /// The file has this many lines that are not JSON: it is not sent until
    /// a person fixes or removes them.
    NotJson(u64),
    /// The file holds no transaction: nothing to send, left for a person.
    Empty,
    /// Not a batch file (for example `<batch>.corrupt`, the lines of a batch
    /// that were not JSON): never sent, left for a person.
    NotABatch,
}

/// One file of a [`replay`] and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Replayed {
    /// The file, relative to the spool directory (`dead-letter/<batch>.jsonl`).
    pub file: PathBuf,
    /// The transactions in it (0 when it was not read).
    pub transactions: u64,
    /// What happened.
    pub outcome: ReplayOutcome,
}

impl Replayed {
    /// Whether the file is gone: delivered and deleted.
    pub fn is_done(&self) -> bool {
        self.outcome == ReplayOutcome::Delivered
    }
}

/// POSTs every batch in the `rejected/` and `dead-letter/` folders of the
/// spool `spool_dir` to `endpoint`, oldest first, one attempt each, and
/// deletes a file only after the receiver answered 2xx for it. Returns what
/// became of each file in those folders (also of files that are not batches,
/// which are left alone).
///
/// The sink never reads these folders, so this may run while a sink uses
/// the spool. An error when the endpoint is invalid or the spool cannot be
/// listed.
pub fn replay(spool_dir: &Path, endpoint: &WebhookEndpoint) -> Result<Vec<Replayed>, WebhookError> {
    let client = Client::new(endpoint)?;
    let listing_error = |path: &Path| {
        let path = path.to_owned();
        move |source| WebhookError::Spool { path, source }
    };
    fs::read_dir(spool_dir).map_err(listing_error(spool_dir))?;
    let mut files = Vec::new();
    let mut others = Vec::new();
    for folder in [REJECTED, DEAD_LETTER] {
        let dir = spool_dir.join(folder);
        let batches = match spool::batches_in(&dir) {
            Ok(batches) => batches,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(listing_error(&dir)(e)),
        };
        for entry in fs::read_dir(&dir).map_err(listing_error(&dir))? {
            let name = entry.map_err(listing_error(&dir))?.file_name();
            let name = name.to_string_lossy();
            if !batches.iter().any(|b| *b == name) {
                others.push(Path::new(folder).join(&*name));
            }
        }
        files.extend(batches.into_iter().map(|name| (name, folder)));
    }
    // Batch numbers are the names: sorting them is sending oldest first.
    files.sort_unstable();
    others.sort_unstable();
    let mut report: Vec<Replayed> = files
        .into_iter()
        .map(|(name, folder)| resend(&client, spool_dir, Path::new(folder).join(name)))
        .collect();
    report.extend(others.into_iter().map(|file| Replayed {
        file,
        transactions: 0,
        outcome: ReplayOutcome::NotABatch,
    }));
    Ok(report)
}

/// One attempt at the batch file `file` (relative to `spool_dir`).
fn resend(client: &Client, spool_dir: &Path, file: PathBuf) -> Replayed {
    let path = spool_dir.join(&file);
    let done = |transactions, outcome| Replayed {
        file: file.clone(),
        transactions,
        outcome,
    };
    let mut bytes = b"[".to_vec();
    match fs::File::open(&path).and_then(|mut f| io::Read::read_to_end(&mut f, &mut bytes)) {
        Ok(_) => {}
        Err(e) => return done(0, ReplayOutcome::Unreadable(e.to_string())),
    }
    let batch = spool::check_lines(&bytes);
    if batch.corrupt_count > 0 {
        return done(batch.count, ReplayOutcome::NotJson(batch.corrupt_count));
    }
    if batch.count == 0 {
        return done(0, ReplayOutcome::Empty);
    }
    let count = batch.count;
    let (body, _) = spool::array_in_place(batch.lines);
    let outcome = match client.post(&body, Duration::MAX) {
        Attempt::Delivered => match fs::remove_file(&path) {
            Ok(()) => ReplayOutcome::Delivered,
            Err(e) => ReplayOutcome::NotDeleted(e.to_string()),
        },
        Attempt::Retry { reason, .. } => ReplayOutcome::Failed(reason),
        Attempt::Rejected { status, body } if body.is_empty() => {
            ReplayOutcome::Failed(format!("HTTP {status}"))
        }
        Attempt::Rejected { status, body } => {
            ReplayOutcome::Failed(format!("HTTP {status}: {body}"))
        }
    };
    done(count, outcome)
}
