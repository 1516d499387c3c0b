//! State ids (T15) and lowering, pinned to values computed outside the crate.

use super::*;
use crate::ir::START_STATE_ID;

#[test]
fn derived_ids_are_uuid_v5_of_flow_dialog_and_block_in_the_pinned_namespace() {
    // Pinned: analytics depend on these never changing. The expected values were computed outside this
    // crate (Python's `uuid.uuid5(UUID("6f1c2d7e-8a4b-4c0e-9d3f-5b2a7e6c1f08"), "flow/dialog/block")`), so
    // a change of namespace, of the name's layout or of the UUID version turns this red.
    let pinned = [
        (
            ("parcel", "main", "askNumber"),
            "7336b804-5b3c-5c1e-88ea-62185d2ea1c9",
        ),
        (
            ("parcel_tracking", "main", "askNumber"),
            "0cb20789-c260-523c-ba3b-5832d52f9697",
        ),
        (
            ("turns", "main", "ask"),
            "9ff7a5a1-af66-5e86-9486-9ac99c85d05b",
        ),
        (
            ("turns", "main", "tell"),
            "42b9d4a2-9ca6-56ca-b3b1-bcc1469c8e6d",
        ),
        (
            ("turns", "confirm", "askYes"),
            "47adbfa1-915a-56f7-9093-a064641921d5",
        ),
    ];
    for ((flow, dialog, block), id) in pinned {
        assert_eq!(
            derived_state_id(flow, dialog, block),
            id,
            "{flow}/{dialog}/{block}"
        );
    }
}

#[test]
fn each_part_of_the_name_changes_the_id() {
    let base = derived_state_id("parcel", "main", "askNumber");
    for other in [
        derived_state_id("parcel2", "main", "askNumber"),
        derived_state_id("parcel", "other", "askNumber"),
        derived_state_id("parcel", "main", "askNumber2"),
        // The parts are not just concatenated: moving a character between them is another id.
        derived_state_id("parce", "lmain", "askNumber"),
    ] {
        assert_ne!(base, other);
    }
}

fn ids(source: &str) -> Vec<(String, String, String)> {
    let (flow, _) = crate::compile_source("ids.yaml", source)
        .unwrap_or_else(|c| panic!("{}", c.render(crate::render::Style::Plain)));
    let mut out: Vec<_> = flow
        .states
        .iter()
        .map(|s| {
            let block = &flow.blocks[s.block];
            let reference = &block.reference;
            (
                reference.dialog.clone(),
                block.key.clone(),
                reference.id.clone(),
            )
        })
        .collect();
    out.sort();
    out
}

const FLOW: &str = "flow: ids\nintents:\n  A: []\ndialogs:\n  main:\n    start: { say: Hi, on: { A: one } }\n    blocks:\n      one:\n        state: { say: One, on: { A: two } }\n      two:\n        state: { id: pinned-two, say: Two, on: { A: sub } }\n      sub:\n        call: side\n        on: { success: one }\n  side:\n    entry: ask\n    blocks:\n      ask:\n        state: { say: Ask, on: { A: done } }\n      done:\n        exit: success\n";

#[test]
fn lowering_gives_the_start_block_state_base_explicit_ids_and_derived_ids() {
    let ids = ids(FLOW);
    let get = |dialog: &str, key: &str| {
        ids.iter()
            .find(|(d, k, _)| d == dialog && k == key)
            .map(|(_, _, id)| id.as_str())
            .unwrap_or_else(|| panic!("no state {dialog}/{key} in {ids:?}"))
    };
    assert_eq!(ids.len(), 4, "{ids:?}");
    assert_eq!(get("main", "start"), START_STATE_ID);
    assert_eq!(get("main", "one"), derived_state_id("ids", "main", "one"));
    assert_eq!(get("main", "two"), "pinned-two");
    assert_eq!(get("side", "ask"), derived_state_id("ids", "side", "ask"));
}

#[test]
fn reordering_blocks_and_dialogs_and_inserting_blocks_keeps_every_id() {
    // The same flow with the dialogs swapped, each dialog's blocks in another order, and new states
    // inserted before, between and after the old ones.
    let moved = "flow: ids\nintents:\n  A: []\ndialogs:\n  side:\n    entry: ask\n    blocks:\n      early:\n        state: { say: Early, on: { A: done } }\n      done:\n        exit: success\n      ask:\n        state: { say: Ask, on: { A: early } }\n  main:\n    start: { say: Hi, on: { A: one } }\n    blocks:\n      first:\n        state: { say: First, on: { A: one } }\n      sub:\n        call: side\n        on: { success: first }\n      two:\n        state: { id: pinned-two, say: Two, on: { A: sub } }\n      between:\n        state: { say: Between, on: { A: two } }\n      one:\n        state: { say: One, on: { A: between } }\n";
    let before = ids(FLOW);
    let after = ids(moved);
    assert_eq!(after.len(), before.len() + 3, "{after:?}");
    for state in &before {
        assert!(after.contains(state), "{state:?} changed: {after:?}");
    }
    assert!(after.contains(&(
        "side".into(),
        "early".into(),
        derived_state_id("ids", "side", "early")
    )));
}

