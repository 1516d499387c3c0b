//! Compile-fail tests: every bad flow and every bad macro call fails with our own `compile_error!`s only
//! (`.stderr` files beside the cases; regenerate with `TRYBUILD=overwrite cargo test -p flowc-macros`).

#[test]
fn bad_flows_and_bad_input_fail_with_located_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
