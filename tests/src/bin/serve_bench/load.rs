//! The load generator: one keep-alive HTTP/1.1 connection per conversation (hyper's client), each playing
//! its own call — the opening, then the cycle over and over — for a fixed time, timing every request.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;

/// Tells the calls of one run from those of the others.
static RUNS: AtomicU64 = AtomicU64::new(0);

/// What one load run does.
pub struct Load<'a> {
    pub addr: SocketAddr,
    pub path: &'a str,
    pub connections: usize,
    pub opening: &'a [String],
    pub cycle: &'a [String],
    pub time: Duration,
}

/// Requests answered, how long each took (µs), and failures, over the time measured.
#[derive(Default)]
pub struct Measured {
    latencies: Vec<u32>,
    pub errors: u64,
    elapsed: Duration,
}

impl Measured {
    pub fn add(&mut self, other: Measured) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
        self.elapsed += other.elapsed;
        self.latencies.sort_unstable();
    }

    pub fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    pub fn percentile(&self, p: f64) -> u32 {
        if self.latencies.is_empty() {
            return 0;
        }
        let i = ((self.latencies.len() - 1) as f64 * p / 100.0).round() as usize;
        self.latencies[i]
    }
}

impl Load<'_> {
    pub async fn run(&self) -> Measured {
        let started = Instant::now();
        let deadline = started + self.time;
        let tasks: Vec<_> = (0..self.connections)
            .map(|c| {
                // Each connection is its own call: its own session id in every body, new every run.
                let session = format!("\"bench-{c}-{}\"", RUNS.fetch_add(1, Ordering::Relaxed));
                let bodies: Vec<Bytes> = self
                    .opening
                    .iter()
                    .chain(self.cycle)
                    .map(|b| Bytes::from(b.replace("\"call-1\"", &session)))
                    .collect();
                let (addr, path, opening) = (self.addr, self.path.to_owned(), self.opening.len());
                tokio::spawn(async move { connection(addr, path, bodies, opening, deadline).await })
            })
            .collect();
        let mut measured = Measured::default();
        for task in tasks {
            match task.await {
                Ok(one) => {
                    measured.latencies.extend(one.latencies);
                    measured.errors += one.errors;
                }
                Err(_) => measured.errors += 1,
            }
        }
        measured.elapsed = started.elapsed();
        measured.latencies.sort_unstable();
        measured
    }
}

async fn connection(
    addr: SocketAddr,
    path: String,
    bodies: Vec<Bytes>,
    opening: usize,
    deadline: Instant,
) -> Measured {
    let mut measured = Measured::default();
    let Ok(stream) = tokio::net::TcpStream::connect(addr).await else {
        measured.errors += 1;
        return measured;
    };
    let _ = stream.set_nodelay(true);
    let Ok((mut sender, conn)) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    else {
        measured.errors += 1;
        return measured;
    };
    tokio::spawn(conn);
    let mut next = 0;
    while Instant::now() < deadline {
        let body = bodies[next].clone();
        next = if next + 1 == bodies.len() {
            opening
        } else {
            next + 1
        };
        let request = Request::post(path.as_str())
            .header("host", "bench")
            .header("content-type", "application/json")
            .body(Full::new(body))
            .expect("a request");
        let sent = Instant::now();
        if sender.ready().await.is_err() {
            measured.errors += 1;
            break;
        }
        match sender.send_request(request).await {
            Ok(response) if response.status().is_success() => {
                if response.into_body().collect().await.is_err() {
                    measured.errors += 1;
                    continue;
                }
                let micros = sent.elapsed().as_micros();
                measured
                    .latencies
                    .push(u32::try_from(micros).unwrap_or(u32::MAX));
            }
            _ => measured.errors += 1,
        }
    }
    measured
}
