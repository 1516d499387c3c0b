//! `flowc run FLOW`: the interactive simulator, or `--requests FILE` to replay Parloa requests.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use flowc::Code;
use flowc::interpret::Interpreter;
use flowc::script::StubServices;
use flowc_runtime::{
    AnalyticsSink, DiscardSink, Engine, Flow, HttpServices, JsonLinesSink, Transaction,
};

use super::Outcome;
use super::ignored::{IgnoredFields, describe};
use super::services::{RunServices, Unstubbed};

/// Arguments of `flowc run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The flow file.
    flow: PathBuf,
    /// Replay Parloa requests, one JSON object per line (`-` for stdin), instead of the simulator.
    #[arg(long, value_name = "FILE")]
    requests: Option<String>,
    /// The requests' platform; defaults to the flow's first platform.
    #[arg(long, value_enum)]
    platform: Option<PlatformArg>,
    /// Write transactions to this file (JSON lines) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Override the flow's releaseId.
    #[arg(long, value_name = "ID")]
    release: Option<String>,
    /// Fixed clock and sequential ids: the same input gives the same bytes.
    #[arg(long)]
    deterministic: bool,
    /// Take service stubs from a conversation script's `services:` section.
    #[arg(long, value_name = "SCRIPT")]
    stubs: Option<PathBuf>,
    /// In the simulator, ask which branch a service without a stub answers even when stdin is not a
    /// terminal (on a terminal it always asks).
    #[arg(long)]
    ask_services: bool,
    #[command(flatten)]
    webhook: super::webhook::RunArgs,
}

/// The platforms a request can come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlatformArg {
    /// Parloa phoneV2.
    #[value(name = "phoneV2")]
    Phone,
    /// Parloa textchatV2.
    #[value(name = "textchatV2")]
    Chat,
}

/// Runs the simulator or replays requests.
pub fn run(args: Args) -> Outcome {
    let Some(ir) = super::load_flow(&args.flow) else {
        return Outcome::Failed;
    };
    let stubs = match &args.stubs {
        Some(path) => match stubs_for(path, &ir) {
            Ok(stubs) => stubs,
            Err(outcome) => return outcome,
        },
        None => StubServices::default(),
    };
    let http = match HttpServices::new(flowc::interpret::http_endpoints(&ir)) {
        Ok(http) => http,
        Err(e) => {
            eprintln!("error: {e}");
            return Outcome::Trouble;
        }
    };
    let unstubbed = if args.requests.is_some() {
        Unstubbed::HintOnStderr
    } else if args.ask_services || std::io::stdin().is_terminal() {
        Unstubbed::Ask
    } else {
        Unstubbed::HintOnStdout
    };
    let services = RunServices::new(&ir, stubs, http, unstubbed);
    let interpreter = Interpreter::new(ir, services);
    let platform = match args.platform {
        Some(p) => p,
        None if interpreter.info().phone => PlatformArg::Phone,
        None => PlatformArg::Chat,
    };
    let sink: Arc<dyn AnalyticsSink> = match &args.out {
        Some(path) => match std::fs::File::create(path) {
            Ok(file) => Arc::new(JsonLinesSink::new(std::io::BufWriter::new(file))),
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", path.display());
                return Outcome::Trouble;
            }
        },
        None if args.requests.is_some() => Arc::new(JsonLinesSink::new(std::io::stdout())),
        None => Arc::new(DiscardSink),
    };
    let Some((sink, webhook)) = super::webhook::attach(&args.webhook, sink) else {
        return Outcome::Trouble;
    };
    let mut engine = Engine::new(interpreter).with_shared_sink(sink);
    if args.deterministic {
        engine = engine.deterministic();
    }
    if let Some(release) = &args.release {
        engine = engine.with_release(release.clone());
    }
    let outcome = match &args.requests {
        Some(source) => replay(&engine, source, platform),
        None => super::simulate::run(&engine, platform),
    };
    if let Err(e) = engine.flush() {
        eprintln!("error: cannot write transactions: {e}");
        return Outcome::Trouble;
    }
    webhook.finish();
    outcome
}

/// The stubs of a conversation script, checked against the flow being run: a stub for a service, branch or
/// output the flow lacks would quietly take the `error` branch.
pub(super) fn stubs_for(
    path: &std::path::Path,
    ir: &flowc::ir::Flow,
) -> Result<StubServices, Outcome> {
    let bytes = std::fs::read(path).map_err(|e| {
        eprintln!("error: cannot read {}: {e}", path.display());
        Outcome::Trouble
    })?;
    let mut checked = flowc::script::read_bytes(&path.display().to_string(), bytes);
    if let Some(script) = &checked.script {
        // Only what the stubs name: the script's turns may have been written for another flow.
        let stub_codes = [
            Code::ScriptUnknownService,
            Code::ScriptUnknownBranch,
            Code::ScriptUnknownOutput,
        ];
        let stub_problems = flowc::script::check_against(script, ir)
            .into_iter()
            .filter(|d| stub_codes.contains(&d.code));
        checked.diagnostics.extend(stub_problems);
        flowc::diagnostic::sort_diagnostics(&mut checked.diagnostics);
    }
    eprint!("{}", checked.render(super::stderr_style()));
    match checked.script {
        Some(script) if !checked.has_errors() => Ok(StubServices::new(script.services)),
        _ => Err(Outcome::Failed),
    }
}

/// Plays one request line; the transaction goes to the engine's sink.
pub fn play_line<F: Flow>(
    engine: &Engine<F>,
    platform: PlatformArg,
    line: &str,
) -> Result<Transaction, String> {
    let played = match platform {
        PlatformArg::Phone => engine
            .handle_phone_json(line)
            .map(|t| (t.transaction, t.sink_error)),
        PlatformArg::Chat => engine
            .handle_chat_json(line)
            .map(|t| (t.transaction, t.sink_error)),
    };
    match played {
        Ok((transaction, None)) => Ok(transaction),
        Ok((_, Some(sink_error))) => Err(format!(
            "the transaction could not be written: {sink_error}"
        )),
        Err(e) => Err(e.to_string()),
    }
}

fn replay<F: Flow>(engine: &Engine<F>, source: &str, platform: PlatformArg) -> Outcome {
    let reader: Box<dyn BufRead> = if source == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        match std::fs::File::open(source) {
            Ok(f) => Box::new(std::io::BufReader::new(f)),
            Err(e) => {
                eprintln!("error: cannot read {source}: {e}");
                return Outcome::Trouble;
            }
        }
    };
    let mut failed = false;
    let mut ignored = IgnoredFields::default();
    for (index, line) in reader.lines().enumerate() {
        let number = index + 1;
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: {source}:{number}: cannot read line: {e}");
                failed = true;
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        for field in ignored.check(platform, &line) {
            eprintln!("{}", describe(source, number, &field, platform));
        }
        if let Err(message) = play_line(engine, platform, &line) {
            eprintln!("error: {source}:{number}: {message}");
            failed = true;
        }
    }
    let _ = std::io::stdout().flush();
    if failed {
        Outcome::Failed
    } else {
        Outcome::Clean
    }
}
