//! The JSON Schemas `flowc schema` prints, checked by a real JSON Schema validator (the `jsonschema` crate,
//! draft 2020-12): every shipped flow and conversation script passes, every bad fixture with a shape error
//! (unknown key, wrong type, missing key, bad name, unknown platform) fails, and a broken script fails.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    out.sort();
    out
}

fn validator(schema: &str) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(schema).unwrap();
    jsonschema::draft202012::new(&schema).expect("a valid draft 2020-12 schema")
}

/// The YAML file as the JSON an editor's YAML language server validates.
fn as_json(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_saphyr::from_str(&text).ok()
}

fn problems(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn every_shipped_flow_passes_the_flow_schema() {
    let flows = validator(flowc::schema::FLOW);
    let mut files = yaml_files(&repo().join("flows"));
    files.push(repo().join("tests/fixtures/escaping.yaml"));
    files.push(repo().join("tests/fixtures/builder/greeter_bot.yaml"));
    let mut checked = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        if !flowc::parse::looks_like_flow(&text) {
            continue;
        }
        let value = as_json(&path).unwrap();
        let found = problems(&flows, &value);
        assert!(found.is_empty(), "{}: {found:#?}", path.display());
        checked += 1;
    }
    assert!(checked >= 6, "{checked}");
}

#[test]
fn every_shipped_script_passes_the_script_schema() {
    let scripts = validator(flowc::schema::SCRIPT);
    let files = yaml_files(&repo().join("flows/conversations"));
    assert!(files.len() >= 20, "{}", files.len());
    for path in files {
        let value = as_json(&path).unwrap();
        let found = problems(&scripts, &value);
        assert!(found.is_empty(), "{}: {found:#?}", path.display());
    }
}

#[test]
fn bad_fixtures_with_shape_errors_fail_the_flow_schema() {
    const SHAPE: &[&str] = &["E002", "E003", "E004", "E005", "E040"];
    let flows = validator(flowc::schema::FLOW);
    let mut checked = 0;
    for path in yaml_files(&repo().join("compiler/tests/fixtures/bad")) {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let expect = text.lines().next().unwrap_or_default();
        if !SHAPE.iter().any(|code| expect.contains(code)) {
            continue;
        }
        // Fixtures that are not YAML at all (E001) or not UTF-8 (E042) have no JSON to validate.
        let Some(value) = as_json(&path) else {
            continue;
        };
        assert!(
            !problems(&flows, &value).is_empty(),
            "{} has a shape error ({expect}) the schema accepts",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 12, "{checked}");
}

#[test]
fn script_fixtures_with_shape_errors_fail_the_script_schema() {
    // E059 (keys that do not go together) is a shape error too: a turn says exactly one thing.
    const SHAPE: &[&str] = &["E002", "E003", "E004", "E040", "E059"];
    let scripts = validator(flowc::schema::SCRIPT);
    let mut checked = 0;
    for path in yaml_files(&repo().join("compiler/tests/fixtures/bad_scripts")) {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let expect = text
            .lines()
            .find(|l| l.starts_with("# expect:"))
            .unwrap_or_default();
        if !SHAPE.iter().any(|code| expect.contains(code)) {
            continue;
        }
        let Some(value) = as_json(&path) else {
            continue;
        };
        assert!(
            !problems(&scripts, &value).is_empty(),
            "{} has a shape error ({expect}) the schema accepts",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 2, "{checked}");
}

#[test]
fn a_clean_flow_passes_and_a_broken_script_fails() {
    let flows = validator(flowc::schema::FLOW);
    let fixtures_with_only_semantic_errors = [
        "e010_unknown_target.yaml",
        "e010_global_on_error_unknown.yaml",
        "w029_unhandled_intent.yaml",
    ];
    for name in fixtures_with_only_semantic_errors {
        let path = repo().join("compiler/tests/fixtures/bad").join(name);
        let value = as_json(&path).unwrap();
        let found = problems(&flows, &value);
        assert!(found.is_empty(), "{name}: {found:#?}");
    }
    let scripts = validator(flowc::schema::SCRIPT);
    for (broken, why) in [
        (
            "name: x\nflow_file: f.yaml\nturns: [welcome, {sya: hi}]\n",
            "unknown turn key",
        ),
        (
            "name: x\nflow_file: f.yaml\nturns: [wellcome]\n",
            "unknown event",
        ),
        ("name: x\nturns: [welcome]\n", "no flow_file"),
        (
            "name: x\nflow_file: f.yaml\nturns: [{say: hi, expect: {handled: sometimes}}]\n",
            "unknown handled",
        ),
        (
            "name: x\nflow_file: f.yaml\nservices: {s: {branch: a, output: {}}}\nturns: [welcome]\n",
            "unknown stub key",
        ),
    ] {
        let value: Value = serde_saphyr::from_str(broken).unwrap();
        assert!(!problems(&scripts, &value).is_empty(), "{why}");
    }
}
