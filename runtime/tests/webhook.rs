//! The webhook sink against a real HTTP server (tiny_http) on 127.0.0.1.
//!
//! Every loop here is bounded in count and time; every server is on the loopback address. The `http`
//! feature is on for this crate's tests through its dev-dependency on itself, so `cargo test` runs these.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use flowc_runtime::webhook::{ReplayOutcome, RetryPolicy, SyncPolicy, replay};
use flowc_runtime::{
    AnalyticsSink, Transaction, WebhookConfig, WebhookEndpoint, WebhookError, WebhookSink,
};

const HANGUP: &str = include_str!("data/phonev2-hangup-transaction.json");

fn tx(id: &str) -> Transaction {
    let mut txs: Vec<Transaction> = serde_json::from_str(HANGUP).expect("reference parses");
    let mut tx = txs.remove(0);
    tx.transaction_id = id.to_owned();
    tx
}

/// A fresh directory under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "flowc-webhook-test-{}-{name}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// Batch files waiting in the spool.
    fn batch_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.0)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Post {
    /// The request target: path and query.
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    status: u16,
    at: Instant,
}

impl Post {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn ids(&self) -> Vec<String> {
        let txs: Vec<serde_json::Value> =
            serde_json::from_slice(&self.body).expect("the body is a JSON array");
        txs.iter()
            .map(|t| t["transactionId"].as_str().expect("an id").to_owned())
            .collect()
    }
}

/// What the receiver answers: status, headers, and how long it waits first.
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    delay: Duration,
}

impl Reply {
    fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }
}

type Behaviour = Box<dyn FnMut(usize, &Post) -> Reply + Send>;

