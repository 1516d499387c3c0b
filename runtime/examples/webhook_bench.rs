//! Sustained delivery rate of the webhook sink to a loopback receiver (a benchmark, not a test).
//!
//! ```sh
//! cargo run --release -p flowc-runtime --example webhook_bench -- [TRANSACTIONS] [BATCH] [--fsync-every-record] [--parse]
//! ```
//!
//! One thread records TRANSACTIONS (default 200,000) copies of a real phoneV2 transaction, each with
//! its own id of fixed width, into a [`WebhookSink`] (spool in the system's temp dir, batches of
//! BATCH, default 1,000, everything else at its default), twice: through `record_json` with the
//! transaction's JSON already written (what the engine hands its sinks: the sink's own cost), then
//! through `record` with a `Transaction` that the sink serializes itself. A tiny_http server on 127.0.0.1 answers
//! every POST with 200 and counts what it got: since every transaction serializes to the same
//! number of bytes, the byte count proves that every transaction arrived. With `--parse` it also
//! parses every array with serde_json and counts its elements; that costs the receiver a large
//! share of the machine (two cores here), which a real receiver, running elsewhere, does not take
//! from the sender. The clock stops when every batch is acknowledged.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use flowc_runtime::webhook::SyncPolicy;
use flowc_runtime::{AnalyticsSink, Transaction, WebhookConfig, WebhookSink};

const SAMPLE: &str = include_str!("../tests/data/phonev2-transaction-sample.json");

/// What the receiver counted.
#[derive(Default)]
struct Received {
    posts: AtomicU64,
    bytes: AtomicU64,
    parsed: AtomicU64,
}

impl Received {
    fn reset(&self) {
        self.posts.store(0, Ordering::Relaxed);
        self.bytes.store(0, Ordering::Relaxed);
        self.parsed.store(0, Ordering::Relaxed);
    }
}

/// The benchmark's settings.
struct Settings {
    total: u64,
    batch: usize,
    sync: SyncPolicy,
    parse: bool,
}

fn main() {
    let mut numbers = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .map(|a| a.parse::<u64>().expect("a number"));
    let settings = Settings {
        total: numbers.next().unwrap_or(200_000),
        batch: numbers.next().unwrap_or(1_000) as usize,
        sync: if std::env::args().any(|a| a == "--fsync-every-record") {
            SyncPolicy::Record
        } else {
            SyncPolicy::Batch
        },
        parse: std::env::args().any(|a| a == "--parse"),
    };

    let server = tiny_http::Server::http("127.0.0.1:0").expect("binds 127.0.0.1");
    let url = format!(
        "http://127.0.0.1:{}/analytics",
        server.server_addr().to_ip().expect("an IP address").port()
    );
    let received = Arc::new(Received::default());
    let stop = Arc::new(AtomicBool::new(false));
    let receiver = {
        let received = Arc::clone(&received);
        let stop = Arc::clone(&stop);
        let parse = settings.parse;
        std::thread::spawn(move || {
            let mut body = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let Ok(Some(mut request)) = server.recv_timeout(Duration::from_millis(50)) else {
                    continue;
                };
                body.clear();
                let _ = request.as_reader().read_to_end(&mut body);
                let mut ok = body.first() == Some(&b'[') && body.last() == Some(&b']');
                if parse {
                    match serde_json::from_slice::<Vec<serde::de::IgnoredAny>>(&body) {
                        Ok(txs) => {
                            received
                                .parsed
                                .fetch_add(txs.len() as u64, Ordering::Relaxed);
                        }
                        Err(_) => ok = false,
                    }
                }
                received.posts.fetch_add(1, Ordering::Relaxed);
                received
                    .bytes
                    .fetch_add(body.len() as u64, Ordering::Relaxed);
                let status = if ok { 200 } else { 400 };
                let _ = request.respond(tiny_http::Response::empty(status));
            }
        })
    };

    let mut txs: Vec<Transaction> = serde_json::from_str(SAMPLE).expect("sample parses");
    let mut tx = txs.remove(0);
    tx.transaction_id = id(0);
    let template = tx.clone();
    let size = serde_json::to_vec(&tx).expect("serializes").len() as u64;
    println!(
        "webhook_bench: {} transactions of {size} bytes, batches of {}, sync {:?}, receiver {}",
        settings.total,
        settings.batch,
        settings.sync,
        if settings.parse {
            "parses every array"
        } else {
            "counts bytes"
        }
    );

    for json in [true, false] {
        received.reset();
        let spool =
            std::env::temp_dir().join(format!("flowc-webhook-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&spool);
        let sink = WebhookSink::new(
            WebhookConfig::new(url.as_str(), &spool)
                .batch_size(settings.batch)
                .sync(settings.sync),
        )
        .expect("sink");

        let start = Instant::now();
        if json {
            // The engine writes each turn's JSON itself; here only the id changes.
            let mut line = serde_json::to_vec(&template).expect("serializes");
            let at = line
                .windows(id(0).len())
                .position(|w| w == id(0).as_bytes())
                .expect("the id is in the JSON");
            for i in 0..settings.total {
                line[at..at + id(i).len()].copy_from_slice(id(i).as_bytes());
                sink.record_json(&line).expect("records");
            }
        } else {
            for i in 0..settings.total {
                tx.transaction_id = id(i);
                sink.record(&tx).expect("records");
            }
        }
        let recorded = start.elapsed();
        let drained = sink
            .flush_within(Duration::from_secs(300))
            .expect("flushes");
        let delivered = start.elapsed();
        let stats = sink.shutdown(Duration::from_secs(1));
        drop(sink);
        let _ = std::fs::remove_dir_all(&spool);

        assert!(drained, "not everything was delivered: {stats:?}");
        assert_eq!((stats.sent, stats.failed), (settings.total, 0));
        // Each batch is `[`, then each transaction followed by `,` (the last one by `]`).
        let posts = received.posts.load(Ordering::Relaxed);
        assert_eq!(
            received.bytes.load(Ordering::Relaxed),
            posts + settings.total * (size + 1)
        );
        if settings.parse {
            assert_eq!(received.parsed.load(Ordering::Relaxed), settings.total);
        }
        let rate = |d: Duration| settings.total as f64 / d.as_secs_f64();
        println!(
            "{}: recorded {:>7.0}/s, delivered end to end {:>7.0} transactions/s ({:.2} s, {:.0} MB/s); \
             {posts} posts, {} read back from disk, max {} queued",
            if json {
                "record_json (engine path)"
            } else {
                "record (sink serializes) "
            },
            rate(recorded),
            rate(delivered),
            delivered.as_secs_f64(),
            (settings.total * size) as f64 / delivered.as_secs_f64() / 1e6,
            stats.overflowed,
            stats.max_queued,
        );
    }
    stop.store(true, Ordering::Relaxed);
    let _ = receiver.join();
}

/// Transaction ids of one width, so every transaction serializes to the same number of bytes.
fn id(i: u64) -> String {
    format!("bench-{i:010}")
}
