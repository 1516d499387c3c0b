//! Starting and stopping: binding (loopback unless every release has a token), the accept loop with its
//! connection cap and header read timeout, the idle sweeper, and the graceful shutdown.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot, watch};

use super::{App, Served, Server, http, metrics};
use crate::engine::TurnBuffer;
use crate::transaction::Platform;

/// How a server stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stopped {
    /// Connections still open when the shutdown deadline passed (their turns were cut off).
    pub connections_cut: usize,
    /// What went wrong while flushing sinks (empty when everything was flushed or safely spooled).
    pub problems: Vec<String>,
}

impl Stopped {
    /// Whether every in-flight turn finished and every sink was flushed.
    pub fn is_clean(&self) -> bool {
        self.connections_cut == 0 && self.problems.is_empty()
    }
}

/// A server running on a thread of its own ([`Server::spawn`]).
pub struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<io::Result<Stopped>>>,
}

impl Running {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Shuts the server down gracefully (as on SIGTERM) and waits for it.
    pub fn shutdown(mut self) -> io::Result<Stopped> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> io::Result<Stopped> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the server thread panicked"))),
            None => Ok(Stopped::default()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}

impl Server {
    /// Runs the server on a tokio runtime of its own until SIGTERM or ctrl-c, then shuts it down
    /// gracefully. Blocks.
    pub fn run(self) -> io::Result<Stopped> {
        let runtime = self.runtime()?;
        let stopped = runtime.block_on(async move {
            let listener = self.bind().await?;
            serve(self.app()?, listener, signal()).await
        });
        // A service call still blocking a thread must not hold the exit.
        runtime.shutdown_timeout(Duration::from_millis(100));
        stopped
    }

