//! Memory stays flat: 100,000 conversations opened and abandoned are all ended by idle expiry — each
//! recorded with an IdleTimeout warning — and leave the store empty and the heap where it started. The heap
//! is counted by a counting global allocator (allocation-counter, in this test binary only).

mod serving;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use flowc_runtime::{
    AnalyticsSink, Engine, PhoneEvent, PhoneRequest, SessionStore, SinkError, Transaction,
    TurnBuffer,
};
use flowc_tests::conversations::call_meta;
use flowc_tests::parcel_tracking;
use serving::Backend;

const CONVERSATIONS: usize = 100_000;

/// Counts the transactions it is given, and those that end a conversation after the idle timeout.
#[derive(Default)]
struct Counting {
    all: AtomicU64,
    idle: AtomicU64,
}

impl AnalyticsSink for Counting {
    fn record(&self, _: &Transaction) -> Result<(), SinkError> {
        unreachable!("the engine hands over JSON")
    }

    fn record_json(&self, json: &[u8]) -> Result<(), SinkError> {
        self.all.fetch_add(1, Ordering::Relaxed);
        if json.windows(13).any(|w| w == b"\"IdleTimeout\"") {
            self.idle.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

#[test]
fn a_hundred_thousand_abandoned_conversations_leave_nothing_behind() {
    let sink = Arc::new(Counting::default());
    // The same caller for every call: user-lifetime values are kept per caller by design, one entry here.
    let engine = Engine::new(parcel_tracking::Flow::new(Backend)).with_shared_sink(sink.clone());
    let mut buffer = TurnBuffer::new();
    let mut request = PhoneRequest::event(call_meta(), PhoneEvent::Welcome);
    // Warm up what lives as long as the engine (buffers, the user store's entry) before counting.
    engine.play_phone(&request, &mut buffer).unwrap();
    engine.expire_idle(Duration::ZERO, usize::MAX, &mut buffer);
    let opened = allocation_counter::measure(|| {
        for i in 0..CONVERSATIONS {
            request.call_meta.session_id = Some(format!("call-{i}"));
            engine.play_phone(&request, &mut buffer).unwrap();
        }
    });
    assert_eq!(engine.store().len(), CONVERSATIONS);
    let held = opened.bytes_current;
    assert!(
        held > (CONVERSATIONS * 200) as i64,
        "{held} bytes for {CONVERSATIONS} conversations"
    );
    // Not idle for an hour yet: nothing ends.
    assert_eq!(
        engine
            .expire_idle(Duration::from_secs(3600), usize::MAX, &mut buffer)
            .removed,
        0
    );
    let mut expired = flowc_runtime::Expired::default();
    let freed = allocation_counter::measure(|| {
        expired = engine.expire_idle(Duration::ZERO, usize::MAX, &mut buffer);
    });
    assert_eq!(
        (expired.removed, expired.ended, expired.sink_errors),
        (CONVERSATIONS, CONVERSATIONS, 0)
    );
    assert!(engine.store().is_empty());
    assert_eq!(sink.idle.load(Ordering::Relaxed), CONVERSATIONS as u64 + 1);
    assert_eq!(
        sink.all.load(Ordering::Relaxed),
        2 * (CONVERSATIONS as u64 + 1)
    );
    let left = held + freed.bytes_current;
    println!(
        "{CONVERSATIONS} open conversations held {held} bytes; after expiry {left} bytes are left"
    );
    assert!(left < 64 * 1024, "{left} bytes left of {held}");
}
