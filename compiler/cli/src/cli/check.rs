//! `flowc check PATH...`: flows, and conversation scripts checked against the flows they play.

use std::io::Write;
use std::path::{Path, PathBuf};

use flowc::render::JsonDiagnostic;

use super::Outcome;

/// Arguments of `flowc check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Flow files, conversation scripts, or folders (searched for YAML with a `flow:` key or a `turns:` key).
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

/// What one checked file holds, flow or script alike.
struct Report {
    file: String,
    diagnostics: Vec<flowc::Diagnostic>,
    rendered: String,
}

/// Checks every flow and script and prints their diagnostics.
pub fn run(args: Args) -> Outcome {
    let files = match super::files::flow_and_script_files(&args.paths) {
        Ok(files) => files,
        Err(message) => {
            eprintln!("error: {message}");
            return Outcome::Trouble;
        }
    };
    let style = super::stderr_style();
    let mut json = Vec::new();
    let (mut errors, mut warnings, mut trouble) = (0, 0, false);
    let (mut flows, mut scripts) = (0, 0);
    for path in &files {
        let report = match check_one(path, style) {
            Ok((report, is_script)) => {
                if is_script {
                    scripts += 1;
                } else {
                    flows += 1;
                }
                report
            }
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", path.display());
                trouble = true;
                continue;
            }
        };
        let e = report.diagnostics.iter().filter(|d| d.is_error()).count();
        errors += e;
        warnings += report.diagnostics.len() - e;
        match args.format {
            Format::Human => eprint!("{}", report.rendered),
            Format::Json => json.extend(
                report
                    .diagnostics
                    .iter()
                    .map(|d| JsonDiagnostic::new(d, &report.file)),
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
        Format::Human => {
            let scripts = match scripts {
                0 => String::new(),
                n => format!(" and {n} conversation script(s)"),
            };
            eprintln!(
                "checked {flows} flow file(s){scripts}: {errors} error(s), {warnings} warning(s)"
            )
        }
    }
    if trouble {
        Outcome::Trouble
    } else if errors > 0 || (args.deny_warnings && warnings > 0) {
        Outcome::Failed
    } else {
        Outcome::Clean
    }
}

/// Checks one file as a script when it looks like one, else as a flow; true for a script.
fn check_one(path: &Path, style: flowc::render::Style) -> std::io::Result<(Report, bool)> {
    let bytes = std::fs::read(path)?;
    if flowc::script::looks_like_script(&String::from_utf8_lossy(&bytes)) {
        let checked = flowc::script::check_file(path)?;
        let report = Report {
            rendered: checked.render(style),
            file: checked.file,
            diagnostics: checked.diagnostics,
        };
        return Ok((report, true));
    }
    let checked = flowc::check_bytes(&path.display().to_string(), bytes);
    let report = Report {
        rendered: checked.render(style),
        file: checked.file,
        diagnostics: checked.diagnostics,
    };
    Ok((report, false))
}
