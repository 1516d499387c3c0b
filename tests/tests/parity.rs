//! Every conversation script, played through the generated engine and through the interpreter, must give
//! byte-identical transactions (deterministic clock and ids).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use flowc::interpret::Interpreter;
use flowc::script::{Script, StubServices};
use flowc_runtime::{Dynamic, Engine, Flow, Transaction};
use flowc_tests::{appointment_booking, dispatch_heavy, minimal, parcel_tracking, support_chat};

fn scripts() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../flows/conversations");
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("conversations folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    out.sort();
    out
}

fn play<F: Flow>(
    flow: F,
    script: &Script,
    ir: &flowc::ir::Flow,
    stubs: &StubServices,
) -> Vec<Transaction> {
    let engine = Engine::new(flow).deterministic();
    let played =
        flowc::script::play(&engine, script, ir, &|| stubs.take_calls()).expect("script plays");
    assert!(
        played.failures.is_empty(),
        "{}: {:?}",
        script.path.display(),
        played.failures
    );
    played.transactions
}

#[test]
fn generated_and_interpreted_engines_agree_on_every_script() {
    let scripts = scripts();
    assert!(scripts.len() >= 4);
    for path in scripts {
        let script = Script::load(&path).unwrap();
        let source = std::fs::read_to_string(script.flow_path()).unwrap();
        let (ir, _) = flowc::compile_source("flow.yaml", &source).unwrap();
        let interpreted_stubs = StubServices::new(script.services.clone());
        let interpreted = play(
            Interpreter::new(ir.clone(), &interpreted_stubs),
            &script,
            &ir,
            &interpreted_stubs,
        );
        let stubs = Arc::new(StubServices::new(script.services.clone()));
        let services = Dynamic(stubs.clone());
        let generated = match ir.name.as_str() {
            "appointment_booking" => play(
                appointment_booking::Flow::new(services),
                &script,
                &ir,
                &stubs,
            ),
            "dispatch_heavy" => play(dispatch_heavy::Flow::new(services), &script, &ir, &stubs),
            "minimal" => play(minimal::Flow::new(services), &script, &ir, &stubs),
            "parcel_tracking" => play(parcel_tracking::Flow::new(services), &script, &ir, &stubs),
            "support_chat" => play(support_chat::Flow::new(services), &script, &ir, &stubs),
            other => panic!("no generated module for flow `{other}`: add it to tests/src/lib.rs"),
        };
        let a = serde_json::to_string_pretty(&interpreted).unwrap();
        let b = serde_json::to_string_pretty(&generated).unwrap();
        assert!(
            a == b,
            "{}: generated and interpreted transactions differ:\n{}",
            path.display(),
            flowc::snapshot::diff(&a, &b)
        );
    }
}
