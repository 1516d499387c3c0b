//! The Analytics Webhook sink (feature `http`): POSTs transactions to a
//! team's webhook in batches, as JSON arrays, the way Parloa does, without
//! losing any on the way.
//!
//! ```no_run
//! use std::time::Duration;
//! use flowc_runtime::webhook::{WebhookConfig, WebhookEndpoint, WebhookSink};
//!
//! let endpoint = WebhookEndpoint::new("https://analytics.example.com/parloa")
//!     .bearer("s3cret")
//!     .header("X-Team", "parcel");
//! let sink = WebhookSink::new(
//!     WebhookConfig::new(endpoint, "/var/spool/flowc")
//!         .batch_size(200)
//!         .max_delay(Duration::from_millis(500)),
//! )?;
//! // engine = engine.with_shared_sink(std::sync::Arc::new(sink)); …
//! # Ok::<(), flowc_runtime::webhook::WebhookError>(())
//! ```
//!
//! # Delivery: at least once
//!
//! [`AnalyticsSink::record`] (and `record_json`, which the engine calls with
//! the transaction's JSON already written) writes the transaction to the
//! spool (below) before it returns; a batch leaves the spool only after the receiver
//! answered 2xx for it. A transaction whose `record` returned `Ok` therefore
//! reaches the receiver even if the receiver is down or slow, or the process
//! is killed (`SIGKILL` included): the next sink opened on the same spool
//! directory sends it. The price is that a batch can arrive twice (the
//! receiver stored it but the 2xx was lost, or the process died between the
//! 2xx and the deletion). **Receivers must deduplicate by `transactionId`.**
//!
//! # Spool format
//!
//! The spool is a directory with one file per batch, `<batch number>.jsonl`
//! (20 digits, so the names sort in delivery order), holding one compact
//! transaction per line (JSON lines: readable with `jq`, replayable with any
//! tool). The open batch is appended to with one `write(2)` per transaction;
//! when it is full (`batch_size`) or old (`max_delay`) it is sealed and
//! handed to the sender. Also in the directory: `lock` (an advisory lock: one
//! sink per spool), `webhook-url` (a spool holding batches for another URL is
//! refused), `rejected/` (batches the receiver refused, and lines that were
//! not JSON) and `dead-letter/` (batches given up after failing too often;
//! see Retries). `flowc webhook-replay SPOOL URL` ([`replay`]) sends the
//! batches in those two folders again. When the data is `fsync`ed is the [`SyncPolicy`]. On start,
//! the batches left by an earlier run are read once (to count them and to
//! cut off a torn last line: the process died inside a write, so that
//! `record` never returned) and sent first, oldest first; their lines are
//! checked again when sent, and a line that is not JSON is set aside in
//! `rejected/` (and the batch rewritten without it) rather than spoiling its
//! batch.
//!
//! # Threads and memory
//!
//! `record` runs on the caller's thread, under one lock: it appends the
//! serialized transaction to the open batch file and to the open batch's
//! buffer, and seals the batch when full. One sender thread per sink seals batches whose
//! `max_delay` ran out and POSTs sealed batches one at a time, oldest first
//! (a batch waiting for a retry lets later ones pass), over a kept-alive
//! connection. A sealed batch stays in memory for the sender
//! only while the memory queue holds fewer than `queue_capacity`
//! transactions; otherwise it waits on disk only and the sender reads it back
//! when its turn comes. Memory is therefore bounded by the open batch, the
//! queue and the one batch in flight (plus 16 bytes per batch left by an
//! earlier run, and a few dozen per batch waiting for a retry, at most 64),
//! however slow the receiver is; the backlog lives on disk. Under [`SyncPolicy::Batch`] a third thread
//! `fsync`s sealed batch files in the background, so `record` never waits
//! for the disk.
//!
//! # Retries
//!
//! Connection errors, timeouts, 408, 429 and 5xx are retried with
//! exponential backoff and jitter ([`RetryPolicy`]), waiting at least what a
//! `Retry-After` header asks for (and sending nothing else before then). A
//! batch waiting for its retry does not hold up the batches behind it: they
//! are sent meanwhile. A batch the receiver keeps failing on while it takes
//! others (a "poison" batch) is given up after
//! [`max_attempts`](WebhookConfig::max_attempts) failures (a 429 does not
//! count): it is moved to `dead-letter/`, counted in
//! [`WebhookStats::dead_lettered`] and reported by the next
//! [`AnalyticsSink::flush`]. It is given up only once the receiver took some
//! other batch since its first failure, so while the receiver is down (or
//! fails everything) nothing is given up and batches wait in the spool
//! however long it takes; new batches are then tried one per backoff, and at
//! most 64 failed batches wait for a retry at once (more in a row, with
//! nothing delivered, is an outage: those are retried and nothing new is
//! tried). Any other answer (3xx, other 4xx) rejects the batch at once: it is
//! moved to `rejected/`, counted in [`WebhookStats::failed`], and reported by
//! the next [`AnalyticsSink::flush`]. Redirects are not followed.
//!
//! # Shutdown
//!
//! [`WebhookSink::flush_within`] seals the open batch and waits until the
//! spool is empty or the time is up. [`WebhookSink::shutdown`] does the same
//! and stops the sender; what was not delivered by the deadline stays in the
//! spool for the next start. Both `fsync` what they leave behind. Dropping
//! the sink shuts it down with no grace period (waiting only for a request
//! already in flight, at most the endpoint's timeout).
//!
//! # Health check
//!
//! [`WebhookEndpoint::health_check`] sends what Parloa sends before it
//! enables a webhook: an empty-body POST marked as a health check both ways
//! receivers look for it, the query parameter `?parloa-health-check=1`
//! (joined with `&` to a query the URL already has) and the header
//! `parloa-health-check: 1` (and the custom headers and token); the receiver
//! must answer 200. `flowc webhook-check URL` runs it from the command line.
//!
//! # Counters
//!
//! [`WebhookSink::stats`]: `spooled`, `sent`, `retried`, `failed`,
//! `dead_lettered`, plus `replayed`, `overflowed`, and the gauges `pending`
//! and `queued`
//! ([`WebhookStats`]). [`WebhookSink::last_error`] says what went wrong last.
//!
//! [`AnalyticsSink::record`]: crate::AnalyticsSink::record
//! [`AnalyticsSink::flush`]: crate::AnalyticsSink::flush

