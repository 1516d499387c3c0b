//! Every conversation script, played through the generated engine and through the interpreter, must give
//! byte-identical transactions (deterministic clock and ids): one per turn in both engines, no turn refused
//! by either, the same bytes turn by turn.

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
        // `play` drops a refused turn from `transactions` (and reports it in `failures`, checked above): the
        // counts say that nothing was dropped.
        assert_eq!(interpreted.len(), script.turns.len(), "{}", path.display());
        assert_eq!(generated.len(), script.turns.len(), "{}", path.display());
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

/// Plays a script's requests through the fast API and returns each turn's transaction bytes, or why the turn
/// could not be played (a request that does not parse, or one the engine refused). Nothing is skipped: the
/// result has one entry per request.
fn raw<F: Flow>(flow: F, script: &Script, ir: &flowc::ir::Flow) -> Vec<Result<Vec<u8>, String>> {
    let engine = Engine::new(flow).deterministic();
    let chat = !ir.supports(flowc::ast::Platform::Phone);
    let requests = flowc::script::requests(script, chat, ir).expect("requests");
    let mut buffer = flowc_runtime::TurnBuffer::new();
    requests
        .iter()
        .map(|line| {
            if chat {
                let request = serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))?;
                engine.play_chat(&request, &mut buffer)
            } else {
                let request = serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))?;
                engine.play_phone(&request, &mut buffer)
            }
            .map_err(|e| e.to_string())?;
            Ok(buffer.transaction_json().to_vec())
        })
        .collect()
}

#[test]
fn written_transactions_equal_their_serde_serialisation_on_every_script() {
    for path in scripts() {
        let script = Script::load(&path).unwrap();
        let source = std::fs::read_to_string(script.flow_path()).unwrap();
        let (ir, _) = flowc::compile_source("flow.yaml", &source).unwrap();
        let services = Dynamic(Arc::new(StubServices::new(script.services.clone())));
        let generated = match ir.name.as_str() {
            "appointment_booking" => raw(appointment_booking::Flow::new(services), &script, &ir),
            "dispatch_heavy" => raw(dispatch_heavy::Flow::new(services), &script, &ir),
            "minimal" => raw(minimal::Flow::new(services), &script, &ir),
            "parcel_tracking" => raw(parcel_tracking::Flow::new(services), &script, &ir),
            "support_chat" => raw(support_chat::Flow::new(services), &script, &ir),
            other => panic!("no generated module for flow `{other}`"),
        };
        let interpreted = raw(
            Interpreter::new(ir.clone(), StubServices::new(script.services.clone())),
            &script,
            &ir,
        );
        assert_eq!(generated.len(), script.turns.len(), "{}", path.display());
        assert_eq!(interpreted.len(), script.turns.len(), "{}", path.display());
        for (turn, (g, i)) in generated.iter().zip(&interpreted).enumerate() {
            let (g, i) = match (g, i) {
                (Ok(g), Ok(i)) => (g, i),
                (g, i) => panic!(
                    "{} turn {}: a turn failed (generated: {:?}, interpreted: {:?})",
                    path.display(),
                    turn + 1,
                    g.as_ref().err(),
                    i.as_ref().err()
                ),
            };
            let parsed: Transaction = serde_json::from_slice(g).unwrap();
            let reserialised = serde_json::to_vec(&parsed).unwrap();
            assert_eq!(
                String::from_utf8_lossy(g),
                String::from_utf8_lossy(&reserialised),
                "{} turn {}: written bytes differ from serde's",
                path.display(),
                turn + 1
            );
            assert_eq!(
                g,
                i,
                "{} turn {}: generated and interpreted bytes differ",
                path.display(),
                turn + 1
            );
        }
    }
}

