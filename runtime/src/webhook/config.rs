//! What to POST where, and how the sink batches, retries and spools.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{RetryPolicy, WebhookError};

/// Where and how to POST: the URL, custom headers, an optional bearer token
/// and the time limit of one request. Also runs the health check.
///
/// Building it never fails; the URL and the headers are checked by
/// [`WebhookSink::new`](super::WebhookSink::new) and
/// [`WebhookEndpoint::health_check`].
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) bearer: Option<String>,
    pub(crate) timeout: Duration,
}

impl WebhookEndpoint {
    /// An endpoint for `url` with no custom headers, no token and a 10 s request timeout.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            headers: Vec::new(),
            bearer: None,
            timeout: Duration::from_secs(10),
        }
    }

    /// Adds a custom header sent with every POST (and with the health check).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds a header given as one line, `Name: value` (the CLI's `--webhook-header`).
    pub fn header_line(self, line: &str) -> Result<Self, WebhookError> {
        let (name, value) = parse_header_line(line)?;
        Ok(self.header(name, value))
    }

    /// Sends `Authorization: Bearer <token>` with every POST.
    pub fn bearer(mut self, token: impl Into<String>) -> Self {
        self.bearer = Some(token.into());
        self
    }

    /// Time limit of one HTTP request, connection included (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Parloa's health check: an empty-body POST marked both ways receivers
    /// look for it, the query parameter `parloa-health-check=1` (added to any
    /// query the URL has) and the header `parloa-health-check: 1`, plus the
    /// custom headers and the token. `Ok`
    /// when the receiver answers 200, an error naming the status or the
    /// transport problem otherwise.
    pub fn health_check(&self) -> Result<(), WebhookError> {
        super::client::Client::new(self)?.health_check()
    }
}

impl From<&str> for WebhookEndpoint {
    fn from(url: &str) -> Self {
        Self::new(url)
    }
}

impl From<String> for WebhookEndpoint {
    fn from(url: String) -> Self {
        Self::new(url)
    }
}

/// Never prints the token or header values (they often carry credentials).
impl fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("WebhookEndpoint")
            .field("url", &self.url)
            .field("headers", &names)
            .field("bearer", &self.bearer.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Splits `Name: value` at the first colon and trims both sides.
pub fn parse_header_line(line: &str) -> Result<(String, String), WebhookError> {
    match line.split_once(':') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.trim().to_owned()))
        }
        _ => Err(WebhookError::InvalidHeader {
            header: line.to_owned(),
            reason: "expected `Name: value`".to_owned(),
        }),
    }
}

/// When the spool calls `fsync`.
///
/// Every transaction is written to the spool file with one `write(2)` before
/// `record` returns, so a killed process (even `SIGKILL`) loses nothing: the
/// data is in the operating system. `fsync` adds durability against a crash
/// of the machine itself (power loss, kernel panic).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SyncPolicy {
    /// A background sync thread `fsync`s each batch file (then the
    /// directory) once the batch is sealed, skipping batches delivered (and
    /// so deleted) before their turn; [`flush_within`](super::WebhookSink::flush_within)
    /// and [`shutdown`](super::WebhookSink::shutdown) `fsync` whatever is left
    /// in the spool before they return. `record` never waits for the disk. A
    /// machine crash can lose the open batch (`batch_size` transactions or
    /// `max_delay` worth) and sealed batches the sync thread had not reached
    /// (normally none). The default.
    #[default]
    Batch,
    /// `fsync` before every `record` returns: nothing acknowledged is ever
    /// lost, at the price of one disk flush per transaction (records from
    /// several threads wait for each other's flush).
    Record,
}

/// Settings of a [`WebhookSink`](super::WebhookSink).
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub(crate) endpoint: WebhookEndpoint,
    pub(crate) spool_dir: PathBuf,
    pub(crate) batch_size: usize,
    pub(crate) max_delay: Duration,
    pub(crate) queue_capacity: usize,
    pub(crate) flush_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_attempts: u32,
    pub(crate) sync: SyncPolicy,
}

impl WebhookConfig {
    /// POST to `endpoint` (a URL or a [`WebhookEndpoint`]), spooling in
    /// `spool_dir`; batches of up to 100 transactions sent at most 1 s after
    /// their first transaction; at most 10,000 transactions held in memory;
    /// `flush` waits up to 10 s; a batch that keeps failing is given up after
    /// 10 attempts.
    pub fn new(endpoint: impl Into<WebhookEndpoint>, spool_dir: impl Into<PathBuf>) -> Self {
        Self {
            endpoint: endpoint.into(),
            spool_dir: spool_dir.into(),
            batch_size: 100,
            max_delay: Duration::from_secs(1),
            queue_capacity: 10_000,
            flush_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            max_attempts: 10,
            sync: SyncPolicy::default(),
        }
    }

    /// Most transactions in one POST (at least 1).
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n;
        self
    }

    /// Longest a transaction waits for its batch to fill before the batch is sent anyway.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Most transactions of sealed batches held in memory for the sender;
    /// beyond it batches wait on disk only and are read back when their turn
    /// comes. The open batch (up to `batch_size`) and the batch being sent
    /// come on top.
    pub fn queue_capacity(mut self, n: usize) -> Self {
        self.queue_capacity = n;
        self
    }

    /// How long [`AnalyticsSink::flush`](crate::AnalyticsSink::flush) waits for delivery.
    pub fn flush_timeout(mut self, timeout: Duration) -> Self {
        self.flush_timeout = timeout;
        self
    }

    /// The backoff between attempts.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Failed attempts (connection errors, timeouts, 408, 5xx; a 429 does
    /// not count) after which a batch is given up to the spool's
    /// `dead-letter/` folder, so that a batch the receiver keeps failing on
    /// does not stay in the way (default 10, at least 1). A batch is given up
    /// only once the receiver took some other batch since its first failure:
    /// while the receiver is down, batches wait in the spool however long it
    /// takes.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// When to `fsync` the spool.
    pub fn sync(mut self, sync: SyncPolicy) -> Self {
        self.sync = sync;
        self
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &WebhookEndpoint {
        &self.endpoint
    }

    /// The spool directory.
    pub fn spool_dir(&self) -> &Path {
        &self.spool_dir
    }
}
