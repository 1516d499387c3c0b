//! Compiles every flow in `flows/` into `OUT_DIR`, as a team's build script would, with the fixture of
//! awkward names (`tests/names.rs`: included rather than expanded by the macro, its code is linted like the
//! application's own), and one fixture with a second builder into the same folder (its flow is included by
//! file stem in `src/lib.rs`).

fn main() {
    let built = flowc::Builder::new()
        .compile_dir("../flows")
        .flow("fixtures/awkward_names.yaml")
        .compile()
        .and_then(|_| {
            flowc::Builder::new()
                .flow("fixtures/builder/greeter_bot.yaml")
                .compile()
        });
    if let Err(error) = built {
        // cargo shows a build script's stderr when it fails: every diagnostic, with file:line:col.
        eprintln!("{error}");
        std::process::exit(1);
    }
}