/// One caller's two phone calls to appointment_booking, whose branches use `empty()` and `contains()`:
/// the name given on the first call and the kind of visit come from the caller; the second call shows
/// whether the remembered (user-lifetime) name counts as empty.
fn two_calls<F: Flow>(flow: F, name: &str, visit: &str) -> Vec<Transaction> {
    let engine = Engine::new(flow).deterministic();
    let meta = |session: &str| serde_json::json!({"instanceId": "i", "callId": session, "callerId": "+4930123", "sessionId": session, "customerId": "c", "production": false, "isPrivacyEnabled": false});
    let intent = |name: &str, slot: &str, value: &str| serde_json::json!({"text": name, "intent": {"name": name}, "slots": [{"name": slot, "value": value}]});
    let requests = [
        ("call-1", serde_json::json!({"event": "WELCOME"})),
        (
            "call-1",
            serde_json::json!({"event": "DTMF", "collectedDtmf": "1"}),
        ),
        ("call-1", intent("ProvideName", "name", name)),
        ("call-1", intent("ProvideAppointmentType", "type", visit)),
        ("call-1", serde_json::json!({"event": "HANGUP"})),
        ("call-2", serde_json::json!({"event": "WELCOME"})),
        (
            "call-2",
            serde_json::json!({"event": "DTMF", "collectedDtmf": "1"}),
        ),
    ];
    requests
        .into_iter()
        .map(|(session, mut request)| {
            request["callMeta"] = meta(session);
            engine
                .handle_phone_json(&request.to_string())
                .expect("played")
                .transaction
        })
        .collect()
}

/// `empty(x)` is true for a whitespace-only `x` and `contains` ignores case (docs/language.md, Functions),
/// in the generated engine and the interpreter alike: both call `flowc_runtime::__private::value`.
#[test]
fn empty_and_contains_mean_what_the_docs_say_in_both_engines() {
    let source = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../flows/appointment_booking.yaml"),
    )
    .unwrap();
    let (ir, _) = flowc::compile_source("appointment_booking.yaml", &source).unwrap();
    let no_stubs = || StubServices::new(Default::default());
    for (name, visit, emergency, second_call) in [
        // A name of spaces is no name: the second call asks for it again.
        ("   ", "Tooth PAIN", true, "Ask name"),
        ("Ada Lovelace", "checkup", false, "Confirm returning caller"),
        (
            "Ada Lovelace",
            "a bad ACHE",
            true,
            "Confirm returning caller",
        ),
    ] {
        let interpreted = two_calls(Interpreter::new(ir.clone(), no_stubs()), name, visit);
        let generated = two_calls(
            appointment_booking::Flow::new(Dynamic(Arc::new(no_stubs()))),
            name,
            visit,
        );
        let a = serde_json::to_string_pretty(&interpreted).unwrap();
        let b = serde_json::to_string_pretty(&generated).unwrap();
        assert!(a == b, "{}", flowc::snapshot::diff(&a, &b));
        // `contains(appointmentType, 'pain')` (or 'ache') sends the caller to the emergency line.
        let prompt = flowc::script::prompt_text(&interpreted[3]);
        assert_eq!(
            prompt.contains("emergency line"),
            emergency,
            "{visit:?}: {prompt}"
        );
        assert_eq!(
            interpreted[6].intent.next_state.name, second_call,
            "{name:?}"
        );
    }
}

/// The snapshots `flowc test` keeps (interpreter) are the generated engines' snapshots too: every script,
/// played through its flow's generated module with `flowc::testing`, matches the same files. This is the
/// test a team writes in its own crate (see the README).
#[test]
fn generated_engines_match_the_snapshots_flowc_test_keeps() {
    use flowc::testing::{Conversations, Update};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../flows/conversations");
    // Never write here: the snapshots belong to `flowc test`; a mismatch fails with its per-turn report.
    let conversations = Conversations::new(&dir).update(Update::No);
    let reports = [
        conversations.run(|s| appointment_booking::Flow::new(Dynamic(s))),
        conversations.run(|s| dispatch_heavy::Flow::new(Dynamic(s))),
        conversations.run(|s| minimal::Flow::new(Dynamic(s))),
        conversations.run(|s| parcel_tracking::Flow::new(Dynamic(s))),
        conversations.run(|s| support_chat::Flow::new(Dynamic(s))),
    ];
    let played: usize = reports.iter().map(|r| r.outcomes.len()).sum();
    assert_eq!(
        played,
        scripts().len(),
        "every script plays one of the flows"
    );
    for report in reports {
        assert!(report.is_ok(), "{report}");
    }
}
