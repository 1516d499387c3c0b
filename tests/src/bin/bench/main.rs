//! `cargo run --release -p flowc-tests --bin bench -- [--json] [--rustc]`: every benchmark of flowc in one
//! process. Prints a table, or with `--json` one JSON object as the last line. Figures are measured in this
//! run, ratios computed from them; nothing here asserts a time.

mod compile;
mod engine_only;
mod memory;
mod rustc;
mod turns;

use perf_monitor::mem::CountingAllocator;
use serde_json::{Value, json};

/// Counts heap bytes only while the memory measurement turns it on: switched off it costs one load per
/// allocation, so the interpreter (which allocates every turn) and the compiler are timed on the plain
/// system allocator. An always-on counter (stats_alloc, two atomic additions per call) made interpreted
/// turns about 20% slower.
#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// A target that holds when `figure <= limit`.
fn target(name: &str, figure: f64, limit: f64, unit: &str) -> Value {
    json!({ "name": name, "figure": round(figure), "limit": limit, "unit": unit, "met": figure <= limit })
}

/// A target that holds when `figure >= limit`.
fn target_at_least(name: &str, figure: f64, limit: f64, unit: &str) -> Value {
    json!({ "name": name, "figure": round(figure), "limit": limit, "unit": unit, "met": figure >= limit })
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn main() {
    if let Ok(stages) = std::env::var("FLOWC_BENCH_STAGES") {
        // `FLOWC_BENCH_STAGES=1` times 1,000 and 10,000 blocks; a larger number times that size alone
        // (one compile, for profilers).
        let sizes = match stages.parse::<usize>() {
            Ok(blocks) if blocks > 1 => vec![blocks],
            _ => vec![1_000, 10_000],
        };
        for blocks in sizes {
            let [p, a, l, c] = compile::stages(blocks);
            println!(
                "{blocks} blocks: parse {p:.1} ms, analyze {a:.1} ms, lower {l:.1} ms, codegen {c:.1} ms"
            );
        }
        return;
    }
    if let Ok(which) = std::env::var("FLOWC_BENCH_PROFILE") {
        turns::profile(&which);
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let as_json = args.iter().any(|a| a == "--json");
    let with_rustc = args.iter().any(|a| a == "--rustc");
    if cfg!(debug_assertions) {
        eprintln!("note: this is a debug build; run with --release for meaningful figures");
    }

    let per_flow = turns::measure_all();
    let dispatch = &per_flow["dispatch_heavy"];
    let generated = dispatch.generated_ns;
    let interpreted = dispatch.interpreted_ns;
    let floor = dispatch.floor_ns;
    let engine_only = dispatch.engine_only_ns;
    let compile = compile::measure();
    let conversation_bytes = memory::idle_conversation_bytes();
    let rustc = if with_rustc {
        Some(rustc::measure())
    } else {
        None
    };

    let compile_json = json!({
        "100": round(compile[0].1),
        "1000": round(compile[1].1),
        "10000": round(compile[2].1),
    });
    let scaling = compile[2].1 / compile[1].1.max(1e-9);
    let mut targets = vec![
        target_at_least(
            "interpreted_over_generated >= 5 (dispatch-heavy flow)",
            interpreted / generated,
            5.0,
            "ratio",
        ),
        target(
            "generated_over_floor <= 1.0",
            generated / floor,
            1.0,
            "ratio",
        ),
        target(
            "generated_over_floor <= 0.5 (aim)",
            generated / floor,
            0.5,
            "ratio",
        ),
        target(
            "compile 10000 blocks <= 1000 ms",
            compile[2].1,
            1000.0,
            "ms",
        ),
        target("compile 10000 / 1000 blocks <= 12", scaling, 12.0, "ratio"),
        target(
            "idle conversation <= 512 bytes",
            conversation_bytes as f64,
            512.0,
            "bytes",
        ),
    ];
    if let Some(ratio) = rustc
        .as_ref()
        .and_then(|r| r["ratio_1000_over_100"].as_f64())
    {
        // Ten times the blocks may cost at most ten times the rustc time: no faster than linear.
        targets.push(target(
            "rustc on generated code, 1000 / 100 blocks <= 10 (linear)",
            ratio,
            10.0,
            "ratio",
        ));
    }
    let mut report = json!({
        "generated_turn_ns": round(generated),
        "interpreted_turn_ns": round(interpreted),
        "serialize_floor_ns": round(floor),
        "interpreted_over_generated": round(interpreted / generated),
        "generated_over_floor": round(generated / floor),
        "engine_only_turn_ns": round(engine_only),
        "interpreted_over_engine_only": round(interpreted / engine_only),
        "per_flow": per_flow.iter().map(|(name, m)| (name.to_string(), m.to_json())).collect::<serde_json::Map<_, _>>(),
        "compile_ms": compile_json,
        "compile_scaling_10000_over_1000": round(scaling),
        "conversation_bytes": conversation_bytes,
        "targets": targets,
    });
    if let Some(r) = &rustc {
        report["rustc_ms"] = r.clone();
    }
    if as_json {
        println!("{report}");
        return;
    }
    println!(
        "flowc benchmarks (median ns per turn, including building and serialising the transaction)"
    );
    println!(
        "{:<16} {:>11} {:>12} {:>12} {:>12} {:>8} {:>9} {:>9}",
        "flow",
        "generated",
        "interpreted",
        "serde floor",
        "engine only",
        "int/gen",
        "gen/floor",
        "int/eng"
    );
    for (name, m) in &per_flow {
        println!(
            "{:<16} {:>8.0} ns {:>9.0} ns {:>9.0} ns {:>9.0} ns {:>8.2} {:>9.2} {:>9.2}",
            name,
            m.generated_ns,
            m.interpreted_ns,
            m.floor_ns,
            m.engine_only_ns,
            m.interpreted_ns / m.generated_ns,
            m.generated_ns / m.floor_ns,
            m.interpreted_ns / m.engine_only_ns
        );
    }
    println!(
        "engine only: the same requests with every decision answered at no cost (the shared runtime alone);"
    );
    println!("int/eng bounds what any code generator could reach for int/gen with that runtime.");
    println!();
    for (blocks, ms) in &compile {
        println!("compile {blocks:>6} blocks: {ms:>9.1} ms (parse + analyze + lower + codegen)");
    }
    println!("compile scaling 10000 / 1000 blocks: {scaling:.2}×");
    println!(
        "idle conversation (parcel flow, in-memory store, variable values excluded): {conversation_bytes} bytes"
    );
    if let Some(r) = &rustc {
        println!("rustc on generated code: {r}");
    }
    println!();
    for t in report["targets"].as_array().into_iter().flatten() {
        println!(
            "[{}] {}: {} (target {} {})",
            if t["met"].as_bool() == Some(true) {
                "met"
            } else {
                "MISSED"
            },
            t["name"].as_str().unwrap_or(""),
            t["figure"],
            t["limit"],
            t["unit"].as_str().unwrap_or("")
        );
    }
}
