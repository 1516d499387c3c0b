//! Where transactions go: JSON lines, memory (bounded or not, by choice), nowhere, or several sinks at once.

use std::collections::VecDeque;
use std::error::Error;
use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::transaction::Transaction;

/// Why a sink could not record or flush.
#[derive(Debug)]
pub enum SinkError {
    /// Writing to the underlying writer failed.
    Io(io::Error),
    /// The transaction could not be serialized.
    Serialize(serde_json::Error),
    /// Some sinks of a [`TeeSink`] failed: `(index of the sink, its error)`.
    Tee(Vec<(usize, SinkError)>),
    /// A custom sink's own error.
    Other(String),
}

impl fmt::Display for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "analytics sink: write failed: {e}"),
            Self::Serialize(e) => write!(f, "analytics sink: cannot serialize transaction: {e}"),
            Self::Tee(errors) => {
                write!(f, "analytics sink: {} sink(s) failed", errors.len())?;
                for (i, e) in errors {
                    write!(f, "; sink #{i}: {e}")?;
                }
                Ok(())
            }
            Self::Other(msg) => write!(f, "analytics sink: {msg}"),
        }
    }
}

impl Error for SinkError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            Self::Serialize(e) => Some(e),
            Self::Tee(errors) => errors.first().map(|(_, e)| e as &(dyn Error + 'static)),
            Self::Other(_) => None,
        }
    }
}

impl From<io::Error> for SinkError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<serde_json::Error> for SinkError {
    fn from(e: serde_json::Error) -> Self {
        Self::Serialize(e)
    }
}

/// Receives every transaction the engine produces.
pub trait AnalyticsSink: Send + Sync {
    /// Record one transaction.
    fn record(&self, tx: &Transaction) -> Result<(), SinkError>;

    /// Record one transaction given as its JSON (what the engine writes). Sinks that store or send JSON
    /// override this to skip the round trip through [`Transaction`].
    fn record_json(&self, json: &[u8]) -> Result<(), SinkError> {
        let tx: Transaction = serde_json::from_slice(json)?;
        self.record(&tx)
    }

    /// Push buffered transactions to their destination.
    fn flush(&self) -> Result<(), SinkError> {
        Ok(())
    }
}

impl<T: AnalyticsSink + ?Sized> AnalyticsSink for Arc<T> {
    fn record(&self, tx: &Transaction) -> Result<(), SinkError> {
        (**self).record(tx)
    }
    fn record_json(&self, json: &[u8]) -> Result<(), SinkError> {
        (**self).record_json(json)
    }
    fn flush(&self) -> Result<(), SinkError> {
        (**self).flush()
    }
}

impl<T: AnalyticsSink + ?Sized> AnalyticsSink for Box<T> {
    fn record(&self, tx: &Transaction) -> Result<(), SinkError> {
        (**self).record(tx)
    }
    fn record_json(&self, json: &[u8]) -> Result<(), SinkError> {
        (**self).record_json(json)
    }
    fn flush(&self) -> Result<(), SinkError> {
        (**self).flush()
    }
}

impl<T: AnalyticsSink + ?Sized> AnalyticsSink for &T {
    fn record(&self, tx: &Transaction) -> Result<(), SinkError> {
        (**self).record(tx)
    }
    fn record_json(&self, json: &[u8]) -> Result<(), SinkError> {
        (**self).record_json(json)
    }
    fn flush(&self) -> Result<(), SinkError> {
        (**self).flush()
    }
}

/// Lock a mutex, taking the data even if a panicking thread poisoned it (the
/// data here is a writer or a list, valid after any panic).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Writes one compact JSON object per line to any writer (file, stdout, …).
///
/// Each transaction is serialized before the writer is locked and written
/// with one `write_all`, so lines from concurrent turns never interleave.
/// Wrap files in a `BufWriter` and call [`AnalyticsSink::flush`] at the end.
#[derive(Debug)]
pub struct JsonLinesSink<W> {
    writer: Mutex<W>,
}

impl<W: Write + Send> JsonLinesSink<W> {
    /// A sink over `writer`.
    pub fn new(writer: W) -> Self {
        Self {
            writer: Mutex::new(writer),
        }
    }

