//! A Parloa-compatible dialoghook server (feature `server`): one process serves the releases of several
//! engines, generated or interpreted, over HTTP/1.1 on axum, hyper and tokio.
//!
//! ```no_run
//! use flowc_runtime::server::Server;
//! use flowc_runtime::{Engine, Flow, JsonLinesSink};
//!
//! fn serve(flow: impl Flow + 'static) -> std::io::Result<()> {
//!     let engine = Engine::new(flow)
//!         .with_release("parcel-release")               // served as ?dialog=parcel-release
//!         .with_sink(JsonLinesSink::stdout());
//!     let token = std::env::var("PARLOA_TOKEN").unwrap_or_default();
//!     Server::new()
//!         .listen("0.0.0.0:8080".parse().unwrap())
//!         .release(engine)
//!         .token("parcel-release", token)
//!         .run()?;                                      // until SIGTERM or ctrl-c, then a graceful shutdown
//!     Ok(())
//! }
//! ```
//!
//! # Routes
//!
//! `POST /dialoghook?dialog=RELEASE&platform=phoneV2|textchatV2` plays the body through the engine of that
//! release and answers with the platform's response JSON; the transaction goes to the engine's sinks
//! before the answer leaves. `GET /healthz` answers `{"status":"ok",…}`; `GET /metrics` the counters in
//! Prometheus' OpenMetrics text. Anything else is refused with a JSON body `{"status", "error"}`: 400 a
//! body that is not JSON, 401 a missing or wrong bearer token, 404 an unknown path or `dialog`, 405 a wrong
//! method, 408 a body slower than the read timeout, 413 a body over the limit, 415 a content type other
//! than `application/json`, 422 JSON that is not a request of the platform (or a platform the flow does
//! not run on), 500 a turn whose transaction could not be recorded (nothing is acknowledged that a sink did
//! not take).
//!
//! # Security
//!
//! Each release may have a bearer token, compared in constant time. Unless every release has one, the
//! server listens on loopback only, whatever address it was given, and says so. Request bodies never reach
//! the log: refusals are counted, not logged, so personal data stays out of logs.
//!
//! # Scheduling
//!
//! Services are blocking calls, so turns run on a pool of threads of their own, at most
//! [`max_concurrent_turns`](Server::max_concurrent_turns) at once; requests beyond wait as tasks, not
//! threads, and connections are capped by [`max_connections`](Server::max_connections). A thread that
//! finishes a turn takes the next one waiting, so under load turns are handed over without waking a
//! thread each; when turns wait and none finished for a millisecond, more threads are put to work, so a
//! slow service holds up only its own conversation, never the threads that accept and read other requests
//! nor the other turns. Turns of one session stay serialized by the engine's store.
//! [`inline_turns`](Server::inline_turns) plays them on the connection threads instead, for services that
//! never block.
//!
//! # Idle expiry
//!
//! A sweeper asks each engine to [`expire_idle`](crate::Engine::expire_idle) conversations no request
//! reached for [`idle_timeout`](Server::idle_timeout) (30 minutes; chat-only releases
//! [`chat_idle_timeout`](Server::chat_idle_timeout), 60 minutes): each open one ends as if hung up and a
//! Hangup (or quit) transaction with an `IdleTimeout` warning is recorded, then its session is forgotten.
//!
//! # Shutdown
//!
//! On SIGTERM or ctrl-c ([`Server::run`]), or when the future given to [`Server::serve`] completes: stop
//! accepting, let in-flight turns finish and answer, then flush every engine's sink and shut the
//! webhooks down (leaving what they could not deliver in their spool), all within
//! [`shutdown_timeout`](Server::shutdown_timeout).

mod http;
mod metrics;
mod pool;
mod run;
mod served;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use run::{Running, Stopped};
pub use served::ServedEngine;

/// Writes one line of the server's log.
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// A dialoghook server being configured: the releases it serves, their tokens, its limits. Start it with
/// [`Server::run`] (blocking, until a signal), [`Server::spawn`] (on a thread of its own) or
/// [`Server::serve`] (on your own tokio runtime).
pub struct Server {
    engines: Vec<Arc<dyn ServedEngine>>,
    tokens: Vec<(String, String)>,
    config: Config,
    log: Log,
    #[cfg(feature = "http")]
    webhooks: Vec<Arc<crate::webhook::WebhookSink>>,
}

/// Limits and timeouts.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) listen: SocketAddr,
    pub(crate) body_limit: usize,
    pub(crate) read_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) chat_idle_timeout: Duration,
    pub(crate) max_turns: usize,
    pub(crate) inline_turns: bool,
    pub(crate) max_connections: usize,
    pub(crate) shutdown_timeout: Duration,
}