mod client;
mod config;
mod error;
mod record;
mod replay;
mod retry;
mod sender;
mod spool;
mod syncer;

use std::collections::VecDeque;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::sink::SinkError;

use client::Client;
pub use config::{SyncPolicy, WebhookConfig, WebhookEndpoint, parse_header_line};
pub use error::WebhookError;
use record::{MemBatch, OpenBatch, seal};
pub use replay::{ReplayOutcome, Replayed, replay};
use retry::Retries;
pub use retry::RetryPolicy;
use spool::Spool;

/// Counters of a [`WebhookSink`], from [`WebhookSink::stats`].
///
/// `spooled`, `replayed`, `sent`, `retried`, `failed`, `dead_lettered` and
/// `overflowed` only grow; `pending`, `queued` are gauges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookStats {
    /// Transactions `record` wrote to the spool.
    pub spooled: u64,
    /// Transactions found in the spool at start (left by an earlier run).
    pub replayed: u64,
    /// Transactions the receiver acknowledged with 2xx.
    pub sent: u64,
    /// POSTs that failed (connection error, timeout, 408, 429, 5xx) and were retried.
    pub retried: u64,
    /// Transactions not delivered for good: refused by the receiver (3xx,
    /// 4xx other than 408 and 429), or not JSON when read back from the
    /// spool. Kept in the spool's `rejected/` folder.
    pub failed: u64,
    /// Transactions of batches given up after failing
    /// [`max_attempts`](WebhookConfig::max_attempts) times while the receiver
    /// took other batches. Kept in the spool's `dead-letter/` folder, from
    /// which `flowc webhook-replay` (or [`replay`]) sends them again.
    pub dead_lettered: u64,
    /// Transactions whose batch did not fit the memory queue and was read back from disk.
    pub overflowed: u64,
    /// Transactions in the spool, not yet delivered or rejected.
    pub pending: u64,
    /// Transactions of sealed batches held in memory now (at most `queue_capacity`).
    pub queued: u64,
    /// The highest `queued` seen.
    pub max_queued: u64,
}