    /// The writer back.
    pub fn into_inner(self) -> W {
        self.writer
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl JsonLinesSink<io::Stdout> {
    /// A sink over standard output.
    pub fn stdout() -> Self {
        Self::new(io::stdout())
    }
}

impl<W: Write + Send> AnalyticsSink for JsonLinesSink<W> {
    fn record(&self, tx: &Transaction) -> Result<(), SinkError> {
        let mut line = serde_json::to_vec(tx)?;
        line.push(b'\n');
        lock(&self.writer).write_all(&line)?;
        Ok(())
    }

    fn record_json(&self, json: &[u8]) -> Result<(), SinkError> {
        let mut writer = lock(&self.writer);
        writer.write_all(json)?;
        writer.write_all(b"\n")?;
        Ok(())
    }

    fn flush(&self) -> Result<(), SinkError> {
        lock(&self.writer).flush()?;
        Ok(())
    }
}

/// Keeps transactions in memory to be read back (tests, snapshots, batching). Thread-safe.
///
/// How much it keeps is chosen when it is made: [`MemorySink::with_capacity`] keeps the newest `n`
/// transactions and counts the older ones it drops ([`MemorySink::dropped`]); [`MemorySink::unbounded`]
/// keeps every transaction until [`MemorySink::take`], growing with every turn.
#[derive(Debug)]
pub struct MemorySink {
    held: Mutex<Held>,
}

/// The transactions a [`MemorySink`] holds, oldest first, and what it had to let go.
#[derive(Debug)]
struct Held {
    transactions: VecDeque<Transaction>,
    /// `None` when unbounded.
    capacity: Option<usize>,
    dropped: u64,
}

impl MemorySink {
    /// A sink that holds at most `capacity` transactions: recording one more drops the oldest.
    pub fn with_capacity(capacity: usize) -> Self {
        Self::holding(Some(capacity))
    }

    /// A sink that holds every transaction until [`MemorySink::take`]: memory grows with every turn.
    pub fn unbounded() -> Self {
        Self::holding(None)
    }

    fn holding(capacity: Option<usize>) -> Self {
        Self {
            held: Mutex::new(Held {
                transactions: VecDeque::new(),
                capacity,
                dropped: 0,
            }),
        }
    }

    /// Everything held, oldest first, leaving the sink empty (the drop count stays).
    pub fn take(&self) -> Vec<Transaction> {
        std::mem::take(&mut lock(&self.held).transactions).into()
    }

    /// A copy of everything held, oldest first.
    pub fn snapshot(&self) -> Vec<Transaction> {
        lock(&self.held).transactions.iter().cloned().collect()
    }

    /// Number of transactions held.
    pub fn len(&self) -> usize {
        lock(&self.held).transactions.len()
    }

    /// Whether no transaction is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most transactions held at once; `None` when unbounded.
    pub fn capacity(&self) -> Option<usize> {
        lock(&self.held).capacity
    }

    /// Transactions dropped to stay within the capacity, since the sink was made.
    pub fn dropped(&self) -> u64 {
        lock(&self.held).dropped
    }
}

impl AnalyticsSink for MemorySink {
    fn record(&self, tx: &Transaction) -> Result<(), SinkError> {
        let mut held = lock(&self.held);
        match held.capacity {
            Some(0) => {
                held.dropped += 1;
                return Ok(());
            }
            Some(capacity) if held.transactions.len() >= capacity => {
                held.transactions.pop_front();
                held.dropped += 1;
            }
            _ => {}
        }
        held.transactions.push_back(tx.clone());
        Ok(())
    }
}

/// Keeps nothing: for engines whose analytics go nowhere (benchmarks, load tests, bots without analytics).
/// The engine's sink until [`Engine::with_sink`](crate::Engine::with_sink) names another.
#[derive(Debug, Default, Clone, Copy)]
pub struct DiscardSink;

impl AnalyticsSink for DiscardSink {
    fn record(&self, _tx: &Transaction) -> Result<(), SinkError> {
        Ok(())
    }

    fn record_json(&self, _json: &[u8]) -> Result<(), SinkError> {
        Ok(())
    }

    fn flush(&self) -> Result<(), SinkError> {
        Ok(())
    }
}

/// Fans every transaction out to several sinks.
///
/// Every sink gets every transaction even when an earlier one fails; the
/// failures are returned together as [`SinkError::Tee`] with the index of
/// each failing sink.
#[derive(Default)]
pub struct TeeSink {
    sinks: Vec<Box<dyn AnalyticsSink>>,
}

impl fmt::Debug for TeeSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeeSink")
            .field("sinks", &self.sinks.len())
            .finish()
    }
}

impl TeeSink {
    /// A tee over no sinks.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a sink (builder style). Pass an `Arc` to keep a handle to it.
    pub fn with(mut self, sink: impl AnalyticsSink + 'static) -> Self {
        self.push(sink);
        self
    }

    /// Add a sink.
    pub fn push(&mut self, sink: impl AnalyticsSink + 'static) {
        self.sinks.push(Box::new(sink));
    }

    /// Number of sinks.
    pub fn len(&self) -> usize {
        self.sinks.len()
    }

    /// Whether there are no sinks.
    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }

    fn each(
        &self,
        mut f: impl FnMut(&dyn AnalyticsSink) -> Result<(), SinkError>,
    ) -> Result<(), SinkError> {
        let errors: Vec<(usize, SinkError)> = self
            .sinks
            .iter()
            .enumerate()
            .filter_map(|(i, sink)| f(sink.as_ref()).err().map(|e| (i, e)))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(SinkError::Tee(errors))
        }
    }
}

impl AnalyticsSink for TeeSink {
    fn record(&self, tx: &Transaction) -> Result<(), SinkError> {
        self.each(|sink| sink.record(tx))
    }

    fn record_json(&self, json: &[u8]) -> Result<(), SinkError> {
        self.each(|sink| sink.record_json(json))
    }

    fn flush(&self) -> Result<(), SinkError> {
        self.each(|sink| sink.flush())
    }
}
