//! Bad input never panics: random mutations of the shipped flows and conversation scripts, truncation, deep
//! nesting and huge files. A mutant flow that checks clean must also generate code and play a few turns
//! through the interpreter; a mutant script that checks clean must play.

use std::path::Path;

use flowc::ast::Platform;
use flowc::interpret::{Interpreter, Services};
use flowc_runtime::{
    DiscardSink, DynamicServices, Engine, NoServices, ServiceError, ServiceReply, TurnContext,
};
use proptest::prelude::*;
use serde_json::json;

fn shipped_flows() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../flows");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("flows folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| std::fs::read_to_string(p).expect("readable flow"))
        .filter(|s| flowc::parse::looks_like_flow(s))
        .collect()
}

/// Checks, and when clean lowers, draws, generates code and plays a few turns, without panicking.
fn exercise(source: &str) {
    let checked = flowc::check_source("mutant.yaml", source);
    let _ = checked.render(flowc::render::Style::Plain);
    if let Ok((ir, _)) = flowc::compile_source("mutant.yaml", source) {
        let _ = flowc::graph::to_mermaid(&ir);
        let _ = flowc::graph::to_dot(&ir);
        let settings = flowc::codegen::Settings {
            source_name: "mutant.yaml".to_string(),
            source_text: source.to_string(),
        };
        // A flow that checks clean must generate: an error here is a gap in the checker.
        if let Err(error) = flowc::codegen::generate(&ir, &settings) {
            panic!("a flow that checks clean does not generate: {error}\n{source}");
        }
        // Failing services take the error routes, answering ones the first declared branch.
        play(Interpreter::new(ir.clone(), NoServices), &ir);
        play(
            Interpreter::new(
                ir.clone(),
                FirstBranch(ir.services.iter().cloned().collect()),
            ),
            &ir,
        );
    }
}

/// Services that answer with their first declared branch and no outputs.
struct FirstBranch(Vec<flowc::ir::Service>);

impl DynamicServices for FirstBranch {
    fn call(
        &self,
        service: &str,
        _inputs: &[(&str, &str)],
        _context: &TurnContext,
    ) -> Result<ServiceReply, ServiceError> {
        let branch = self
            .0
            .iter()
            .find(|s| s.name == service)
            .and_then(|s| s.branches.first())
            .ok_or_else(|| ServiceError::new("no branch"))?;
        Ok(ServiceReply {
            branch: branch.clone(),
            outputs: Vec::new(),
        })
    }
}

