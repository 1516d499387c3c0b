//! Compiles every flow in `flows/` into `OUT_DIR`, as a team's build script would, and the fixture of
//! awkward names (`tests/names.rs`): included rather than expanded by the macro, its code is linted like
//! the application's own.

fn main() {
    let built = flowc::Builder::new()
        .compile_dir("../flows")
        .flow("fixtures/awkward_names.yaml")
        .compile();
    if let Err(error) = built {
        // cargo shows a build script's stderr when it fails: every diagnostic, with file:line:col.
        eprintln!("{error}");
        std::process::exit(1);
    }
}
