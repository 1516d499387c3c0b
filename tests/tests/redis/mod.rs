//! The Redis the Redis tests use: `FLOWC_TEST_REDIS` (`.ci/run` starts one), or a `redis-server` of the
//! test's own on a free loopback port. Without either a test fails saying so: CI cannot go green without
//! Redis.

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A `redis-server` this test started, stopped when dropped.
pub struct OwnRedis {
    child: Option<Child>,
    pub port: u16,
}

impl OwnRedis {
    /// Starts one on a free loopback port, without persistence.
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut redis = OwnRedis { child: None, port };
        redis.restart();
        redis
    }

    /// Starts it again on the same port (after [`OwnRedis::stop`]), empty.
    pub fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "this test needs redis-server (set FLOWC_TEST_REDIS=redis://HOST:PORT/ or install \
                     redis-server; .ci/run does): {e}"
                )
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not listen on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Kills it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The shared Redis's URL and, when the test had to start one, its guard (keep it alive).
pub fn redis() -> (String, Option<OwnRedis>) {
    match std::env::var("FLOWC_TEST_REDIS") {
        Ok(url) if !url.is_empty() => (url, None),
        _ => {
            let own = OwnRedis::start();
            (own.url(), Some(own))
        }
    }
}

/// A key prefix no other test (or earlier run) uses.
pub fn prefix(test: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "flowc-test:{test}:{}:{nanos}:{}:",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Sends one command to the Redis at `url` (`redis://HOST:PORT/`) over a plain connection and returns the
/// first line of its answer: what another instance would have written, without a client crate.
pub fn command(url: &str, args: &[&str]) -> String {
    use std::io::{BufRead, BufReader, Write};
    let addr = url
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_owned();
    let mut stream = TcpStream::connect(addr.as_str()).expect("redis");
    let mut resp = format!("*{}\r\n", args.len());
    for arg in args {
        resp.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    stream.write_all(resp.as_bytes()).unwrap();
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).unwrap();
    line.trim_end().to_owned()
}
