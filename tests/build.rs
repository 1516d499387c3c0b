//! Compiles every flow in `flows/` into `OUT_DIR`, as a team's build script would.

fn main() {
    if let Err(error) = flowc::Builder::new().compile_dir("../flows").compile() {
        // cargo shows a build script's stderr when it fails: every diagnostic, with file:line:col.
        eprintln!("{error}");
        std::process::exit(1);
    }
}