/// Plays WELCOME, a declared intent, NO_INPUT, DTMF and HANGUP (or a chat's launch, message and quit)
/// through the interpreter. A refused request is fine; a panic is not.
fn play<S: Services>(interpreter: Interpreter<S>, ir: &flowc::ir::Flow) {
    let engine = Engine::new(interpreter)
        .deterministic()
        .with_sink(DiscardSink);
    let intent = ir.intents.first().map_or("Nothing", |i| i.name.as_str());
    if ir.supports(Platform::Phone) {
        let meta = json!({"instanceId": "i", "callId": "c", "callerId": "+49151", "sessionId": "s", "customerId": "c", "production": false, "isPrivacyEnabled": false});
        for mut request in [
            json!({"event": "WELCOME"}),
            json!({"text": intent, "intent": {"name": intent}, "slots": [{"name": "x", "value": "1"}]}),
            json!({"event": "NO_INPUT"}),
            json!({"event": "DTMF", "collectedDtmf": "1"}),
            json!({"event": "HANGUP"}),
        ] {
            request["callMeta"] = meta.clone();
            let _ = engine.handle_phone_json(&request.to_string());
        }
    } else {
        let utterance = ir
            .intents
            .first()
            .and_then(|i| i.utterances.first())
            .map_or("hello", String::as_str);
        for event in [
            json!({"type": "launch"}),
            json!({"type": "message", "text": utterance}),
            json!({"type": "quit"}),
        ] {
            let request = json!({"apiVersion": "chat/v1", "requesterId": "u", "sessionId": "s", "event": event});
            let _ = engine.handle_chat_json(&request.to_string());
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete {
        at: usize,
        len: usize,
    },
    Insert {
        at: usize,
        text: String,
    },
    DuplicateLine {
        line: usize,
    },
    SwapLines {
        a: usize,
        b: usize,
    },
    Truncate {
        at: usize,
    },
    /// A run of one character long enough to push what follows past column 65,535.
    Widen {
        at: usize,
        text: &'static str,
        len: usize,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let fragments = prop::sample::select(vec![
        "\t",
        ":",
        " ",
        "- ",
        "{",
        "}",
        "[",
        "]",
        "'",
        "\"",
        "{{",
        "}}",
        "\n",
        "#",
        "&a",
        "*a",
        "!!str ",
        "? ",
        "goto: nowhere",
        "on: {}",
        "state:",
        "else:",
        "\n  x:",
        "é",
        "\u{0}",
        "|\n",
        ">-\n",
        "~",
    ]);
    prop_oneof![
        4 => (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        4 => (any::<usize>(), fragments).prop_map(|(at, t)| Mutation::Insert {
            at,
            text: t.to_string()
        }),
        4 => any::<usize>().prop_map(|line| Mutation::DuplicateLine { line }),
        4 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        4 => any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        1 => (any::<usize>(), prop::sample::select(vec!["k", "\t", " ", "é"]), 60_000usize..70_000)
            .prop_map(|(at, text, len)| Mutation::Widen { at, text, len }),
    ]
}

fn char_boundary(s: &str, at: usize) -> usize {
    let mut at = at % (s.len() + 1);
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(source: &str, mutation: &Mutation) -> String {
    let mut lines: Vec<&str> = source.lines().collect();
    match mutation {
        Mutation::Delete { at, len } => {
            let start = char_boundary(source, *at);
            let end = char_boundary(source, (start + len).min(source.len()));
            format!("{}{}", &source[..start], &source[end.max(start)..])
        }
        Mutation::Insert { at, text } => {
            let at = char_boundary(source, *at);
            format!("{}{text}{}", &source[..at], &source[at..])
        }
        Mutation::DuplicateLine { line } if !lines.is_empty() => {
            let i = line % lines.len();
            lines.insert(i, lines[i]);
            lines.join("\n")
        }
        Mutation::SwapLines { a, b } if !lines.is_empty() => {
            let n = lines.len();
            lines.swap(a % n, b % n);
            lines.join("\n")
        }
        Mutation::Truncate { at } => source[..char_boundary(source, *at)].to_string(),
        Mutation::Widen { at, text, len } => {
            let at = char_boundary(source, *at);
            format!("{}{}{}", &source[..at], text.repeat(*len), &source[at..])
        }
        _ => source.to_string(),
    }
}

/// 128 cases in every test run; `PROPTEST_CASES` asks for a longer one (an explicit `cases` would hide it).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn mutated_flows_never_panic(flow in 0usize..16, mutations in prop::collection::vec(mutation(), 1..6)) {
        let flows = shipped_flows();
        let mut source = flows[flow % flows.len()].clone();
        for m in &mutations {
            source = apply(&source, m);
        }
        exercise(&source);
    }
}

/// Every shipped conversation script with its flow, lowered; read once for all cases.
fn shipped_scripts() -> &'static [(String, flowc::ir::Flow)] {
    static SCRIPTS: std::sync::OnceLock<Vec<(String, flowc::ir::Flow)>> =
        std::sync::OnceLock::new();
    SCRIPTS.get_or_init(read_shipped_scripts)
}

fn read_shipped_scripts() -> Vec<(String, flowc::ir::Flow)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../flows/conversations");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("scripts folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let checked = flowc::script::check_file(&p).expect("readable script");
            let flow = checked.flow.expect("the shipped flows compile");
            (checked.source, flow)
        })
        .collect()
}

/// Reads and checks a script against its flow, and when clean plays it, without panicking.
fn exercise_script(source: &str, flow: &flowc::ir::Flow) {
    let mut checked = flowc::script::read_source("mutant.yaml", source);
    checked.check_against(flow.clone());
    let _ = checked.render(flowc::render::Style::Plain);
    if checked.has_errors() {
        return;
    }
    let Some(script) = checked.script else {
        return;
    };
    let stubs = flowc::script::StubServices::new(script.services.clone());
    let engine = Engine::new(Interpreter::new(flow.clone(), stubs))
        .with_sink(DiscardSink)
        .deterministic();
    let calls = || engine.flow().services().take_calls();
    let _ = flowc::script::play(&engine, &script, flow, &calls);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn mutated_scripts_never_panic(script in 0usize..32, mutations in prop::collection::vec(mutation(), 1..6)) {
        let scripts = shipped_scripts();
        let (source, flow) = &scripts[script % scripts.len()];
        let mut source = source.clone();
        for m in &mutations {
            source = apply(&source, m);
        }
        exercise_script(&source, flow);
    }
}

#[test]
fn every_prefix_of_every_script_is_handled() {
    for (script, flow) in shipped_scripts() {
        let mut at = 0;
        while at < script.len() {
            exercise_script(&script[..char_boundary(script, at)], flow);
            at += 29;
        }
    }
}

/// Which prefixes of a file a run exercises: every `stride`-th byte from a per-run `offset`, so each run is
/// quick and the runs together cover every position. `FLOWC_PREFIX_STRIDE=1` checks every prefix;
/// `FLOWC_PREFIX_OFFSET` replays a run (each run prints its offset).
fn prefix_sample(default_stride: usize) -> (usize, usize) {
    let number = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
    };
    let stride = number("FLOWC_PREFIX_STRIDE")
        .unwrap_or(default_stride)
        .max(1);
    let offset = number("FLOWC_PREFIX_OFFSET").unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() as usize);
        nanos % stride
    }) % stride;
    eprintln!("prefixes: FLOWC_PREFIX_STRIDE={stride} FLOWC_PREFIX_OFFSET={offset}");
    (stride, offset)
}