/// Default body limit: 256 KiB, far above any Parloa request.
pub const DEFAULT_BODY_LIMIT: usize = 256 * 1024;
/// Default idle timeout of phone conversations: 30 minutes.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Default idle timeout of chat-only releases: 60 minutes (a chat user steps away longer than a caller).
pub const DEFAULT_CHAT_IDLE_TIMEOUT: Duration = Duration::from_secs(60 * 60);

impl Default for Server {
    fn default() -> Self {
        Self::new()
    }
}

impl Server {
    /// A server on 127.0.0.1:8080 serving nothing yet.
    pub fn new() -> Self {
        Server {
            engines: Vec::new(),
            tokens: Vec::new(),
            config: Config {
                listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
                body_limit: DEFAULT_BODY_LIMIT,
                read_timeout: Duration::from_secs(10),
                idle_timeout: DEFAULT_IDLE_TIMEOUT,
                chat_idle_timeout: DEFAULT_CHAT_IDLE_TIMEOUT,
                max_turns: 128,
                inline_turns: false,
                max_connections: 10_000,
                shutdown_timeout: Duration::from_secs(10),
            },
            log: Arc::new(|line| eprintln!("{line}")),
            #[cfg(feature = "http")]
            webhooks: Vec::new(),
        }
    }

    /// Serves `engine` as `?dialog=<its releaseId>` ([`Engine::with_release`](crate::Engine::with_release)
    /// sets it).
    pub fn release(self, engine: impl ServedEngine) -> Self {
        self.shared_release(Arc::new(engine))
    }

    /// Serves an engine that is shared with other code.
    pub fn shared_release(mut self, engine: Arc<dyn ServedEngine>) -> Self {
        self.engines.push(engine);
        self
    }

    /// Requires `Authorization: Bearer <token>` on the requests of `release`.
    pub fn token(mut self, release: impl Into<String>, token: impl Into<String>) -> Self {
        self.tokens.push((release.into(), token.into()));
        self
    }

    /// The address to listen on (default 127.0.0.1:8080; port 0 picks a free one). Without a token for
    /// every release, the server listens on the loopback address of the same family instead.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.config.listen = addr;
        self
    }

    /// The largest request body taken, in bytes (default [`DEFAULT_BODY_LIMIT`]); larger ones get 413.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.config.body_limit = bytes;
        self
    }

    /// How long a client may take to send a request's headers, and again its body (default 10 s); a
    /// slower one gets 408 or its connection closed.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.config.read_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Idle time after which a conversation is ended and forgotten (default [`DEFAULT_IDLE_TIMEOUT`]).
    /// Releases whose flow runs on phone use it; chat-only ones use [`Server::chat_idle_timeout`].
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.idle_timeout = timeout;
        self
    }

    /// Idle timeout of chat-only releases (default [`DEFAULT_CHAT_IDLE_TIMEOUT`]).
    pub fn chat_idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.chat_idle_timeout = timeout;
        self
    }

    /// Turns played at once (default 128): the most threads of the turn pool, each of which may be held by a
    /// service call.
    pub fn max_concurrent_turns(mut self, turns: usize) -> Self {
        self.config.max_turns = turns.max(1);
        self
    }

    /// Plays turns on the threads that serve the connections instead of the turn pool, saving a thread
    /// hand-off per turn. Only for engines whose services and sinks never block (in-memory answers, no
    /// HTTP, no `fsync`): a turn that blocks stalls every connection of its thread.
    pub fn inline_turns(mut self, inline: bool) -> Self {
        self.config.inline_turns = inline;
        self
    }

    /// Open connections at most (default 10,000); further ones are closed at once.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.config.max_connections = connections.max(1);
        self
    }

    /// How long a shutdown may take to finish in-flight turns and flush the sinks (default 10 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.config.shutdown_timeout = timeout;
        self
    }

    /// Where the server's log lines go (default: stderr).
    pub fn log(mut self, log: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.log = Arc::new(log);
        self
    }

    /// An Analytics Webhook some engine writes to: its counters show in `/metrics` and a shutdown shuts
    /// it down within the deadline, what it could not deliver staying in its spool.
    #[cfg(feature = "http")]
    pub fn webhook(mut self, webhook: Arc<crate::webhook::WebhookSink>) -> Self {
        self.webhooks.push(webhook);
        self
    }
}

/// One release as served.
pub(crate) struct Served {
    engine: Arc<dyn ServedEngine>,
    token: Option<String>,
    idle: Duration,
}

/// What the handlers share.
pub(crate) struct App {
    releases: HashMap<String, Served>,
    config: Config,
    metrics: metrics::Metrics,
    turns: tokio::sync::Semaphore,
    pool: pool::Pool,
    log: Log,
    #[cfg(feature = "http")]
    webhooks: Vec<Arc<crate::webhook::WebhookSink>>,
}
