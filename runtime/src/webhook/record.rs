//! The caller's side of the sink: `record` writes one transaction into the open batch (file and buffer),
//! opening a batch when there is none and sealing it when it is full. The sender thread takes it from there.

use std::fs::File;
use std::io::Write;
use std::time::Instant;

use super::{Shared, State, SyncPolicy, WebhookSink, lock, spool};
use crate::sink::{AnalyticsSink, SinkError};
use crate::transaction::Transaction;

/// The batch being filled.
#[derive(Debug)]
pub(super) struct OpenBatch {
    pub(super) seq: u64,
    pub(super) file: File,
    /// Bytes in the file (for rolling back a failed write).
    pub(super) len: u64,
    /// `[` followed by the batch's lines.
    pub(super) buf: Vec<u8>,
    pub(super) count: u64,
    /// When `max_delay` runs out.
    pub(super) due: Instant,
}

/// A sealed batch kept in memory.
#[derive(Debug)]
pub(super) struct MemBatch {
    pub(super) seq: u64,
    pub(super) count: u64,
    pub(super) buf: Vec<u8>,
}

impl WebhookSink {
    /// Appends one line (compact JSON and `\n`) to the open batch, opening
    /// and sealing batches as needed.
    fn append(&self, line: &[u8]) -> Result<(), SinkError> {
        let shared = &*self.shared;
        let mut st = lock(&shared.state);
        let mut opened = false;
        if st.open.is_none() {
            let seq = st.next_seq;
            let file = shared.spool.create(seq)?;
            if shared.sync == SyncPolicy::Record {
                shared.spool.sync_dir()?;
            }
            st.next_seq += 1;
            let mut buf = Vec::with_capacity(st.buf_hint);
            buf.push(b'[');
            st.open = Some(OpenBatch {
                seq,
                file,
                len: 0,
                buf,
                count: 0,
                due: Instant::now() + shared.max_delay,
            });
            opened = true;
        }
        let Some(open) = st.open.as_mut() else {
            unreachable!("an open batch was just ensured");
        };
        if let Err(e) = open.file.write_all(line) {
            // Take back a partial line so the file holds whole lines only.
            if open.file.set_len(open.len).is_err() {
                seal(shared, &mut st);
                drop(st);
                shared.work.notify_all();
            }
            return Err(e.into());
        }
        if shared.sync == SyncPolicy::Record {
            open.file.sync_data()?;
        }
        open.len += line.len() as u64;
        open.buf.extend_from_slice(line);
        open.count += 1;
        let full = open.count >= shared.batch_size;
        st.stats.spooled += 1;
        st.stats.pending += 1;
        if !full {
            drop(st);
            if opened {
                shared.work.notify_all();
            }
            return Ok(());
        }
        seal(shared, &mut st);
        drop(st);
        shared.work.notify_all();
        Ok(())
    }
}

impl AnalyticsSink for WebhookSink {
    /// Writes the transaction to the spool (and `fsync`s as the
    /// [`SyncPolicy`] says) before returning; the sender thread delivers it.
    fn record(&self, tx: &Transaction) -> Result<(), SinkError> {
        let mut line = serde_json::to_vec(tx)?;
        line.push(b'\n');
        self.append(&line)
    }

    /// Spools the JSON as it is (the engine's compact transaction JSON);
    /// JSON spread over several lines is parsed and written compactly first.
    fn record_json(&self, json: &[u8]) -> Result<(), SinkError> {
        if json.contains(&b'\n') {
            let tx: Transaction = serde_json::from_slice(json)?;
            return self.record(&tx);
        }
        if json.trim_ascii_start().first() != Some(&b'{') {
            return Err(SinkError::Other(
                "webhook sink: a transaction must be a JSON object".to_owned(),
            ));
        }
        let mut line = Vec::with_capacity(json.len() + 1);
        line.extend_from_slice(json);
        line.push(b'\n');
        self.append(&line)
    }

    /// Seals the open batch and waits up to the configured flush timeout for
    /// delivery. `Ok` when everything is delivered or safely in the spool
    /// (still being sent); an error when transactions were rejected or given
    /// up (`rejected/`, `dead-letter/`) since the last flush.
    fn flush(&self) -> Result<(), SinkError> {
        self.flush_within(self.shared.flush_timeout)?;
        let mut st = lock(&self.shared.state);
        let given_up = st.stats.failed + st.stats.dead_lettered;
        let new = given_up - st.reported_failed;
        if new == 0 {
            return Ok(());
        }
        st.reported_failed = given_up;
        let dir = self.shared.spool.dir();
        Err(SinkError::Other(format!(
            "webhook {} did not take {new} transaction(s) ({}); they are kept in {} and {} \
             (`flowc webhook-replay` sends them again)",
            self.shared.client.url(),
            st.last_rejection.as_deref().unwrap_or("rejected"),
            dir.join(spool::REJECTED).display(),
            dir.join(spool::DEAD_LETTER).display(),
        )))
    }
}

/// Seals the open batch, if any: it joins the sealed range, in memory when
/// the queue has room, and the sync thread's queue under [`SyncPolicy::Batch`].
pub(super) fn seal(shared: &Shared, st: &mut State) {
    let Some(open) = st.open.take() else {
        return;
    };
    st.sealed_end = open.seq + 1;
    st.buf_hint = open.buf.len().max(st.buf_hint);
    if st.stats.queued + open.count <= shared.queue_capacity {
        st.stats.queued += open.count;
        st.stats.max_queued = st.stats.max_queued.max(st.stats.queued);
        st.mem.push_back(MemBatch {
            seq: open.seq,
            count: open.count,
            buf: open.buf,
        });
    } else {
        st.stats.overflowed += open.count;
    }
    if shared.sync == SyncPolicy::Batch {
        st.unsynced.push_back((open.seq, open.file));
        shared.sync_work.notify_one();
    }
}
