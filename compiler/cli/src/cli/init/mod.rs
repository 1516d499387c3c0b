//! `flowc init NAME [--path DIR] [--flowc-path CHECKOUT]`: scaffolds a crate whose `cargo test` is green on the
//! first run — a small pizza-order flow with a Global `PARLOA.EndConversation` handler, `build.rs`, a
//! `Services` implementation, two conversation scripts, their snapshots (played here with the interpreter; the
//! generated engine must match them) and the snapshot test.

use std::path::{Path, PathBuf};

use super::Outcome;

/// Arguments of `flowc init`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The crate's name (letters, digits, `_` and `-`, starting with a letter); the flow is named after it.
    name: String,
    /// Where to create the crate (default: `./NAME`). It must not exist or be empty.
    #[arg(long)]
    path: Option<PathBuf>,
    /// A local flowc checkout to depend on by path (while the crates are not published).
    #[arg(long)]
    flowc_path: Option<PathBuf>,
}

/// The files of a new crate: path in the crate, template.
const FILES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("Cargo.toml.in")),
    (".gitignore", include_str!("gitignore.in")),
    ("build.rs", include_str!("build.rs.in")),
    ("src/lib.rs", include_str!("lib.rs.in")),
    ("flows/@NAME@.yaml", include_str!("flow.yaml.in")),
    (
        "flows/conversations/order_a_pizza.yaml",
        include_str!("order.yaml.in"),
    ),
    (
        "flows/conversations/caller_hangs_up.yaml",
        include_str!("hangup.yaml.in"),
    ),
    (
        "tests/conversations.rs",
        include_str!("conversations.rs.in"),
    ),
];

/// Creates the crate.
pub fn run(args: Args) -> Outcome {
    match scaffold(&args) {
        Ok(dir) => {
            println!("created {}", dir.display());
            println!("next: cd {} && cargo test", dir.display());
            Outcome::Clean
        }
        Err(e) => {
            eprintln!("error: {e}");
            Outcome::Trouble
        }
    }
}

fn scaffold(args: &Args) -> Result<PathBuf, String> {
    let name = &args.name;
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        return Err(format!(
            "`{name}` is not a usable crate name: use letters, digits, `_` and `-`, starting with a letter"
        ));
    }
    let flow = name.replace('-', "_");
    let dir = args.path.clone().unwrap_or_else(|| PathBuf::from(name));
    if dir.exists()
        && std::fs::read_dir(&dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(format!(
            "{} exists and is not empty; choose another --path",
            dir.display()
        ));
    }
    let (runtime, compiler) = dependencies(args.flowc_path.as_deref())?;
    let fill = |text: &str| {
        text.replace("@NAME@", name)
            .replace("@FLOW@", &flow)
            .replace("@RUNTIME@", &runtime)
            .replace("@COMPILER@", &compiler)
    };
    for (path, template) in FILES {
        let target = dir.join(fill(path));
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&target, fill(template))
            .map_err(|e| format!("{}: {e}", target.display()))?;
    }
    // The snapshots, recorded with the interpreter: the generated engine gives the same bytes, so the
    // new crate's `cargo test` passes on its first run.
    let report = flowc::testing::Conversations::new(dir.join("flows/conversations"))
        .update(flowc::testing::Update::Always)
        .run_interpreted();
    if !report.is_ok() {
        return Err(format!(
            "the scaffolded conversations do not pass:\n{report}"
        ));
    }
    Ok(dir)
}

/// The dependency specs of the runtime and the compiler: by path into a checkout, or by version.
fn dependencies(checkout: Option<&Path>) -> Result<(String, String), String> {
    let Some(checkout) = checkout else {
        let version = env!("CARGO_PKG_VERSION");
        return Ok((format!("\"{version}\""), format!("\"{version}\"")));
    };
    let checkout = checkout
        .canonicalize()
        .map_err(|e| format!("--flowc-path {}: {e}", checkout.display()))?;
    for crate_dir in ["runtime", "compiler"] {
        if !checkout.join(crate_dir).join("Cargo.toml").exists() {
            return Err(format!(
                "--flowc-path {} is not a flowc checkout (no {crate_dir}/Cargo.toml)",
                checkout.display()
            ));
        }
    }
    // TOML basic strings: a Windows path's backslashes must be escaped.
    let path = |crate_dir: &str| {
        let full = checkout.join(crate_dir).display().to_string();
        format!(
            "{{ path = \"{}\" }}",
            full.replace('\\', "\\\\").replace('"', "\\\"")
        )
    };
    Ok((path("runtime"), path("compiler")))
}
