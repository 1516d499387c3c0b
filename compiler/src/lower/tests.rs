//! State ids (T15) and lowering, pinned to values computed outside the crate.

use super::*;

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
            (s.dialog_name.clone(), block.key.clone(), s.id.clone())
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
