//! A bounded memory sink behind a generated engine keeps the newest transactions and counts the ones it
//! dropped; what it holds is what the engine wrote.

use std::sync::Arc;

use flowc_runtime::{Dynamic, Engine, MemorySink, NoServices, Transaction, TurnBuffer};
use flowc_tests::conversations::conversation;
use flowc_tests::dispatch_heavy;

const CAPACITY: usize = 3;

#[test]
fn a_bounded_memory_sink_holds_the_newest_turns_and_counts_the_rest() {
    let sink = Arc::new(MemorySink::with_capacity(CAPACITY));
    let engine = Engine::new(dispatch_heavy::Flow::new(Dynamic(NoServices)))
        .deterministic()
        .with_shared_sink(sink.clone());
    let (opening, cycle) = conversation("dispatch_heavy");
    let requests: Vec<_> = opening
        .iter()
        .chain(cycle.iter().cycle().take(20))
        .collect();
    let mut buffer = TurnBuffer::new();
    let mut written = Vec::new();
    for request in &requests {
        engine.play_phone(request, &mut buffer).expect("turn");
        written.push(serde_json::from_slice::<Transaction>(buffer.transaction_json()).unwrap());
        assert!(sink.len() <= CAPACITY, "the sink outgrew its capacity");
    }
    assert!(written.len() > CAPACITY);
    assert_eq!(sink.capacity(), Some(CAPACITY));
    assert_eq!(sink.dropped(), (written.len() - CAPACITY) as u64);
    assert_eq!(sink.snapshot(), written[written.len() - CAPACITY..]);
}