#[derive(Debug)]
struct State {
    open: Option<OpenBatch>,
    next_seq: u64,
    /// Batches of an earlier run, oldest first: `(number, transactions)`.
    replay: VecDeque<(u64, u64)>,
    /// Sealed batches of this run not yet tried are `next_send..sealed_end`.
    next_send: u64,
    sealed_end: u64,
    /// In-memory copies of some of them, in order.
    mem: VecDeque<MemBatch>,
    in_flight: bool,
    /// Batches that failed and wait for a retry.
    retries: Retries,
    /// Set by `shutdown`: deliver until then, then stop.
    closing: Option<Instant>,
    sender_done: bool,
    /// Sealed batch files not yet `fsync`ed ([`SyncPolicy::Batch`]), oldest first.
    unsynced: VecDeque<(u64, File)>,
    /// The sync thread is `fsync`ing a file now.
    syncing: bool,
    /// Tells the sync thread to stop once `unsynced` is empty.
    syncer_stop: bool,
    stats: WebhookStats,
    /// `stats.failed + stats.dead_lettered` at the last `flush`.
    reported_failed: u64,
    last_error: Option<String>,
    last_rejection: Option<String>,
    /// Buffer capacity hint for the next open batch.
    buf_hint: usize,
}

impl State {
    fn drained(&self) -> bool {
        self.open.is_none()
            && self.replay.is_empty()
            && self.next_send == self.sealed_end
            && self.retries.is_empty()
            && !self.in_flight
    }
}

#[derive(Debug)]
struct Shared {
    client: Client,
    spool: Spool,
    batch_size: u64,
    max_delay: Duration,
    queue_capacity: u64,
    flush_timeout: Duration,
    /// The backoff of reading a spool file that cannot be read.
    retry: RetryPolicy,
    sync: SyncPolicy,
    state: Mutex<State>,
    /// Wakes the sender: a batch was opened or sealed, or shutdown began.
    work: Condvar,
    /// Wakes flushers: a batch was delivered, rejected or synced, or the sender stopped.
    progress: Condvar,
    /// Wakes the sync thread: a batch was sealed, or shutdown began.
    sync_work: Condvar,
}

/// Lock a mutex, taking the data even if a panicking thread poisoned it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An [`AnalyticsSink`](crate::AnalyticsSink) that POSTs JSON arrays of transactions to a webhook,
/// through a durable on-disk spool. See the [module docs](self) for the design.
#[derive(Debug)]
pub struct WebhookSink {
    shared: Arc<Shared>,
    /// Taken by `shutdown`.
    threads: Mutex<Option<Threads>>,
}

/// The sender and, under [`SyncPolicy::Batch`], the sync thread.
#[derive(Debug)]
struct Threads {
    sender: JoinHandle<()>,
    syncer: Option<JoinHandle<()>>,
}

impl WebhookSink {
    /// Checks the configuration (URL, headers, settings), opens and locks the
    /// spool directory (creating it), queues the batches an earlier run left
    /// there, and starts the sender thread.
    pub fn new(config: WebhookConfig) -> Result<Self, WebhookError> {
        if config.batch_size == 0 {
            return Err(WebhookError::InvalidConfig(
                "the batch size must be at least 1".to_owned(),
            ));
        }
        if config.max_attempts == 0 {
            return Err(WebhookError::InvalidConfig(
                "the number of attempts must be at least 1".to_owned(),
            ));
        }
        let client = Client::new(&config.endpoint)?;
        let (spool, recovered) = Spool::open(&config.spool_dir, client.url())?;
        let replayed: u64 = recovered.batches.iter().map(|(_, n)| n).sum();
        let state = State {
            open: None,
            next_seq: recovered.next_seq,
            replay: recovered.batches,
            next_send: recovered.next_seq,
            sealed_end: recovered.next_seq,
            mem: VecDeque::new(),
            in_flight: false,
            retries: Retries::new(config.retry, config.max_attempts),
            closing: None,
            sender_done: false,
            unsynced: VecDeque::new(),
            syncing: false,
            syncer_stop: false,
            stats: WebhookStats {
                replayed,
                pending: replayed,
                ..WebhookStats::default()
            },
            reported_failed: 0,
            last_error: None,
            last_rejection: None,
            buf_hint: 4096,
        };
        let shared = Arc::new(Shared {
            client,
            spool,
            batch_size: config.batch_size as u64,
            max_delay: config.max_delay,
            queue_capacity: config.queue_capacity as u64,
            flush_timeout: config.flush_timeout,
            retry: config.retry,
            sync: config.sync,
            state: Mutex::new(state),
            work: Condvar::new(),
            progress: Condvar::new(),
            sync_work: Condvar::new(),
        });
        let spawn = |name: &str, body: fn(&Shared)| {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(name.to_owned())
                .spawn(move || body(&shared))
                .map_err(|source| WebhookError::Spool {
                    path: config.spool_dir.clone(),
                    source,
                })
        };
        let syncer = match config.sync {
            SyncPolicy::Batch => Some(spawn("flowc-webhook-sync", syncer::syncer_loop)?),
            SyncPolicy::Record => None,
        };
        let sender = spawn("flowc-webhook", sender::sender_loop).inspect_err(|_| {
            lock(&shared.state).syncer_stop = true;
            shared.sync_work.notify_all();
        })?;
        Ok(Self {
            shared,
            threads: Mutex::new(Some(Threads { sender, syncer })),
        })
    }

