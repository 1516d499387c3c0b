//! Compile time: parse + analyze + lower + codegen of synthetic flows with 100, 1000 and 10000 blocks.

use std::time::Instant;

/// A synthetic flow with about `blocks` blocks: states in a chain, each followed by a set and a condition,
/// so every kind of work the compiler does grows with the size.
pub fn synthetic_flow(blocks: usize) -> String {
    let groups = (blocks / 3).max(1);
    let mut s = String::with_capacity(blocks * 160);
    s.push_str("flow: synthetic\nvariables:\n  answer: session\n  count: session\nintents:\n  Next: [next]\n  Back: [back]\ndialogs:\n  main:\n    start:\n      say: hi\n      on: { Next: s0 }\n    global:\n      on: { Back: start }\n    blocks:\n");
    for i in 0..groups {
        let next = if i + 1 == groups {
            "done".to_string()
        } else {
            format!("s{}", i + 1)
        };
        s.push_str(&format!(
            "      s{i}:\n        state:\n          say: \"Step {i}: {{{{ answer }}}}\"\n          on: {{ Next: {{ set: {{ answer: \"{{{{ slots.value }}}}\" }}, goto: c{i} }} }}\n      c{i}:\n        condition:\n          - when: \"answer == '{i}' || count > 3\"\n            goto: t{i}\n          - else: {next}\n      t{i}:\n        set: {{ count: \"{i}\" }}\n        goto: {next}\n"
        ));
    }
    s.push_str("      done:\n        end: { say: bye }\n");
    s
}

fn compile_once(source: &str) -> usize {
    let (ir, _) = flowc::compile_source("synthetic.yaml", source).expect("synthetic flow is clean");
    let settings = flowc::codegen::Settings {
        source_name: "synthetic.yaml".into(),
        source_text: String::new(),
    };
    flowc::codegen::generate(&ir, &settings)
        .expect("generates")
        .len()
}

/// (blocks, median ms) for 100, 1000 and 10000 blocks.
pub fn measure() -> Vec<(usize, f64)> {
    const SIZES: [usize; 3] = [100, 1_000, 10_000];
    const ROUNDS: usize = 9;
    let sources = SIZES.map(synthetic_flow);
    let mut times: [Vec<f64>; 3] = Default::default();
    // Each round compiles every size once, so a slow spell of a shared machine hits all sizes alike
    // instead of skewing the 10,000 / 1,000 ratio.
    for _ in 0..ROUNDS {
        for (source, times) in sources.iter().zip(&mut times) {
            let start = Instant::now();
            std::hint::black_box(compile_once(source));
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
    }
    SIZES
        .into_iter()
        .zip(times)
        .map(|(blocks, mut times)| {
            times.sort_by(f64::total_cmp);
            (blocks, times[ROUNDS / 2])
        })
        .collect()
}

/// Milliseconds per stage for one compile of `blocks` blocks: (yaml + parse, analyze, lower, codegen).
pub fn stages(blocks: usize) -> [f64; 4] {
    let source = synthetic_flow(blocks);
    let t = Instant::now();
    let (flow, _) = flowc::parse::parse_flow(&source);
    let parse = t.elapsed().as_secs_f64() * 1000.0;
    let flow = flow.expect("parses");
    let t = Instant::now();
    let analysis = flowc::analyze::analyze(&flow);
    let analyze = t.elapsed().as_secs_f64() * 1000.0;
    let resolved = analysis.resolved.expect("checks clean");
    let t = Instant::now();
    let ir = flowc::lower::lower(&resolved).expect("lowers");
    let lower = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let _ = flowc::codegen::generate(&ir, &flowc::codegen::Settings::default());
    let codegen = t.elapsed().as_secs_f64() * 1000.0;
    [parse, analyze, lower, codegen]
}
