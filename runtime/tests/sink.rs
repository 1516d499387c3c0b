//! Analytics sinks.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};
use std::thread;

use flowc_runtime::{AnalyticsSink, JsonLinesSink, MemorySink, SinkError, TeeSink, Transaction};

const HANGUP: &str = include_str!("data/phonev2-hangup-transaction.json");

fn tx(id: &str) -> Transaction {
    let mut txs: Vec<Transaction> = serde_json::from_str(HANGUP).expect("reference parses");
    let mut tx = txs.remove(0);
    tx.transaction_id = id.to_owned();
    tx
}

/// A writer that always fails.
struct Broken;

impl Write for Broken {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::other("disk on fire"))
    }
    fn flush(&mut self) -> io::Result<()> {
        Err(io::Error::other("disk on fire"))
    }
}

#[test]
fn json_lines_writes_one_compact_object_per_line() {
    let sink = JsonLinesSink::new(Vec::new());
    sink.record(&tx("a")).expect("records");
    sink.record(&tx("b")).expect("records");
    sink.flush().expect("flushes");
    let out = String::from_utf8(sink.into_inner()).expect("utf-8");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(out.ends_with('\n'));
    for (line, id) in lines.iter().zip(["a", "b"]) {
        assert!(line.starts_with(&format!(r#"{{"transactionId":"{id}","requestTimestamp""#)));
        let back: Transaction = serde_json::from_str(line).expect("line parses");
        assert_eq!(back, tx(id));
    }
}

#[test]
fn json_lines_from_many_threads_never_interleave() {
    let sink = Arc::new(JsonLinesSink::new(Vec::new()));
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let sink = Arc::clone(&sink);
            thread::spawn(move || {
                for i in 0..50 {
                    sink.record(&tx(&format!("{t}-{i}"))).expect("records");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread finished");
    }
    let sink = Arc::into_inner(sink).expect("last handle");
    let out = String::from_utf8(sink.into_inner()).expect("utf-8");
    assert_eq!(out.lines().count(), 200);
    for line in out.lines() {
        serde_json::from_str::<Transaction>(line).expect("each line is one transaction");
    }
}

#[test]
fn json_lines_reports_io_errors() {
    let sink = JsonLinesSink::new(Broken);
    let err = sink.record(&tx("a")).expect_err("must fail");
    assert!(matches!(err, SinkError::Io(_)));
    assert!(err.to_string().contains("disk on fire"), "{err}");
    assert!(sink.flush().is_err());
}

#[test]
fn memory_sink_collects_and_takes() {
    let sink = MemorySink::unbounded();
    assert!(sink.is_empty());
    sink.record(&tx("a")).expect("records");
    sink.record(&tx("b")).expect("records");
    assert_eq!(sink.len(), 2);
    assert_eq!(sink.snapshot().len(), 2);
    let taken = sink.take();
    assert_eq!(
        taken
            .iter()
            .map(|t| t.transaction_id.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert!(sink.is_empty());
}

#[test]
fn tee_feeds_every_sink_and_reports_failures() {
    let first = Arc::new(MemorySink::unbounded());
    let last = Arc::new(MemorySink::unbounded());
    let lines = Arc::new(JsonLinesSink::new(Vec::new()));
    let tee = TeeSink::new()
        .with(Arc::clone(&first))
        .with(JsonLinesSink::new(Broken))
        .with(Arc::clone(&lines))
        .with(Arc::clone(&last));
    assert_eq!(tee.len(), 4);

    let err = tee.record(&tx("a")).expect_err("one sink is broken");
    match &err {
        SinkError::Tee(errors) => {
            assert_eq!(errors.len(), 1);
            assert_eq!(errors[0].0, 1);
        }
        other => panic!("unexpected error {other:?}"),
    }
    assert!(
        err.to_string().contains("1 sink(s) failed; sink #1:"),
        "{err}"
    );
    assert!(std::error::Error::source(&err).is_some());
    assert_eq!(first.len(), 1);
    assert_eq!(last.len(), 1);
    assert!(tee.flush().is_err());

    drop(tee);
    let lines = Arc::into_inner(lines).expect("last handle").into_inner();
    assert_eq!(lines.iter().filter(|&&b| b == b'\n').count(), 1);
}

#[test]
fn empty_tee_is_ok() {
    let tee = TeeSink::new();
    assert!(tee.is_empty());
    tee.record(&tx("a")).expect("nothing to fail");
    tee.flush().expect("nothing to fail");
}

#[test]
fn sinks_are_usable_as_shared_trait_objects() {
    let memory = Arc::new(MemorySink::unbounded());
    let sink: Arc<dyn AnalyticsSink> = memory.clone();
    let shared = Mutex::new(sink);
    shared
        .lock()
        .expect("not poisoned")
        .record(&tx("a"))
        .expect("records");
    assert_eq!(memory.len(), 1);
}

fn ids(txs: &[Transaction]) -> Vec<&str> {
    txs.iter().map(|t| t.transaction_id.as_str()).collect()
}

#[test]
fn a_bounded_memory_sink_drops_the_oldest_and_counts_them() {
    let sink = MemorySink::with_capacity(3);
    assert_eq!(sink.capacity(), Some(3));
    for i in 0..10 {
        sink.record(&tx(&i.to_string())).expect("records");
        assert!(sink.len() <= 3, "holds {} after {i}", sink.len());
    }
    assert_eq!(sink.len(), 3);
    assert_eq!(sink.dropped(), 7);
    assert_eq!(ids(&sink.snapshot()), ["7", "8", "9"]);
    // Taking empties the sink; the count of what was lost stays.
    assert_eq!(ids(&sink.take()), ["7", "8", "9"]);
    assert!(sink.is_empty());
    assert_eq!(sink.dropped(), 7);
    sink.record(&tx("10")).expect("records");
    assert_eq!(ids(&sink.snapshot()), ["10"]);
    assert_eq!(sink.dropped(), 7);
}

#[test]
fn a_memory_sink_of_capacity_zero_only_counts() {
    let sink = MemorySink::with_capacity(0);
    sink.record(&tx("a")).expect("records");
    sink.record(&tx("b")).expect("records");
    assert!(sink.is_empty());
    assert_eq!(sink.dropped(), 2);
}

#[test]
fn an_unbounded_memory_sink_keeps_everything() {
    let sink = MemorySink::unbounded();
    assert_eq!(sink.capacity(), None);
    for i in 0..100 {
        sink.record(&tx(&i.to_string())).expect("records");
    }
    assert_eq!(sink.len(), 100);
    assert_eq!(sink.dropped(), 0);
}
