//! How long rustc takes on generated code: a scratch crate that depends on the runtime and includes the
//! generated module of synthetic flows of 100 and 1000 blocks, checked and built with cargo.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde_json::{Value, json};

fn time_build(dir: &Path, blocks: usize) -> Result<f64, String> {
    let source = super::compile::synthetic_flow(blocks);
    let (ir, _) = flowc::compile_source("synthetic.yaml", &source)
        .map_err(|_| "synthetic flow has errors".to_string())?;
    let code = flowc::codegen::generate(&ir, &flowc::codegen::Settings::default())?;
    std::fs::write(dir.join("src/lib.rs"), code).map_err(|e| e.to_string())?;
    let start = Instant::now();
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet"])
        .current_dir(dir)
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("cargo build failed for {blocks} blocks"));
    }
    Ok(start.elapsed().as_secs_f64() * 1000.0)
}

/// `{"100": ms, "1000": ms, "ratio": …}` of debug builds of the generated code alone (dependencies prebuilt).
pub fn measure() -> Value {
    let dir = std::env::temp_dir().join(format!("flowc-rustc-bench-{}", std::process::id()));
    let runtime = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime");
    let setup = || -> Result<(), String> {
        std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
        std::fs::write(
            dir.join("Cargo.toml"),
            format!(
                "[package]\nname = \"rustc_bench\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n[dependencies]\nflowc-runtime = {{ path = {:?} }}\n\n[workspace]\n",
                runtime.display().to_string()
            ),
        )
        .map_err(|e| e.to_string())
    };
    let result = setup().and_then(|_| {
        time_build(&dir, 10)?; // builds the runtime once
        let small = time_build(&dir, 100)?;
        let large = time_build(&dir, 1_000)?;
        Ok(json!({ "100": super::round(small), "1000": super::round(large), "ratio_1000_over_100": super::round(large / small) }))
    });
    let _ = std::fs::remove_dir_all(&dir);
    result.unwrap_or_else(|e| json!({ "error": e }))
}
