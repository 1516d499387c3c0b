//! `flowc build FLOW [-o FILE|-]`: the generated Rust module of a flow.

use std::path::PathBuf;

use super::Outcome;

/// Arguments of `flowc build`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The flow file.
    flow: PathBuf,
    /// Where to write the module (`-` for stdout, the default).
    #[arg(short, long, default_value = "-")]
    out: String,
}

/// Generates the module.
pub fn run(args: Args) -> Outcome {
    let Some(ir) = super::load_flow(&args.flow) else {
        return Outcome::Failed;
    };
    let settings = flowc::codegen::Settings {
        source_name: args
            .flow
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        source_text: std::fs::read_to_string(&args.flow).unwrap_or_default(),
    };
    let code = match flowc::codegen::generate(&ir, &settings) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            return Outcome::Trouble;
        }
    };
    if args.out == "-" {
        print!("{code}");
        return Outcome::Clean;
    }
    match flowc::builder::write_if_changed(std::path::Path::new(&args.out), &code) {
        Ok(_) => Outcome::Clean,
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", args.out);
            Outcome::Trouble
        }
    }
}
