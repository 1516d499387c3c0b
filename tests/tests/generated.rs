//! Snapshots of the generated code of every flow (review changes with `cargo insta review`), and a check
//! that the build script's output is exactly what the generator produces.

use std::path::Path;

fn flows() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../flows");
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .filter(|(_, text)| flowc::parse::looks_like_flow(text))
        .collect();
    out.sort();
    out
}

fn generate(file: &str, source: &str) -> (String, String) {
    let (ir, _) = flowc::compile_source(file, source).unwrap();
    let settings = flowc::codegen::Settings {
        source_name: file.to_string(),
        source_text: source.to_string(),
    };
    (
        ir.name.clone(),
        flowc::codegen::generate(&ir, &settings).unwrap(),
    )
}

#[test]
fn generated_code_snapshots() {
    for (file, source) in flows() {
        let (name, code) = generate(&file, &source);
        insta::assert_snapshot!(name, code);
    }
}

#[test]
fn build_script_output_is_the_generator_output() {
    for (file, source) in flows() {
        let (name, code) = generate(&file, &source);
        let built =
            std::fs::read_to_string(Path::new(env!("OUT_DIR")).join(format!("{name}.rs"))).unwrap();
        assert_eq!(built, code, "{name}");
    }
}

#[test]
fn generation_is_deterministic() {
    for (file, source) in flows() {
        assert_eq!(generate(&file, &source), generate(&file, &source));
    }
}

#[test]
fn two_builders_share_out_dir_and_a_flow_is_included_by_its_file_stem() {
    // `src/lib.rs` includes `greeter_bot`, the file stem of a flow named `greeter` that a second builder
    // wrote into the same OUT_DIR; the first builder's flows are still there and listed.
    use flowc_runtime::{Dynamic, Engine, NoServices, PhoneEvent, PhoneRequest};
    let engine = Engine::new(flowc_tests::greeter::Flow::new(Dynamic(NoServices)));
    let call = flowc_runtime::testing::call_meta("s-1", "+4930000000");
    let turn = engine
        .handle_phone(PhoneRequest::event(call, PhoneEvent::Welcome))
        .unwrap();
    assert_eq!(turn.response.prompt, "Hello!");
    let manifest =
        std::fs::read_to_string(Path::new(env!("OUT_DIR")).join(flowc::builder::MANIFEST_FILE))
            .unwrap();
    let names: Vec<&str> = manifest
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').next())
        .collect();
    let mut expected: Vec<String> = flows()
        .iter()
        .map(|(file, source)| generate(file, source).0)
        .collect();
    for extra in [
        "fixtures/awkward_names.yaml",
        "fixtures/builder/greeter_bot.yaml",
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(extra);
        let source = std::fs::read_to_string(&path).unwrap();
        expected.push(generate(extra, &source).0);
    }
    expected.sort();
    assert_eq!(names, expected);
}
