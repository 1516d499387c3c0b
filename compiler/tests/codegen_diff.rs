//! Generated code a reviewer can diff: inserting one block in the middle of a shipped flow changes the
//! generated module by that block's own lines plus a small constant, not by renumbering every later block,
//! state and handler.
//!
//! A block's own lines are measured, not guessed: the same block appended at the end of its dialog, where
//! nothing comes after it to renumber, changes exactly those lines (and the few an appended block touches
//! anywhere). The block inserted in the middle may change only a few more.

use similar::{ChangeTag, TextDiff};

const FLOW: &str = include_str!("../../flows/parcel_tracking.yaml");

/// A state with an intent handler, an `else`, a DTMF handler with a pattern the flow already uses, rotating
/// prompts and a reprompt: most of what a block contributes to the generated module.
const INSERTED: &str = r#"
      confirmNumber:
        state:
          name: Confirm number
          say:
            - "Is {{ trackingNumber }} correct?"
            - "Did I get {{ trackingNumber }} right?"
          reprompt: "Please say yes or no."
          on: { Affirm: lookup, Deny: askNumber }
          dtmf:
            match: "[0-9]{8,20}"
            set: { trackingNumber: "{{ dtmf }}" }
            goto: lookup
          else: { say: "Sorry?", goto: askNumber }
"#;

/// How many more lines the block inserted in the middle may change than the block appended at the end.
const SLACK: usize = 6;

/// The flow with `INSERTED` before the line `before` (or at the end of the file).
fn with_block(before: Option<&str>) -> String {
    match before {
        Some(line) => {
            let at = FLOW.find(line).expect("the anchor line is in the flow");
            format!(
                "{}{}\n{}",
                &FLOW[..at],
                INSERTED.trim_start_matches('\n'),
                &FLOW[at..]
            )
        }
        None => format!("{FLOW}{INSERTED}"),
    }
}

fn compile(source: &str) -> flowc::ir::Flow {
    flowc::compile_source("parcel_tracking.yaml", source)
        .unwrap_or_else(|c| panic!("{}", c.render(flowc::render::Style::Plain)))
        .0
}

fn generate(source: &str) -> String {
    // The header hashes the source; leave it out so that only the code is compared.
    flowc::codegen::generate(&compile(source), &flowc::codegen::Settings::default())
        .expect("generates")
}

/// Where the inserted block is among the flow's blocks, and how many there are.
fn position(source: &str) -> (usize, usize) {
    let ir = compile(source);
    let at = ir.blocks.iter().position(|b| b.key == "confirmNumber");
    (at.expect("the block is in the flow"), ir.blocks.len())
}

/// Lines removed plus lines added by a line diff of `old` and `new`.
fn changed_lines(old: &str, new: &str) -> usize {
    TextDiff::from_lines(old, new)
        .iter_all_changes()
        .filter(|c| c.tag() != ChangeTag::Equal)
        .count()
}

#[test]
fn a_block_inserted_in_the_middle_changes_only_its_own_lines() {
    let original = generate(FLOW);
    // Between the service lookup (block 5 of 19, the states after it numbered 2–5) and the states it leads to.
    let (middle, end) = (with_block(Some("      lookup:\n")), with_block(None));
    assert_eq!(position(&middle), (5, 20));
    assert_eq!(position(&end), (19, 20));
    let (middle, end) = (generate(&middle), generate(&end));
    let own = changed_lines(&original, &end);
    let inserted = changed_lines(&original, &middle);
    assert!(
        own > 20,
        "the appended block changes {own} lines: too few to be its own code"
    );
    assert!(
        inserted <= own + SLACK,
        "inserting the block in the middle changes {inserted} lines, appending it {own}: later blocks were \
         renumbered\n{}",
        TextDiff::from_lines(&original, &middle).unified_diff()
    );
}