/// A real HTTP server on 127.0.0.1 that logs every request.
struct Receiver {
    port: u16,
    posts: Arc<Mutex<Vec<Post>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Receiver {
    /// Answers 200 to everything.
    fn ok() -> Self {
        Self::start(0, Box::new(|_, _| Reply::status(200)))
    }

    fn start(port: u16, mut behaviour: Behaviour) -> Self {
        let server = tiny_http::Server::http(("127.0.0.1", port)).expect("binds 127.0.0.1");
        let port = server.server_addr().to_ip().expect("an IP address").port();
        let posts = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let posts = Arc::clone(&posts);
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let Ok(Some(mut request)) = server.recv_timeout(Duration::from_millis(20))
                    else {
                        continue;
                    };
                    let mut body = Vec::new();
                    let _ = request.as_reader().read_to_end(&mut body);
                    let headers = request
                        .headers()
                        .iter()
                        .map(|h| (h.field.as_str().to_string(), h.value.as_str().to_owned()))
                        .collect();
                    let mut post = Post {
                        url: request.url().to_owned(),
                        headers,
                        body,
                        status: 0,
                        at: Instant::now(),
                    };
                    let index = posts.lock().unwrap().len();
                    let reply = behaviour(index, &post);
                    post.status = reply.status;
                    thread::sleep(reply.delay);
                    // Logged before answering: whoever sees the 2xx sees the post in the log.
                    posts.lock().unwrap().push(post);
                    let mut response =
                        tiny_http::Response::from_string("").with_status_code(reply.status);
                    for (name, value) in reply.headers {
                        response.add_header(
                            tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes())
                                .expect("a header"),
                        );
                    }
                    let _ = request.respond(response);
                }
            })
        };
        Self {
            port,
            posts,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/analytics", self.port)
    }

    fn posts(&self) -> Vec<Post> {
        self.posts.lock().unwrap().clone()
    }

    /// Ids of the transactions in posts answered with 2xx.
    fn delivered(&self) -> Vec<String> {
        self.posts()
            .iter()
            .filter(|p| (200..300).contains(&p.status))
            .flat_map(Post::ids)
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A port on 127.0.0.1 with nothing listening (free when asked).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Fast retries so the tests stay short.
fn fast() -> RetryPolicy {
    RetryPolicy {
        initial: Duration::from_millis(10),
        max: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(5),
    }
}

fn config(url: &str, spool: &TempDir) -> WebhookConfig {
    WebhookConfig::new(url, spool.path())
        .retry(fast())
        .max_delay(Duration::from_millis(20))
}

fn ids(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

fn set(ids: &[String]) -> BTreeSet<String> {
    ids.iter().cloned().collect()
}

#[test]
fn first_posts_fail_with_500_then_everything_arrives() {
    let receiver = Receiver::start(
        0,
        Box::new(|i, _| Reply::status(if i < 3 { 500 } else { 200 })),
    );
    let spool = TempDir::new("500");
    // Nothing got through before those 500s: the receiver was failing, not the batches.
    let sink = WebhookSink::new(
        config(&receiver.url(), &spool)
            .batch_size(10)
            .max_attempts(1),
    )
    .expect("sink");
    let sent = ids("tx", 25);
    for id in &sent {
        sink.record(&tx(id)).expect("records");
    }
    assert!(sink.flush_within(Duration::from_secs(10)).expect("flushes"));
    let delivered = receiver.delivered();
    assert_eq!(set(&delivered), set(&sent));
    assert_eq!(
        delivered.len(),
        sent.len(),
        "a 500 means not stored: no duplicates"
    );
    let stats = sink.stats();
    assert_eq!(
        (stats.sent, stats.retried, stats.failed, stats.pending),
        (25, 3, 0, 0)
    );
    assert_eq!(stats.dead_lettered, 0);
    assert!(spool.batch_files().is_empty(), "{:?}", spool.batch_files());
    assert!(
        sink.last_error()
            .expect("an error was seen")
            .contains("500")
    );
}

/// The receiver answers 500 to any batch holding this transaction id, 200 to the others.
const POISON: &str = "poison";

/// Whether a post holds the poison transaction.
fn poisoned(post: &Post) -> bool {
    post.ids().iter().any(|id| id == POISON)
}

/// Files in a folder of the spool, sorted.
fn files_in(spool: &TempDir, folder: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(spool.path().join(folder))
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn a_poison_batch_ends_in_dead_letter_without_holding_up_the_rest() {
    let accept_all = Arc::new(AtomicBool::new(false));
    let receiver = {
        let accept_all = Arc::clone(&accept_all);
        Receiver::start(
            0,
            Box::new(move |_, post| {
                let refuse = poisoned(post) && !accept_all.load(Ordering::Relaxed);
                Reply::status(if refuse { 500 } else { 200 })
            }),
        )
    };
    let spool = TempDir::new("poison");
    let max_attempts = 3;
    let sink = WebhookSink::new(
        config(&receiver.url(), &spool)
            .batch_size(5)
            .max_attempts(max_attempts),
    )
    .expect("sink");
    // Batch 1 holds the poison; batches 2 to 6 are fine.
    let mut poison_batch = vec![POISON.to_owned()];
    poison_batch.extend(ids("with-poison", 4));
    let good = ids("good", 25);
    for id in poison_batch.iter().chain(&good) {
        sink.record(&tx(id)).expect("records");
    }
    assert!(
        sink.flush_within(Duration::from_secs(10)).expect("flushes"),
        "the poison batch is given up and everything else delivered: {:?}",
        sink.stats()
    );
    assert_eq!(set(&receiver.delivered()), set(&good));
    let posts = receiver.posts();
    let poison_posts: Vec<usize> = (0..posts.len()).filter(|&i| poisoned(&posts[i])).collect();
    let (first, last) = (poison_posts[0], poison_posts[poison_posts.len() - 1]);
    assert!(
        (first..last).any(|i| posts[i].status == 200),
        "later batches got through while the poison batch was retried"
    );
    // Given up at the first failure that reached the bound after another batch got through.
    let bound_reached = poison_posts[max_attempts as usize - 1];
    let given_up_at = poison_posts
        .iter()
        .copied()
        .find(|&i| i >= bound_reached && (first..i).any(|j| posts[j].status == 200))
        .expect("given up");
    assert_eq!(given_up_at, last, "no attempt after it was given up");
    let stats = sink.stats();
    assert_eq!(
        (stats.sent, stats.dead_lettered, stats.failed, stats.pending),
        (25, 5, 0, 0)
    );
    assert_eq!(stats.retried, poison_posts.len() as u64);
    let dead = files_in(&spool, "dead-letter");
    assert_eq!(dead.len(), 1, "{dead:?}");
    let kept: Vec<String> = std::fs::read_to_string(&dead[0])
        .expect("reads")
        .lines()
        .map(|l| {
            serde_json::from_str::<Transaction>(l)
                .expect("a transaction")
                .transaction_id
        })
        .collect();
    assert_eq!(kept, poison_batch);
    assert!(spool.batch_files().is_empty());
    let error = sink.flush().expect_err("reported").to_string();
    assert!(error.contains("did not take 5 transaction(s)"), "{error}");
    assert!(error.contains("dead-letter"), "{error}");
    drop(sink);

    // Resent once the receiver takes it; the file goes only after the 2xx.
    let endpoint = WebhookEndpoint::new(receiver.url());
    let report = replay(spool.path(), &endpoint).expect("replays");
    assert_eq!(report.len(), 1);
    assert!(
        matches!(&report[0].outcome, ReplayOutcome::Failed(why) if why.contains("500")),
        "{report:?}"
    );
    assert_eq!(files_in(&spool, "dead-letter"), dead, "kept after a 500");
    accept_all.store(true, Ordering::Relaxed);
    let report = replay(spool.path(), &endpoint).expect("replays");
    assert_eq!(
        (report.len(), report[0].transactions, report[0].is_done()),
        (1, 5, true),
        "{report:?}"
    );
    assert!(files_in(&spool, "dead-letter").is_empty());
    let delivered = receiver.delivered();
    assert_eq!(delivered[delivered.len() - 5..], poison_batch[..]);
}

#[test]
fn retry_after_is_honoured() {
    let receiver = Receiver::start(
        0,
        Box::new(|i, _| {
            if i == 0 {
                Reply {
                    status: 429,
                    headers: vec![("Retry-After", "1".to_owned())],
                    delay: Duration::ZERO,
                }
            } else {
                Reply::status(200)
            }
        }),
    );
    let spool = TempDir::new("retry-after");
    let sink = WebhookSink::new(config(&receiver.url(), &spool)).expect("sink");
    sink.record(&tx("only")).expect("records");
    assert!(sink.flush_within(Duration::from_secs(10)).expect("flushes"));
    let posts = receiver.posts();
    assert_eq!(posts.len(), 2);
    let waited = posts[1].at - posts[0].at;
    // The backoff alone would wait 5–10 ms.
    assert!(waited >= Duration::from_millis(950), "{waited:?}");
    assert_eq!(receiver.delivered(), ["only"]);
}

#[test]
fn receiver_down_at_start_spools_then_delivers_when_it_comes_up() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/analytics");
    let spool = TempDir::new("down");
    // A receiver that is down is no reason to give a batch up, even after a single attempt.
    let sink = WebhookSink::new(config(&url, &spool).batch_size(10).max_attempts(1)).expect("sink");
    let sent = ids("down", 30);
    for id in &sent {
        sink.record(&tx(id))
            .expect("records while the receiver is down");
    }
    // Nothing can be delivered: the flush gives up and leaves everything in the spool.
    assert!(
        !sink
            .flush_within(Duration::from_millis(300))
            .expect("flushes")
    );
    let stats = sink.stats();
    assert_eq!((stats.spooled, stats.sent, stats.pending), (30, 0, 30));
    assert!(stats.retried >= 1, "{stats:?}");
    assert_eq!(spool.batch_files().len(), 3);

    let receiver = Receiver::start(port, Box::new(|_, _| Reply::status(200)));
    assert!(sink.flush_within(Duration::from_secs(10)).expect("flushes"));
    assert_eq!(set(&receiver.delivered()), set(&sent));
    let stats = sink.stats();
    assert_eq!((stats.pending, stats.dead_lettered), (0, 0));
    assert!(spool.batch_files().is_empty());
    assert!(files_in(&spool, "dead-letter").is_empty());
}

#[test]
fn a_new_sink_replays_what_an_earlier_one_left_in_the_spool() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/analytics");
    let spool = TempDir::new("replay");
    let sent = ids("left", 20);
    {
        let sink = WebhookSink::new(config(&url, &spool).batch_size(8)).expect("sink");
        for id in &sent {
            sink.record(&tx(id)).expect("records");
        }
        let stats = sink.shutdown(Duration::from_millis(100));
        assert_eq!(stats.pending, 20);
    }
    assert_eq!(spool.batch_files().len(), 3);

    let receiver = Receiver::start(port, Box::new(|_, _| Reply::status(200)));
    let sink = WebhookSink::new(config(&url, &spool).batch_size(8)).expect("sink");
    assert_eq!(sink.stats().replayed, 20);
    sink.record(&tx("new")).expect("records");
    assert!(sink.flush_within(Duration::from_secs(10)).expect("flushes"));
    let delivered = receiver.delivered();
    // Oldest first: the replayed batches, then the new one.
    assert_eq!(delivered.last().map(String::as_str), Some("new"));
    let mut expected = set(&sent);
    expected.insert("new".to_owned());
    assert_eq!(set(&delivered), expected);
}

#[test]
fn slow_receiver_keeps_memory_bounded_and_the_rest_spooled() {
    let slow = Arc::new(AtomicBool::new(true));
    let receiver = {
        let slow = Arc::clone(&slow);
        Receiver::start(
            0,
            Box::new(move |_, _| Reply {
                status: 200,
                headers: Vec::new(),
                delay: if slow.load(Ordering::Relaxed) {
                    Duration::from_millis(200)
                } else {
                    Duration::ZERO
                },
            }),
        )
    };
    let spool = TempDir::new("slow");
    let cap = 30;
    let sink = WebhookSink::new(
        config(&receiver.url(), &spool)
            .batch_size(10)
            .queue_capacity(cap),
    )
    .expect("sink");
    let sent = ids("slow", 500);
    for id in &sent {
        sink.record(&tx(id))
            .expect("records without waiting for the receiver");
        assert!(sink.stats().queued <= cap as u64);
    }
    let stats = sink.stats();
    assert!(stats.max_queued <= cap as u64, "{stats:?}");
    assert!(stats.overflowed >= 400, "{stats:?}");
    assert!(stats.sent < 100, "{stats:?}");
    assert!(spool.batch_files().len() >= 40, "the backlog is on disk");

    slow.store(false, Ordering::Relaxed);
    assert!(sink.flush_within(Duration::from_secs(20)).expect("flushes"));
    assert_eq!(set(&receiver.delivered()), set(&sent));
    let stats = sink.stats();
    assert!(stats.max_queued <= cap as u64, "{stats:?}");
    assert_eq!((stats.sent, stats.pending, stats.queued), (500, 0, 0));
}

#[test]
fn a_4xx_is_reported_and_not_retried() {
    let receiver = Receiver::start(
        0,
        Box::new(|i, _| Reply::status(if i == 0 { 400 } else { 200 })),
    );
    let spool = TempDir::new("400");
    let sink = WebhookSink::new(config(&receiver.url(), &spool).batch_size(5)).expect("sink");
    for id in ids("r", 10) {
        sink.record(&tx(&id)).expect("records");
    }
    let error = sink
        .flush()
        .expect_err("the rejection is reported")
        .to_string();
    assert!(error.contains("did not take 5 transaction(s)"), "{error}");
    assert!(error.contains("HTTP 400"), "{error}");
    assert_eq!(
        receiver.posts().len(),
        2,
        "the refused batch is not retried"
    );
    let stats = sink.stats();
    assert_eq!((stats.sent, stats.failed, stats.pending), (5, 5, 0));
    let rejected: Vec<_> = std::fs::read_dir(spool.path().join("rejected"))
        .expect("rejected/")
        .collect();
    assert_eq!(rejected.len(), 1, "the refused batch is kept for a person");
    // Reported once.
    sink.flush().expect("nothing new to report");
}

#[test]
fn bad_settings_are_clear_errors_at_construction() {
    let spool = TempDir::new("bad");
    for url in [
        "",
        "not a url",
        "ftp://127.0.0.1/x",
        "127.0.0.1:8080/x",
        "/analytics",
        "http://",
    ] {
        let error = WebhookSink::new(WebhookConfig::new(url, spool.path()))
            .expect_err("a bad URL is refused");
        assert!(
            matches!(error, WebhookError::InvalidUrl { .. }),
            "{url}: {error:?}"
        );
        assert!(
            error
                .to_string()
                .starts_with(&format!("invalid webhook URL `{url}`")),
            "{error}"
        );
    }
    let url = "http://127.0.0.1:9/x";
    for (name, value) in [
        ("Bad Name", "v"),
        ("X-Ok", "line\nbreak"),
        ("Content-Type", "text/plain"),
    ] {
        let endpoint = WebhookEndpoint::new(url).header(name, value);
        let error = WebhookSink::new(WebhookConfig::new(endpoint, spool.path()))
            .expect_err("a bad header is refused");
        assert!(
            matches!(error, WebhookError::InvalidHeader { .. }),
            "{error:?}"
        );
    }
    assert!(WebhookEndpoint::new(url).header_line("no colon").is_err());
    let error = WebhookSink::new(WebhookConfig::new(url, spool.path()).batch_size(0))
        .expect_err("batch size 0 is refused");
    assert!(error.to_string().contains("batch size"), "{error}");
}

#[test]
fn posts_carry_json_content_type_auth_and_custom_headers() {
    let receiver = Receiver::ok();
    let spool = TempDir::new("headers");
    let endpoint = WebhookEndpoint::new(receiver.url())
        .bearer("s3cret")
        .header_line("X-Team: parcel")
        .expect("a header line");
    let sink = WebhookSink::new(
        WebhookConfig::new(endpoint, spool.path())
            .retry(fast())
            .batch_size(3),
    )
    .expect("sink");
    let recorded: Vec<Transaction> = ids("h", 3).iter().map(|id| tx(id)).collect();
    for t in &recorded {
        sink.record(t).expect("records");
    }
    assert!(sink.flush_within(Duration::from_secs(10)).expect("flushes"));
    let posts = receiver.posts();
    assert_eq!(posts.len(), 1, "one batch of 3");
    let post = &posts[0];
    assert_eq!(post.header("Content-Type"), Some("application/json"));
    assert_eq!(post.header("Authorization"), Some("Bearer s3cret"));
    assert_eq!(post.header("X-Team"), Some("parcel"));
    let body: Vec<Transaction> =
        serde_json::from_slice(&post.body).expect("an array of transactions");
    assert_eq!(body, recorded);
    // The token never shows in debug output.
    let shown = format!("{:?}", WebhookEndpoint::new("http://x/").bearer("s3cret"));
    assert!(!shown.contains("s3cret"), "{shown}");
}

#[test]
fn a_partial_batch_goes_out_after_max_delay() {
    let receiver = Receiver::ok();
    let spool = TempDir::new("delay");
    let sink = WebhookSink::new(
        config(&receiver.url(), &spool)
            .batch_size(100)
            .max_delay(Duration::from_millis(50)),
    )
    .expect("sink");
    for id in ids("d", 3) {
        sink.record(&tx(&id)).expect("records");
    }
    let start = Instant::now();
    while receiver.delivered().len() < 3 && start.elapsed() < Duration::from_secs(5) {
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(receiver.delivered(), ids("d", 3), "sent without a flush");
    assert_eq!(receiver.posts().len(), 1);
}

#[test]
fn health_check_as_parloa_sends_it() {
    let receiver = Receiver::start(
        0,
        Box::new(|_, post| {
            // Marked both ways, and the URL's own query kept.
            let ok = post.header("parloa-health-check") == Some("1")
                && post.url == "/analytics?team=parcel&parloa-health-check=1"
                && post.body.is_empty();
            Reply::status(if ok { 200 } else { 400 })
        }),
    );
    WebhookEndpoint::new(format!("{}?team=parcel", receiver.url()))
        .header("X-Team", "parcel")
        .health_check()
        .expect("200");
    assert_eq!(receiver.posts()[0].header("X-Team"), Some("parcel"));
    WebhookEndpoint::new(receiver.url())
        .health_check()
        .expect_err("the receiver wants the team's query");
    assert_eq!(
        receiver.posts()[1].url,
        "/analytics?parloa-health-check=1",
        "a URL without a query gets one"
    );

    let failing = Receiver::start(0, Box::new(|_, _| Reply::status(503)));
    let error = WebhookEndpoint::new(failing.url())
        .health_check()
        .expect_err("503 is not healthy");
    assert!(
        matches!(error, WebhookError::Status { status: 503, .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("answered HTTP 503, expected 200"),
        "{error}"
    );

    let nobody = format!("http://127.0.0.1:{}/", free_port());
    let error = WebhookEndpoint::new(nobody.as_str())
        .timeout(Duration::from_secs(2))
        .health_check()
        .expect_err("nothing listens");
    assert!(
        matches!(error, WebhookError::Unreachable { .. }),
        "{error:?}"
    );
}

#[test]
fn shutdown_keeps_its_deadline_and_leaves_the_rest_in_the_spool() {
    let url = format!("http://127.0.0.1:{}/analytics", free_port());
    let spool = TempDir::new("shutdown");
    let sink = WebhookSink::new(config(&url, &spool).batch_size(10)).expect("sink");
    for id in ids("s", 15) {
        sink.record(&tx(&id)).expect("records");
    }
    let start = Instant::now();
    let stats = sink.shutdown(Duration::from_millis(300));
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert_eq!((stats.pending, stats.sent), (15, 0));
    let lines: usize = spool
        .batch_files()
        .iter()
        .map(|f| std::fs::read_to_string(f).expect("reads").lines().count())
        .sum();
    assert_eq!(lines, 15);
    // Recorded after shutdown: spooled, not lost.
    sink.record(&tx("late")).expect("still spools");
    drop(sink);
    let lines: usize = spool
        .batch_files()
        .iter()
        .map(|f| std::fs::read_to_string(f).expect("reads").lines().count())
        .sum();
    assert_eq!(lines, 16);
}

#[test]
fn one_sink_per_spool_and_one_url_per_spool() {
    let spool = TempDir::new("lock");
    let url = format!("http://127.0.0.1:{}/a", free_port());
    let first = WebhookSink::new(config(&url, &spool)).expect("sink");
    let error = WebhookSink::new(config(&url, &spool)).expect_err("the spool is taken");
    assert!(
        matches!(error, WebhookError::SpoolInUse { .. }),
        "{error:?}"
    );
    first.record(&tx("kept")).expect("records");
    drop(first);
    let other = format!("http://127.0.0.1:{}/b", free_port());
    let error = WebhookSink::new(config(&other, &spool)).expect_err("batches for another URL");
    assert!(
        matches!(error, WebhookError::SpoolUrlMismatch { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains(&url), "{error}");
}

#[test]
fn torn_and_corrupt_spool_lines_never_block_delivery() {
    let receiver = Receiver::ok();
    let spool = TempDir::new("torn");
    std::fs::create_dir_all(spool.path()).expect("mkdir");
    let line = |id: &str| serde_json::to_string(&tx(id)).expect("serializes");
    // An older batch with a line that is not JSON, and the batch that was open when the process
    // died in the middle of a write.
    std::fs::write(
        spool.path().join("00000000000000000001.jsonl"),
        format!("{}\n{{\"transactionId\": \"cut\n{}\n", line("a"), line("b")),
    )
    .expect("writes");
    std::fs::write(
        spool.path().join("00000000000000000002.jsonl"),
        format!("{}\n{}", line("c"), &line("torn")[..40]),
    )
    .expect("writes");
    let sink = WebhookSink::new(config(&receiver.url(), &spool)).expect("sink");
    assert_eq!(sink.stats().replayed, 4, "the torn tail is cut at start");
    assert!(sink.flush_within(Duration::from_secs(10)).expect("flushes"));
    assert_eq!(receiver.delivered(), ["a", "b", "c"]);
    let stats = sink.stats();
    assert_eq!((stats.sent, stats.failed, stats.pending), (3, 1, 0));
    assert!(
        spool
            .path()
            .join("rejected/00000000000000000001.corrupt")
            .exists()
    );
}

#[test]
fn fsync_every_record_delivers_the_same() {
    let receiver = Receiver::ok();
    let spool = TempDir::new("fsync");
    let sink = WebhookSink::new(
        config(&receiver.url(), &spool)
            .sync(SyncPolicy::Record)
            .batch_size(4),
    )
    .expect("sink");
    for id in ids("f", 10) {
        sink.record(&tx(&id)).expect("records");
    }
    assert!(sink.flush_within(Duration::from_secs(10)).expect("flushes"));
    assert_eq!(receiver.delivered(), ids("f", 10));
}

#[test]
fn record_json_spools_the_engines_json_as_it_is() {
    let receiver = Receiver::ok();
    let spool = TempDir::new("json");
    let sink = WebhookSink::new(config(&receiver.url(), &spool).batch_size(3)).expect("sink");
    let compact = serde_json::to_vec(&tx("compact")).expect("serializes");
    let pretty = serde_json::to_vec_pretty(&tx("pretty")).expect("serializes");
    sink.record_json(&compact).expect("records compact JSON");
    sink.record_json(&pretty)
        .expect("records JSON over several lines");
    assert!(sink.record_json(b"[1, 2]").is_err(), "not a transaction");
    assert!(sink.record_json(b"{\n not json").is_err());
    assert!(sink.flush_within(Duration::from_secs(10)).expect("flushes"));
    let posts = receiver.posts();
    assert_eq!(posts.len(), 1);
    let body: Vec<Transaction> = serde_json::from_slice(&posts[0].body).expect("an array");
    assert_eq!(body, [tx("compact"), tx("pretty")]);
    // The engine's bytes went out untouched.
    assert!(
        posts[0]
            .body
            .starts_with(&[b"[".as_slice(), &compact, b","].concat())
    );
}

/// Environment of the child process of [`killed_mid_stream_loses_nothing`].
const CHILD_URL: &str = "FLOWC_WEBHOOK_TEST_URL";
const CHILD_SPOOL: &str = "FLOWC_WEBHOOK_TEST_SPOOL";
const CHILD_RANGE: &str = "FLOWC_WEBHOOK_TEST_RANGE";

/// Not a test: the process that [`killed_mid_stream_loses_nothing`] starts (and kills). Records
/// `tx-FROM..tx-TO`, printing `recorded ID` once `record` returned, then shuts down.
#[test]
#[ignore = "run as a child process by killed_mid_stream_loses_nothing"]
fn child_records_into_the_sink() {
    let (Ok(url), Ok(spool), Ok(range)) = (
        std::env::var(CHILD_URL),
        std::env::var(CHILD_SPOOL),
        std::env::var(CHILD_RANGE),
    ) else {
        return;
    };
    let (from, to) = range.split_once("..").expect("FROM..TO");
    let (from, to): (u32, u32) = (from.parse().unwrap(), to.parse().unwrap());
    let sink = WebhookSink::new(
        WebhookConfig::new(url.as_str(), spool)
            .retry(fast())
            .batch_size(7)
            .queue_capacity(20)
            .max_delay(Duration::from_millis(20)),
    )
    .expect("sink");
    for i in from..to {
        let id = format!("tx-{i}");
        sink.record(&tx(&id)).expect("records");
        println!("recorded {id}");
        thread::sleep(Duration::from_micros(500));
    }
    let stats = sink.shutdown(Duration::from_secs(10));
    println!("done pending={}", stats.pending);
}

/// Runs [`child_records_into_the_sink`] in a new process of this test binary.
fn spawn_child(url: &str, spool: &Path, range: &str) -> std::process::Child {
    Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "child_records_into_the_sink",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_URL, url)
        .env(CHILD_SPOOL, spool)
        .env(CHILD_RANGE, range)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts the child")
}

/// The child's stdout lines, read on a thread.
fn lines_of(child: &mut std::process::Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().expect("piped stdout");
    let (send, receive) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

#[test]
fn killed_mid_stream_loses_nothing() {
    // A receiver slow enough that the spool holds a backlog when the sender dies.
    let receiver = Receiver::start(
        0,
        Box::new(|_, _| Reply {
            status: 200,
            headers: Vec::new(),
            delay: Duration::from_millis(25),
        }),
    );
    let spool = TempDir::new("sigkill");
    let limit = Instant::now() + Duration::from_secs(20);

    let mut child = spawn_child(&receiver.url(), spool.path(), "0..1000000");
    let lines = lines_of(&mut child);
    let mut acknowledged = BTreeSet::new();
    while acknowledged.len() < 400 {
        let left = limit.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                if let Some(id) = line.strip_prefix("recorded ") {
                    acknowledged.insert(id.to_owned());
                }
            }
            Err(_) => break,
        }
    }
    child.kill().expect("SIGKILL"); // `Child::kill` sends SIGKILL on Unix
    child.wait().expect("reaped");
    // Lines already in the pipe were acknowledged too.
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(2)) {
        if let Some(id) = line.strip_prefix("recorded ") {
            acknowledged.insert(id.to_owned());
        }
    }
    assert!(acknowledged.len() >= 400, "{}", acknowledged.len());
    let before_restart = set(&receiver.delivered());
    assert!(
        !acknowledged.is_subset(&before_restart),
        "the kill came mid-stream: something was still spooled"
    );
    assert!(!spool.batch_files().is_empty());

    // Restarted against the same spool: replays it, records a few more, drains on shutdown.
    let mut child = spawn_child(&receiver.url(), spool.path(), "2000000..2000030");
    let lines = lines_of(&mut child);
    let mut done = false;
    while let Ok(line) = lines.recv_timeout(limit.saturating_duration_since(Instant::now())) {
        if let Some(id) = line.strip_prefix("recorded ") {
            acknowledged.insert(id.to_owned());
        }
        if line.starts_with("done pending=0") {
            done = true;
        }
    }
    let status = child.wait().expect("the restarted child exits");
    assert!(status.success() && done, "{status:?}");

    let delivered = set(&receiver.delivered());
    let missing: Vec<&String> = acknowledged.difference(&delivered).collect();
    assert!(missing.is_empty(), "lost: {missing:?}");
    assert!(spool.batch_files().is_empty());
}
