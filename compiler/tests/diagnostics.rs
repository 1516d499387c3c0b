//! One snapshot of the rendered diagnostics per bad-flow fixture, and a check that each fixture reports
//! exactly the codes its `# expect:` line names. Conversation scripts have their own fixtures (`scripts.rs`).

use std::collections::BTreeSet;
use std::path::Path;

use flowc::render::Style;

/// Every fixture's name and bytes; fixtures are read as bytes because one of them is not UTF-8 on purpose.
fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("readable fixture"))
        })
        .collect()
}

fn expected_codes(source: &[u8]) -> BTreeSet<String> {
    String::from_utf8_lossy(source)
        .lines()
        .find_map(|l| l.strip_prefix("# expect:"))
        .map(|codes| {
            codes
                .split(',')
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_fixture_reports_its_expected_codes() {
    let mut mismatches = Vec::new();
    for (name, source) in fixtures() {
        let want = expected_codes(&source);
        let checked = flowc::check_bytes(&format!("tests/fixtures/bad/{name}.yaml"), source);
        let got: BTreeSet<String> = checked
            .diagnostics
            .iter()
            .map(|d| d.code.to_string())
            .collect();
        if got != want {
            mismatches.push(format!("{name}: expected {want:?}, got {got:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn rendered_diagnostics_match_snapshots() {
    for (name, source) in fixtures() {
        let file = format!("tests/fixtures/bad/{name}.yaml");
        let checked = flowc::check_bytes(&file, source);
        insta::assert_snapshot!(name.clone(), checked.render(Style::Plain));
    }
}

#[test]
fn fixtures_cover_every_code() {
    let mut covered = BTreeSet::new();
    for (_, source) in fixtures() {
        covered.extend(expected_codes(&source));
    }
    // Codes of conversation scripts are covered by the bad-script fixtures (tests/scripts.rs).
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad_scripts");
    for entry in std::fs::read_dir(scripts).expect("bad-script fixtures") {
        let path = entry.expect("fixture").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            covered.extend(expected_codes(&std::fs::read(&path).expect("readable")));
        }
    }
    let missing: Vec<&str> = flowc::Code::ALL
        .iter()
        // No flow file reaches an internal error: it is a bug of flowc, proved by lowering's own tests on a
        // flow that skipped the checks.
        .filter(|c| **c != flowc::Code::Internal)
        .map(|c| c.as_str())
        .filter(|c| !covered.contains(*c))
        .collect();
    assert!(missing.is_empty(), "codes without a fixture: {missing:?}");
    assert!(fixtures().len() >= 30);
}

#[test]
fn json_shape_of_a_diagnostic() {
    let checked = flowc::check_source(
        "x.yaml",
        "flow: x\ndialogs:\n  main:\n    start: { say: hi, else: nowhere }\n",
    );
    let json: Vec<_> = checked
        .diagnostics
        .iter()
        .map(|d| flowc::render::JsonDiagnostic::new(d, &checked.file))
        .collect();
    insta::assert_json_snapshot!(json);
}
