//! `flowc run FLOW`: the interactive simulator, or `--requests FILE` to replay Parloa requests.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::Arc;

use flowc::interpret::Interpreter;
use flowc::script::StubServices;
use flowc_runtime::{
    AnalyticsSink, DiscardSink, DynamicServices, Engine, Flow, HttpServices, JsonLinesSink,
    ServiceError, ServiceReply, Transaction, TurnContext,
};

use super::Outcome;

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
        Some(path) => match flowc::script::Script::load(path) {
            Ok(script) => StubServices::new(script.services.clone()),
            Err(e) => {
                eprintln!("error: {e}");
                return Outcome::Trouble;
            }
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
    let interpreter = Interpreter::new(ir, RunServices { stubs, http });
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

/// The services of `flowc run`: a script's stub when there is one, else the flow's HTTP endpoint, else a
/// failure (which takes the `error` branch).
struct RunServices {
    stubs: StubServices,
    http: HttpServices,
}

impl DynamicServices for RunServices {
    fn call(
        &self,
        service: &str,
        inputs: &[(&str, &str)],
        context: &TurnContext,
    ) -> Result<ServiceReply, ServiceError> {
        if self.stubs.has(service) || !self.http.has(service) {
            return self.stubs.call(service, inputs, context);
        }
        self.http.call(service, inputs, context)
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
