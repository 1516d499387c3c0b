//! A generated engine's turn allocates nothing once its buffers are warm: dispatch, conditions, sets,
//! prompts and the transaction all reuse the conversation's strings and the turn buffer. The engines here
//! keep the default sink, so the count also proves that the default keeps no transaction.

use flowc_runtime::{Engine, Flow, NoServices, PhoneRequest, TurnBuffer};
use flowc_tests::conversations::conversation;
use flowc_tests::dispatch_heavy;

/// Allocations of `rounds` passes over `cycle`, after one pass to warm the buffers up.
fn allocations<F: Flow>(engine: &Engine<F>, cycle: &[PhoneRequest], rounds: usize) -> u64 {
    let mut buffer = TurnBuffer::new();
    let mut play = || {
        for request in cycle {
            engine.play_phone(request, &mut buffer).expect("turn");
        }
    };
    play();
    allocation_counter::measure(|| {
        for _ in 0..rounds {
            play();
        }
    })
    .count_total
}

/// An engine of `flow` after the benchmark's opening, and the benchmark's cycle of requests (topics routed to
/// sales, support and the billing subdialog, and a confirmation inside it). `deterministic` picks the test
/// clock and sequential ids instead of the system clock and random object ids. No sink is given: a default
/// that kept transactions would allocate on every turn.
fn switchboard<F: Flow>(flow: F, deterministic: bool) -> (Engine<F>, Vec<PhoneRequest>) {
    let engine = if deterministic {
        Engine::new(flow).deterministic()
    } else {
        Engine::new(flow)
    };
    let (opening, cycle) = conversation("dispatch_heavy");
    let mut buffer = TurnBuffer::new();
    for request in &opening {
        engine.play_phone(request, &mut buffer).expect("opening");
    }
    (engine, cycle)
}

#[test]
fn a_warm_generated_turn_allocates_nothing() {
    for deterministic in [true, false] {
        let flow = dispatch_heavy::Flow::new(flowc_runtime::Dynamic(NoServices));
        let (engine, cycle) = switchboard(flow, deterministic);
        assert_eq!(
            allocations(&engine, &cycle, 20),
            0,
            "deterministic: {deterministic}"
        );
    }
}

#[test]
fn the_count_sees_the_interpreters_allocations() {
    // The same turns interpreted allocate (templates rendered into new strings, variables listed for the
    // transaction): the count above is a real count, not a counter that is switched off.
    let source = include_str!("../../flows/dispatch_heavy.yaml");
    let (ir, _) = flowc::compile_source("dispatch_heavy.yaml", source).expect("clean flow");
    let (engine, cycle) = switchboard(flowc::interpret::Interpreter::new(ir, NoServices), true);
    assert!(allocations(&engine, &cycle, 1) > 0);
}