    /// Starts the server on a thread of its own; the address is bound before this returns.
    pub fn spawn(self) -> io::Result<Running> {
        let runtime = self.runtime()?;
        let listener = runtime.block_on(self.bind())?;
        let addr = listener.local_addr()?;
        let app = self.app()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("flowc-server".into())
            .spawn(move || {
                let result = runtime.block_on(serve(app, listener, async move {
                    let _ = stopped.await;
                }));
                runtime.shutdown_timeout(Duration::from_millis(100));
                result
            })?;
        Ok(Running {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    fn runtime(&self) -> io::Result<tokio::runtime::Runtime> {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("flowc-server")
            // The sweeper and the flushes (turns have a pool of their own).
            .max_blocking_threads(4)
            .build()
    }

    /// Binds the configured address, or its family's loopback address when some release has no token.
    pub async fn bind(&self) -> io::Result<TcpListener> {
        let mut addr = self.config.listen;
        let open: Vec<&str> = self
            .engines
            .iter()
            .map(|e| e.release())
            .filter(|r| !self.tokens.iter().any(|(t, _)| t == r))
            .collect();
        if !open.is_empty() && !addr.ip().is_loopback() {
            let loopback = match addr.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            };
            (self.log)(&format!(
                "no token for {}: listening on loopback only ({} instead of {addr}); give every release a \
                 token to listen beyond this machine",
                open.join(", "),
                SocketAddr::new(loopback, addr.port())
            ));
            addr.set_ip(loopback);
        }
        TcpListener::bind(addr).await
    }

    fn app(self) -> io::Result<Arc<App>> {
        let mut releases = HashMap::new();
        for engine in &self.engines {
            let release = engine.release().to_owned();
            let idle = if engine.serves(Platform::PhoneV2) {
                self.config.idle_timeout
            } else {
                self.config.chat_idle_timeout
            };
            let served = Served {
                engine: Arc::clone(engine),
                token: None,
                idle,
            };
            if releases.insert(release.clone(), served).is_some() {
                return Err(invalid(format!(
                    "two engines report the release {release:?}"
                )));
            }
        }
        if releases.is_empty() {
            return Err(invalid("no release to serve".into()));
        }
        for (release, token) in self.tokens {
            let Some(served) = releases.get_mut(&release) else {
                return Err(invalid(format!(
                    "a token is given for {release:?}, which no engine serves"
                )));
            };
            if token.is_empty() {
                return Err(invalid(format!("the token of {release:?} is empty")));
            }
            served.token = Some(token);
        }
        #[cfg(feature = "http")]
        let collectors: Vec<Box<dyn prometheus_client::collector::Collector>> =
            vec![Box::new(metrics::Webhooks(self.webhooks.clone()))];
        #[cfg(not(feature = "http"))]
        let collectors = Vec::new();
        Ok(Arc::new(App {
            metrics: metrics::Metrics::new(&self.engines, collectors),
            releases,
            turns: Semaphore::new(self.config.max_turns),
            pool: super::pool::Pool::new(self.config.max_turns),
            config: self.config,
            log: self.log,
            #[cfg(feature = "http")]
            webhooks: self.webhooks,
        }))
    }

    /// Serves on `listener` (from [`Server::bind`], or your own) on the current tokio runtime until
    /// `shutdown` completes, then shuts down gracefully. Needs a multi-threaded runtime with time and I/O.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send,
    ) -> io::Result<Stopped> {
        serve(self.app()?, listener, shutdown).await
    }
}

async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<Stopped> {
    let addr = listener.local_addr()?;
    let mut names: Vec<&str> = app.releases.keys().map(String::as_str).collect();
    names.sort_unstable();
    (app.log)(&format!(
        "serving {} on http://{addr}/dialoghook",
        names.join(", ")
    ));
    let (stop_sweeping, stopped_sweeping) = watch::channel(false);
    let sweeper = tokio::spawn(sweep(Arc::clone(&app), stopped_sweeping));
    let router = http::router(Arc::clone(&app));
    let graceful = GracefulShutdown::new();
    let max = app.config.max_connections;
    let connections = Arc::new(Semaphore::new(max));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match stream {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors, or a connection reset before it was taken: breathe, go on.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            app.metrics.connection_refused();
            continue;
        };
        let _ = stream.set_nodelay(true);
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(app.config.read_timeout);
        let service = TowerToHyperService::new(router.clone());
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    let deadline = tokio::time::Instant::now() + app.config.shutdown_timeout;
    (app.log)("shutting down: no new connections; finishing the turns in flight");
    let connections_cut = tokio::select! {
        () = graceful.shutdown() => 0,
        () = tokio::time::sleep_until(deadline) => max - connections.available_permits(),
    };
    let _ = stop_sweeping.send(true);
    let _ = tokio::time::timeout_at(deadline, sweeper).await;
    let problems = flush(&app, deadline).await;
    for problem in &problems {
        (app.log)(&format!("shutdown: {problem}"));
    }
    if connections_cut > 0 {
        (app.log)(&format!(
            "shutdown: {connections_cut} connection(s) still open at the deadline were cut"
        ));
    }
    (app.log)("stopped");
    Ok(Stopped {
        connections_cut,
        problems,
    })
}

/// Shuts the webhooks down (what they cannot deliver by `deadline` stays in their spool), then flushes
/// every engine's sink. Returns what went wrong.
async fn flush(app: &Arc<App>, deadline: tokio::time::Instant) -> Vec<String> {
    let app = Arc::clone(app);
    let left = deadline.into_std();
    let flushing = tokio::task::spawn_blocking(move || {
        let mut problems = Vec::new();
        #[cfg(feature = "http")]
        for webhook in &app.webhooks {
            let stats = webhook.shutdown(left.saturating_duration_since(std::time::Instant::now()));
            if stats.pending > 0 {
                (app.log)(&format!(
                    "webhook: {} transaction(s) not yet delivered stay in {}",
                    stats.pending,
                    webhook.spool_dir().display()
                ));
            }
        }
        #[cfg(not(feature = "http"))]
        let _ = left;
        for (release, served) in &app.releases {
            if let Err(e) = served.engine.flush() {
                problems.push(format!("{release}: {e}"));
            }
        }
        problems
    });
    // Flushing may outlast the deadline by little: a sink's write is not cut off halfway.
    let grace = deadline + Duration::from_secs(1);
    match tokio::time::timeout_at(grace, flushing).await {
        Ok(Ok(problems)) => problems,
        Ok(Err(_)) => vec!["flushing a sink panicked".into()],
        Err(_) => vec!["the sinks were not flushed by the shutdown deadline".into()],
    }
}

/// Ends idle conversations, release by release, a batch at a time on the blocking pool.
async fn sweep(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    const BATCH: usize = 1_000;
    let shortest = app
        .releases
        .values()
        .map(|s| s.idle)
        .min()
        .unwrap_or(Duration::from_secs(60));
    // A tenth of the timeout late at most, without scanning more often than every 10 ms or less often
    // than every 5 s.
    let every = (shortest / 10).clamp(Duration::from_millis(10), Duration::from_secs(5));
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        for (release, served) in &app.releases {
            loop {
                let engine = Arc::clone(&served.engine);
                let idle = served.idle;
                let expired = tokio::task::spawn_blocking(move || {
                    let mut buffer = TurnBuffer::new();
                    engine.expire_idle(idle, BATCH, &mut buffer)
                })
                .await;
                let Ok(expired) = expired else { break };
                app.metrics.expired(release, expired);
                if expired.sink_errors > 0 {
                    (app.log)(&format!(
                        "dialog {release:?}: {} idle-expiry transaction(s) could not be recorded",
                        expired.sink_errors
                    ));
                }
                if expired.removed < BATCH || *stop.borrow() {
                    break;
                }
            }
        }
    }
}

/// SIGTERM or ctrl-c.
async fn signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}
