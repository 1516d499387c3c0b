//! `flowc::Builder`, as a build script uses it: every flow of a folder is checked, whatever one file holds.

#[test]
fn a_latin1_flow_is_one_located_error_and_the_folder_is_still_built() {
    let dir = std::env::temp_dir().join(format!("flowc-builder-latin1-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let flows = dir.join("flows");
    std::fs::create_dir_all(&flows).unwrap();
    std::fs::write(
        flows.join("a_begruessung.yaml"),
        b"flow: begruessung\ndialogs:\n  main:\n    start: { say: \"Gr\xfc\xdf Gott\", else: start }\n",
    )
    .unwrap();
    std::fs::write(
        flows.join("b_good.yaml"),
        "flow: good\ndialogs:\n  main:\n    start: { say: \"Grüß Gott\", else: bye }\n    blocks:\n      bye:\n        end: {}\n",
    )
    .unwrap();
    let error = flowc::Builder::new()
        .compile_dir(&flows)
        .out_dir(dir.join("out"))
        .cargo_instructions(false)
        .compile()
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("a_begruessung.yaml:4:22: error[E042]"),
        "{error}"
    );
    // The good flow after it was still generated.
    assert!(dir.join("out/good.rs").exists(), "{error}");
    let _ = std::fs::remove_dir_all(&dir);
}