#[test]
fn every_block_and_the_global_block_carry_their_reference() {
    let (flow, _) = crate::compile_source("ids.yaml", FLOW).unwrap();
    for block in &flow.blocks {
        let dialog = &flow.dialogs[block.dialog].name;
        assert_eq!(&block.reference.dialog, dialog);
        match block.kind {
            ir::BlockKind::Wait(_) => {}
            _ => assert_eq!(
                block.reference.id,
                derived_state_id("ids", dialog, &block.key),
                "{}",
                block.key
            ),
        }
    }
    let global = &flow.global.reference;
    assert_eq!(
        (
            global.id.as_str(),
            global.name.as_str(),
            global.dialog.as_str()
        ),
        (ir::GLOBAL_STATE_ID, "Global Intents", "main")
    );
}

#[test]
fn handlers_and_patterns_are_numbered_once() {
    let source = "flow: h\nintents:\n  A: []\n  B: []\nvariables:\n  x: session\ndialogs:\n  main:\n    start:\n      say: Hi\n      on: { A: ask, B: ask }\n      dtmf: [{ match: \"[0-9]\", goto: ask }, { match: \"[0-9]{2}\", goto: ask }]\n      else: ask\n    global:\n      on: { PARLOA.EndConversation: bye, B: ask }\n      else: ask\n    blocks:\n      ask:\n        condition:\n          - when: \"matches(x, '[0-9]')\"\n            goto: start\n          - else: bye\n      bye:\n        end: {}\n";
    let (flow, _) = crate::compile_source("h.yaml", source)
        .unwrap_or_else(|c| panic!("{}", c.render(crate::render::Style::Plain)));
    // The state's intents, else and DTMF handlers, then the global intents, else and ending.
    let triggers: Vec<(ir::Owner, ir::Trigger)> = flow
        .handlers
        .iter()
        .map(|h| (h.owner, h.trigger.clone()))
        .collect();
    let start = ir::Owner::State(ir::StateId::START);
    let (digit, two_digits) = (ir::PatternId::new(0), ir::PatternId::new(1));
    assert_eq!(
        triggers,
        [
            (start, ir::Trigger::Intent("A".into())),
            (start, ir::Trigger::Intent("B".into())),
            (start, ir::Trigger::Else),
            (start, ir::Trigger::Dtmf(digit)),
            (start, ir::Trigger::Dtmf(two_digits)),
            (ir::Owner::Global, ir::Trigger::Intent("B".into())),
            (ir::Owner::Global, ir::Trigger::Else),
            (ir::Owner::Global, ir::Trigger::Ending),
        ]
    );
    // The condition's pattern is met first (blocks are lowered before states) and the DTMF handler's
    // equal pattern is the same entry.
    assert_eq!(flow.patterns.as_slice(), ["[0-9]", "[0-9]{2}"]);
    let state = &flow.states[ir::StateId::START];
    assert_eq!(
        state.dtmf.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
        [digit, two_digits]
    );
    let ids =
        |list: &[(String, ir::HandlerId)]| list.iter().map(|(_, h)| h.index()).collect::<Vec<_>>();
    assert_eq!(ids(&state.intents), [0, 1]);
    assert_eq!(state.otherwise.map(ir::HandlerId::index), Some(2));
    assert_eq!(ids(&flow.global.intents), [5]);
    assert_eq!(flow.global.ending.map(ir::HandlerId::index), Some(7));
}

#[test]
fn a_name_lowering_cannot_resolve_is_an_internal_error_not_the_flows() {
    // An action without `goto` is a parse error (E004) that analysis does not report again, so analysis
    // alone resolves the flow; lowering it anyway meets the hole.
    let source = "flow: hole\nintents:\n  A: []\ndialogs:\n  main:\n    start: { say: Hi, on: { A: { say: Oops } } }\n";
    let (ast, parse_diagnostics) = crate::parse::parse_flow(source);
    assert!(parse_diagnostics.iter().any(|d| d.code == Code::MissingKey));
    let ast = ast.expect("the flow parses");
    let resolved = Resolved {
        flow: &ast,
        symbols: Symbols::build(&ast, &mut Vec::new()),
    };
    let error = lower(&resolved).expect_err("the hole is found");
    assert_eq!(error.code, Code::Internal);
    assert_eq!(error.code.as_str(), "E999");
    assert!(
        error.message.starts_with("internal compiler error: "),
        "{}",
        error.message
    );
    assert!(
        error
            .help
            .as_deref()
            .is_some_and(|h| h.contains("bug in flowc"))
    );
    // Through the public pipeline the parse error stops the flow before lowering.
    let failed = crate::compile_source("hole.yaml", source).expect_err("E004");
    assert!(failed.diagnostics.iter().all(|d| d.code != Code::Internal));
}
