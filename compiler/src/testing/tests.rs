//! The snapshot cycle a team goes through: no snapshot yet, accepted, unchanged, a changed prompt.

use std::path::{Path, PathBuf};

use super::*;

const FLOW: &str = "flow: pizza
intents:
  Order: [\"a {size} pizza please\"]
dialogs:
  main:
    start:
      say: \"Hi! What can I get you?\"
      on: { Order: done }
      else: start
    blocks:
      done:
        end: { say: \"One pizza, coming up.\" }
";

const SCRIPT: &str = "name: order
flow_file: ../pizza.yaml
turns:
  - welcome
  - intent: Order
    expect: { ends: true }
";

fn project(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowc-testing-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("conversations")).unwrap();
    std::fs::write(dir.join("pizza.yaml"), FLOW).unwrap();
    std::fs::write(dir.join("conversations/order.yaml"), SCRIPT).unwrap();
    dir
}

fn snap(dir: &Path) -> PathBuf {
    dir.join("conversations/snapshots/order.snap")
}

#[test]
fn missing_then_accepted_then_same_then_a_changed_prompt_is_a_short_report() {
    let dir = project("cycle");
    let conversations = Conversations::new(dir.join("conversations"));

    let report = conversations.clone().update(Update::New).run_interpreted();
    assert_eq!(report.failed(), 1, "{report}");
    assert!(report.to_string().contains("no snapshot at"), "{report}");
    assert!(snap(&dir).with_extension("snap.new").exists());
    assert!(!snap(&dir).exists());

    let report = conversations
        .clone()
        .update(Update::Always)
        .run_interpreted();
    assert!(report.is_ok(), "{report}");
    let stored = std::fs::read_to_string(snap(&dir)).unwrap();
    assert!(stored.contains("expression: conversation"), "{stored}");
    assert!(
        stored.contains("says:     One pizza, coming up."),
        "{stored}"
    );
    assert!(!snap(&dir).with_extension("snap.new").exists());

    let report = conversations.clone().update(Update::No).run_interpreted();
    assert!(report.is_ok(), "{report}");

    std::fs::write(
        dir.join("pizza.yaml"),
        FLOW.replace("One pizza, coming up.", "Your pizza is on its way."),
    )
    .unwrap();
    let report = conversations.clone().update(Update::No).run_interpreted();
    let text = report.to_string();
    assert_eq!(report.failed(), 1, "{text}");
    assert!(text.contains("- says:     One pizza, coming up."), "{text}");
    assert!(
        text.contains("+ says:     Your pizza is on its way."),
        "{text}"
    );
    // Update::No writes nothing.
    assert!(!snap(&dir).with_extension("snap.new").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_full_snapshot_holds_the_transactions_as_json() {
    let dir = project("full");
    std::fs::write(
        dir.join("conversations/order.yaml"),
        SCRIPT.replace("name: order\n", "name: order\nsnapshot: full\n"),
    )
    .unwrap();
    let report = Conversations::new(dir.join("conversations"))
        .update(Update::Always)
        .run_interpreted();
    assert!(report.is_ok(), "{report}");
    let stored = std::fs::read_to_string(snap(&dir)).unwrap();
    let body = crate::snapshot::body(&stored);
    let transactions: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(transactions.as_array().map(Vec::len), Some(2));
    assert_eq!(transactions[0]["transactionId"], "tx-000001");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_engine_of_another_flow_skips_the_script_and_assert_says_so() {
    let dir = project("other");
    let other = crate::compile_source("o.yaml", &FLOW.replace("flow: pizza", "flow: pasta"))
        .unwrap()
        .0;
    let conversations = Conversations::new(dir.join("conversations")).update(Update::No);
    let report = conversations.run(|stubs| Interpreter::new(other.clone(), stubs));
    assert_eq!(report.outcomes.len(), 0);
    assert_eq!(report.skipped.len(), 1);
    assert!(!report.is_ok());
    let panic = std::panic::catch_unwind(|| {
        conversations.assert(|stubs| Interpreter::new(other.clone(), stubs));
    });
    assert!(panic.is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
