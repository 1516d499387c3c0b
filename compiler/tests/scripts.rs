//! Conversation scripts are checked like flows: one snapshot of the rendered diagnostics per bad-script
//! fixture in `tests/fixtures/bad_scripts/` (each names the codes it must produce in its `# expect:` line),
//! and every shipped script checks clean against its flow.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use flowc::render::Style;
use flowc::script::CheckedScript;

/// The folder relative to the crate (the tests' working directory), so diagnostics name no machine path.
const FIXTURES: &str = "tests/fixtures/bad_scripts";

fn fixtures() -> Vec<(String, PathBuf)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(FIXTURES)
        .expect("fixtures folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect()
}

fn checked(path: &Path) -> CheckedScript {
    flowc::script::check_file(path).expect("readable fixture")
}

fn expected_codes(path: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("# expect:"))
        .map(|codes| codes.split(',').map(|c| c.trim().to_string()).collect())
        .unwrap_or_default()
}

#[test]
fn every_bad_script_reports_its_expected_codes() {
    let mut mismatches = Vec::new();
    for (name, path) in fixtures() {
        let want = expected_codes(&path);
        assert!(!want.is_empty(), "{name} has no `# expect:` line");
        let got: BTreeSet<String> = checked(&path)
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
fn rendered_script_diagnostics_match_snapshots() {
    for (name, path) in fixtures() {
        insta::assert_snapshot!(name.clone(), checked(&path).render(Style::Plain));
    }
}

#[test]
fn script_fixtures_cover_every_script_code() {
    let covered: BTreeSet<String> = fixtures()
        .iter()
        .flat_map(|(_, path)| expected_codes(path))
        .collect();
    let missing: Vec<&str> = flowc::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| ("E050"..="E059").contains(c) && !covered.contains(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "script codes without a fixture: {missing:?}"
    );
}

#[test]
fn every_shipped_script_checks_clean_against_its_flow() {
    let dir = Path::new("../flows/conversations");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let checked = checked(&path);
        assert!(
            checked.diagnostics.is_empty(),
            "{}",
            checked.render(Style::Plain)
        );
        assert!(checked.flow.is_some(), "{}", path.display());
        count += 1;
    }
    assert!(count >= 20, "{count} scripts");
}

#[test]
fn a_script_reports_every_problem_at_once_in_one_pass() {
    // Shape problems and names missing from the flow come together, so one run shows everything.
    let source = "name: x\nflow_file: flows/pizza.yaml\nservices:\n  placeOrdr: { branch: placed }\n\
                  turns:\n  - welcom\n  - intent: OrderPiza\n";
    let path = Path::new(FIXTURES).join("one_pass.yaml");
    let mut script = flowc::script::read_source(&path.display().to_string(), source);
    let flow = flowc::compile_source(
        "pizza.yaml",
        &std::fs::read_to_string(Path::new(FIXTURES).join("flows/pizza.yaml")).unwrap(),
    )
    .unwrap()
    .0;
    script.check_against(flow);
    let codes: Vec<&str> = script.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(
        codes,
        ["E050", "E003", "E053"],
        "{}",
        script.render(Style::Plain)
    );
    let lines: Vec<u32> = script.diagnostics.iter().map(|d| d.span.line).collect();
    assert_eq!(lines, [4, 6, 7]);
    assert_eq!(
        script.diagnostics[0].help.as_deref(),
        Some("did you mean `placeOrder`?")
    );
    assert_eq!(
        script.diagnostics[1].help.as_deref(),
        Some("did you mean `welcome`?")
    );
}

#[test]
fn bad_input_never_panics_the_script_reader() {
    for source in [
        "",
        "# only a comment\n",
        "[1, 2]",
        "turns: 3",
        "turns:\n  - { say: [a] }\n  - 5\n  - ~\n",
        "name: x\nflow_file: 7\nturns:\n  - intent_ranking: nope\n  - intent: A\n    intent_ranking: [1, {intent: B}]\n",
        "name: x\nflow_file: y\nservices: { a: [], b: 3, c: [{ branch: [1] }] }\nturns: []\n",
        "name: x\nflow_file: y\nturns:\n  - say: hi\n    expect: { variables: [1], ends: 1 }\n",
    ] {
        let checked = flowc::script::read_source("x.yaml", source);
        assert!(checked.has_errors(), "{source:?} checked clean");
        let _ = checked.render(Style::Plain);
    }
}