#[test]
fn every_prefix_of_every_flow_is_handled() {
    // Each prefix is checked, lowered, generated and played (~8 ms in a debug build): a stride of 97 keeps a
    // run near 3 s, where every 13th byte took 25 s. Line ends, the truncation editors and partial writes
    // produce, are sampled more densely (every 6th, from the same offset).
    let (stride, offset) = prefix_sample(97);
    let line_stride = stride.div_ceil(16);
    for flow in shipped_flows() {
        let line_ends = flow
            .match_indices('\n')
            .map(|(at, _)| at)
            .skip(offset % line_stride)
            .step_by(line_stride);
        let sampled = (offset..flow.len()).step_by(stride);
        let mut cuts: Vec<usize> = line_ends.chain(sampled).collect();
        cuts.sort_unstable();
        cuts.dedup();
        for at in cuts {
            exercise(&flow[..char_boundary(&flow, at)]);
        }
    }
}

#[test]
fn deep_nesting_is_an_error() {
    for source in [
        format!(
            "flow: x\ndialogs: {}{}",
            "[".repeat(20_000),
            "]".repeat(20_000)
        ),
        format!(
            "flow: x\ndialogs: {}1{}",
            "{a: ".repeat(5_000),
            "}".repeat(5_000)
        ),
        format!(
            "flow: x\ndescription: \"{{{{ {}x{} }}}}\"\ndialogs: {{}}",
            "(".repeat(10_000),
            ")".repeat(10_000)
        ),
        // A chain nests as deeply as parentheses do: code generation would recurse through it.
        format!(
            "flow: x\nvariables: {{ a: session }}\ndialogs:\n  main:\n    start:\n      say: hi\n      else: c\n    blocks:\n      c:\n        condition:\n          - when: \"{}\"\n            goto: d\n          - else: d\n      d:\n        end: {{ say: bye }}\n",
            vec!["a"; 3_000].join(" && ")
        ),
    ] {
        let checked = flowc::check_source("deep.yaml", &source);
        assert!(checked.has_errors());
    }
}

#[test]
fn odd_inputs_get_located_errors() {
    for source in [
        "",
        "   \n",
        "# only a comment\n",
        "flow",
        "- a\n- b\n",
        "flow: [",
        "\t flow: x",
        "flow: x\nflow: y\ndialogs: {}\n",
    ] {
        let checked = flowc::check_source("odd.yaml", source);
        assert!(checked.has_errors(), "{source:?}");
        assert!(
            checked
                .diagnostics
                .iter()
                .all(|d| d.span.line >= 1 && d.span.column >= 1)
        );
    }
}

/// A synthetic flow with `blocks` states in a chain, for size tests and benchmarks.
fn chain_flow(blocks: usize) -> String {
    let mut s = String::from(
        "flow: big\nintents:\n  Next: [next]\ndialogs:\n  main:\n    start:\n      say: hi\n      on: { Next: s0 }\n    blocks:\n",
    );
    for i in 0..blocks {
        let next = if i + 1 == blocks {
            "done".to_string()
        } else {
            format!("s{}", i + 1)
        };
        s.push_str(&format!("      s{i}:\n        state:\n          say: \"step {i}\"\n          on: {{ Next: {next} }}\n"));
    }
    s.push_str("      done:\n        end: { say: bye }\n");
    s
}

#[test]
fn ten_thousand_blocks_check_clean() {
    let source = chain_flow(10_000);
    let (ir, checked) = flowc::compile_source("big.yaml", &source).expect("clean");
    assert!(checked.diagnostics.is_empty());
    assert_eq!(ir.blocks.len(), 10_002);
}

/// The smallest input that once panicked miette: a label past column 65,535 (its padding widths are u16).
fn far_right_label() -> String {
    format!("    {}:", "k".repeat(65_532))
}

#[test]
fn a_label_past_column_65535_is_reported_in_words() {
    for source in [
        far_right_label(),
        format!(
            "flow: x\ndialogs:\n  main:\n    start: {{ say: hi, else: {} }}\n",
            "b".repeat(70_000)
        ),
        // Tabs are four columns wide to miette: 20,000 bytes reach column 80,000.
        format!(
            "flow: x\ndialogs:\n  main:\n    start:\n      say: \"{}{{{{ nope( }}}}\"\n      else: start\n",
            "\t".repeat(20_000)
        ),
    ] {
        let checked = flowc::check_source("wide.yaml", &source);
        assert!(checked.has_errors());
        let text = checked.render(flowc::render::Style::Plain);
        // miette wraps the message at 110 columns, so look for a piece that stays on one line.
        assert!(text.contains("too far right"), "{text}");
        assert!(!text.contains("╭─["), "no snippet of the long line: {text}");
    }
}