    /// The counters.
    pub fn stats(&self) -> WebhookStats {
        lock(&self.shared.state).stats
    }

    /// The last delivery problem (retried or rejected), if any.
    pub fn last_error(&self) -> Option<String> {
        lock(&self.shared.state).last_error.clone()
    }

    /// The spool directory.
    pub fn spool_dir(&self) -> &Path {
        self.shared.spool.dir()
    }

    /// The webhook URL.
    pub fn url(&self) -> &str {
        self.shared.client.url()
    }

    /// Seals the open batch and waits up to `timeout` for every spooled
    /// transaction to be delivered (or rejected). Returns whether the spool is
    /// empty; what is left stays in the spool and is still being sent.
    ///
    /// When the spool is not empty by then, its files are `fsync`ed before
    /// this returns: what is left is safe from a machine crash too.
    pub fn flush_within(&self, timeout: Duration) -> Result<bool, SinkError> {
        let deadline = Instant::now() + timeout;
        self.seal_now();
        let mut st = lock(&self.shared.state);
        loop {
            if st.drained() {
                return Ok(true);
            }
            let now = Instant::now();
            if st.sender_done || now >= deadline {
                drop(st);
                self.shared.sync_all()?;
                return Ok(false);
            }
            st = self
                .shared
                .progress
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Seals the open batch, delivers what it can within `timeout`, then stops
    /// the sender; returns the final counters (`pending` is what stays in the
    /// spool for the next start). Later calls only seal the open batch.
    /// Transactions recorded after shutdown are spooled, not sent.
    pub fn shutdown(&self, timeout: Duration) -> WebhookStats {
        let deadline = Instant::now() + timeout;
        self.seal_now();
        if let Some(Threads { sender, syncer }) = lock(&self.threads).take() {
            lock(&self.shared.state).closing = Some(deadline);
            self.shared.work.notify_all();
            // The sender stops by the deadline (its requests are cut to it); it only panics on a bug.
            let _ = sender.join();
            lock(&self.shared.state).syncer_stop = true;
            self.shared.sync_work.notify_all();
            if let Some(syncer) = syncer {
                let _ = syncer.join();
            }
        }
        if let Err(e) = self.shared.sync_all() {
            lock(&self.shared.state).last_error = Some(e.to_string());
        }
        let mut st = lock(&self.shared.state);
        st.sender_done = true;
        self.shared.progress.notify_all();
        st.stats
    }

    /// Seals the open batch.
    fn seal_now(&self) {
        seal(&self.shared, &mut lock(&self.shared.state));
        self.shared.work.notify_all();
    }
}

impl Drop for WebhookSink {
    fn drop(&mut self) {
        self.shutdown(Duration::ZERO);
    }
}

impl Shared {
    /// `fsync`s every sealed batch file the sync thread has not reached, then the directory.
    fn sync_all(&self) -> Result<(), SinkError> {
        if self.sync == SyncPolicy::Record {
            return Ok(());
        }
        let mut st = lock(&self.state);
        let files = std::mem::take(&mut st.unsynced);
        while st.syncing {
            st = self
                .progress
                .wait(st)
                .unwrap_or_else(PoisonError::into_inner);
        }
        drop(st);
        for (seq, file) in files {
            if self.spool.path(seq).exists() {
                file.sync_data()?;
            }
        }
        self.spool.sync_dir()?;
        Ok(())
    }

    /// Counts a finished batch and wakes flushers.
    fn finish(&self, update: impl FnOnce(&mut State)) {
        let mut st = lock(&self.state);
        update(&mut st);
        st.in_flight = false;
        drop(st);
        self.progress.notify_all();
    }
}

/// The default spool directory for a URL when none is given: a folder per
/// URL under the system's temporary directory (so two URLs never share one).
pub fn default_spool_dir(url: &str) -> PathBuf {
    // FNV-1a: stable across runs and Rust versions, unlike `DefaultHasher`.
    let hash = url.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    std::env::temp_dir().join(format!("flowc-webhook-spool-{hash:016x}"))
}
