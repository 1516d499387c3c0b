//! Errors of the webhook sink's construction and of the health check.

use std::error::Error;
use std::fmt;
use std::io;
use std::path::PathBuf;

/// Why a [`WebhookSink`](super::WebhookSink) could not be built, or a health check failed.
///
/// Delivery problems after construction are not errors of this type: the sink
/// retries them, counts them in [`WebhookStats`](super::WebhookStats) and
/// reports rejected batches from [`AnalyticsSink::flush`](crate::AnalyticsSink::flush).
#[derive(Debug)]
#[non_exhaustive]
pub enum WebhookError {
    /// The URL is not an absolute `http://` or `https://` URL with a host.
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A custom header (or the bearer token) cannot be sent.
    InvalidHeader {
        /// The header as given (`Name: value`; a token is shown as `Authorization`).
        header: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A setting is out of range (for example a batch size of 0).
    InvalidConfig(String),
    /// The spool directory cannot be created, read or written.
    Spool {
        /// The file or directory concerned.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// Another sink (in this or another process) holds the spool directory.
    SpoolInUse {
        /// The spool directory.
        path: PathBuf,
    },
    /// The spool holds undelivered transactions for another URL.
    SpoolUrlMismatch {
        /// The spool directory.
        path: PathBuf,
        /// The URL the spooled transactions were meant for.
        spooled_for: String,
        /// The URL of the new sink.
        url: String,
    },
    /// The receiver could not be reached (health check).
    Unreachable {
        /// The URL.
        url: String,
        /// The transport error (connection refused, timeout, TLS, …).
        message: String,
    },
    /// The receiver answered something other than 200 (health check).
    Status {
        /// The URL.
        url: String,
        /// The HTTP status received.
        status: u16,
        /// The start of the response body.
        body: String,
    },
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUrl { url, reason } => write!(f, "invalid webhook URL `{url}`: {reason}"),
            Self::InvalidHeader { header, reason } => {
                write!(f, "invalid webhook header `{header}`: {reason}")
            }
            Self::InvalidConfig(msg) => write!(f, "invalid webhook setting: {msg}"),
            Self::Spool { path, source } => {
                write!(f, "webhook spool {}: {source}", path.display())
            }
            Self::SpoolInUse { path } => write!(
                f,
                "webhook spool {} is in use by another sink (in this or another process); \
                 give each sink its own spool directory",
                path.display()
            ),
            Self::SpoolUrlMismatch {
                path,
                spooled_for,
                url,
            } => write!(
                f,
                "webhook spool {} holds undelivered transactions for {spooled_for}, not for {url}; \
                 deliver them first (run with that URL) or use another spool directory",
                path.display()
            ),
            Self::Unreachable { url, message } => {
                write!(f, "webhook {url} is unreachable: {message}")
            }
            Self::Status { url, status, body } => {
                write!(f, "webhook {url} answered HTTP {status}, expected 200")?;
                if !body.is_empty() {
                    write!(f, ": {body}")?;
                }
                Ok(())
            }
        }
    }
}

impl Error for WebhookError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Spool { source, .. } => Some(source),
            _ => None,
        }
    }
}
