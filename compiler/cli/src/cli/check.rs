//! `flowc check PATH...`.

use std::io::Write;
use std::path::PathBuf;

use flowc::render::JsonDiagnostic;

use super::Outcome;

/// Arguments of `flowc check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Flow files or folders (folders are searched for YAML files with a `flow:` key).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Treat warnings as errors.
    #[arg(long)]
    deny_warnings: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Human,
    Json,
}

/// Checks every flow and prints its diagnostics.
pub fn run(args: Args) -> Outcome {
    let files = match super::files::flow_files(&args.paths) {
        Ok(files) => files,
        Err(message) => {
            eprintln!("error: {message}");
            return Outcome::Trouble;
        }
    };
    let style = super::stderr_style();
    let mut json = Vec::new();
    let (mut errors, mut warnings, mut trouble) = (0, 0, false);
    for path in &files {
        let checked = match flowc::check_file(path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", path.display());
                trouble = true;
                continue;
            }
        };
        let (e, w) = checked.counts();
        errors += e;
        warnings += w;
        match args.format {
            Format::Human => eprint!("{}", checked.render(style)),
            Format::Json => json.extend(
                checked
                    .diagnostics
                    .iter()
                    .map(|d| JsonDiagnostic::new(d, &checked.file)),
            ),
        }
    }
    match args.format {
        Format::Json => match serde_json::to_string_pretty(&json) {
            Ok(text) => {
                // A reader that stops early (`| head`) closes the pipe: a failed write, not a panic.
                if writeln!(std::io::stdout().lock(), "{text}").is_err() {
                    return Outcome::Trouble;
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                return Outcome::Trouble;
            }
        },
        Format::Human => eprintln!(
            "checked {} flow file(s): {errors} error(s), {warnings} warning(s)",
            files.len()
        ),
    }
    if trouble {
        Outcome::Trouble
    } else if errors > 0 || (args.deny_warnings && warnings > 0) {
        Outcome::Failed
    } else {
        Outcome::Clean
    }
}
