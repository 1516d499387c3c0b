//! `flowc serve FLOW...`: the dialoghook server over interpreted flows, for development and staging.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use flowc::interpret::Interpreter;
use flowc::script::StubServices;
use flowc_runtime::server::{DEFAULT_CHAT_IDLE_TIMEOUT, DEFAULT_IDLE_TIMEOUT, Server};
use flowc_runtime::{
    AnalyticsSink, Conversation, DiscardSink, Engine, Flow, HttpServices, JsonLinesSink,
    RedisConfig, RedisSessionStore, SessionStore, UserStore,
};

use super::Outcome;
use super::services::{RunServices, Unstubbed};

/// Arguments of `flowc serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The flow files to serve, each as `?dialog=<its releaseId>`.
    #[arg(required = true)]
    flows: Vec<PathBuf>,
    /// The address to listen on. Unless every release has a `--token`, only a loopback address is used.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Require `Authorization: Bearer TOKEN` on the requests of RELEASE (repeatable).
    #[arg(long = "token", value_name = "RELEASE=TOKEN", value_parser = release_token)]
    tokens: Vec<(String, String)>,
    /// Write every transaction to this file, one JSON object per line (`-` for stdout).
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
    /// End and record conversations of phone releases after this long without a request (`90s`, `30m`,
    /// `1h`) [default: 30m].
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    idle_timeout: Option<Duration>,
    /// The same for chat-only releases [default: 60m].
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    chat_idle_timeout: Option<Duration>,
    /// How long a shutdown may take to finish the turns in flight and flush [default: 10s].
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    shutdown_timeout: Option<Duration>,
    /// Service stubs from a conversation script's `services:`, for the flow the script plays (or the only
    /// flow); repeatable, one script per flow.
    #[arg(long, value_name = "SCRIPT")]
    stubs: Vec<PathBuf>,
    /// Fixed clock and sequential ids: the same requests give the same bytes.
    #[arg(long)]
    deterministic: bool,
    /// Keep conversations and user-lifetime values in the Redis at URL (`redis://HOST:PORT/`), under
    /// `flowc:RELEASE:`, so that several `flowc serve` instances behind one load balancer can each take any
    /// turn [default: in this process's memory].
    #[arg(long, value_name = "URL")]
    redis: Option<String>,
    #[command(flatten)]
    webhook: super::webhook::RunArgs,
}

/// Serves the flows until SIGTERM or ctrl-c.
pub fn run(args: Args) -> Outcome {
    let mut flows = Vec::new();
    for path in &args.flows {
        let Some(ir) = super::load_flow(path) else {
            return Outcome::Failed;
        };
        flows.push((path.clone(), ir, None));
    }
    for script in &args.stubs {
        if let Err(outcome) = assign_stubs(script, &mut flows) {
            return outcome;
        }
    }
    let sink: Arc<dyn AnalyticsSink> = match args.out.as_deref() {
        Some(path) if path == Path::new("-") => Arc::new(JsonLinesSink::new(std::io::stdout())),
        // A line is written out before its turn is answered.
        Some(path) => match std::fs::File::create(path) {
            Ok(file) => Arc::new(JsonLinesSink::new(std::io::LineWriter::new(file))),
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", path.display());
                return Outcome::Trouble;
            }
        },
        None => Arc::new(DiscardSink),
    };
    let Some((sink, webhook)) = super::webhook::attach(&args.webhook, sink) else {
        return Outcome::Trouble;
    };
    let mut server = Server::new()
        .listen(args.listen)
        .idle_timeout(args.idle_timeout.unwrap_or(DEFAULT_IDLE_TIMEOUT))
        .chat_idle_timeout(args.chat_idle_timeout.unwrap_or(DEFAULT_CHAT_IDLE_TIMEOUT))
        .shutdown_timeout(args.shutdown_timeout.unwrap_or(Duration::from_secs(10)))
        .log(|line| eprintln!("flowc serve: {line}"));
    if let Some(webhook) = webhook.sink() {
        server = server.webhook(webhook);
    }
    for (_, ir, stubs) in flows {
        let http = match HttpServices::new(flowc::interpret::http_endpoints(&ir)) {
            Ok(http) => http,
            Err(e) => {
                eprintln!("error: {e}");
                return Outcome::Trouble;
            }
        };
        let stubs = stubs.unwrap_or_default();
        let services = RunServices::new(&ir, stubs, http, Unstubbed::HintOnStderr);
        let flow = Arc::new(Interpreter::new(ir, services));
        let engine = Engine::new(Arc::clone(&flow)).with_shared_sink(Arc::clone(&sink));
        server = match &args.redis {
            None => add(server, engine, args.deterministic),
            Some(url) => {
                let prefix = format!("flowc:{}:", flow.info().release);
                let store = match RedisSessionStore::new(RedisConfig::new(url, prefix), flow) {
                    Ok(store) => store,
                    Err(e) => {
                        eprintln!("error: --redis: {e}");
                        return Outcome::Trouble;
                    }
                };
                let users = store.user_store();
                let engine = engine.with_store(store).with_user_store(users);
                add(server, engine, args.deterministic)
            }
        };
    }
    for (release, token) in args.tokens {
        server = server.token(release, token);
    }
    if args.out.is_none() && args.webhook.is_off() {
        eprintln!("flowc serve: transactions are not kept; --out FILE or --webhook URL keeps them");
    }
    let stopped = server.run();
    webhook.finish();
    match stopped {
        Ok(stopped) if stopped.is_clean() => Outcome::Clean,
        Ok(_) => Outcome::Failed,
        Err(e) => {
            eprintln!("error: {e}");
            Outcome::Trouble
        }
    }
}

/// Serves `engine`, with a fixed clock and sequential ids when `deterministic`.
fn add<F, St, Us>(server: Server, engine: Engine<F, St, Us>, deterministic: bool) -> Server
where
    F: Flow + 'static,
    St: SessionStore<Conversation<F::Vars>> + 'static,
    Us: UserStore<Vec<String>> + 'static,
{
    if deterministic {
        server.release(engine.deterministic())
    } else {
        server.release(engine)
    }
}

/// Gives the stubs of `script` to the flow it plays, or to the only flow.
fn assign_stubs(
    script: &Path,
    flows: &mut [(PathBuf, flowc::ir::Flow, Option<StubServices>)],
) -> Result<(), Outcome> {
    let target = if flows.len() == 1 {
        0
    } else {
        let plays = flowc::script::Script::load(script)
            .map(|s| s.flow_path())
            .map_err(|e| {
                eprintln!("error: {}: {e}", script.display());
                Outcome::Failed
            })?;
        let plays = plays.canonicalize().unwrap_or(plays);
        flows
            .iter()
            .position(|(path, _, _)| path.canonicalize().is_ok_and(|p| p == plays))
            .ok_or_else(|| {
                eprintln!(
                    "error: {} plays {}, which is not among the flows served",
                    script.display(),
                    plays.display()
                );
                Outcome::Trouble
            })?
    };
    let (_, ir, stubs) = &mut flows[target];
    if stubs.is_some() {
        eprintln!("error: two --stubs scripts for one flow; give one per flow");
        return Err(Outcome::Trouble);
    }
    *stubs = Some(super::run::stubs_for(script, ir)?);
    Ok(())
}

fn release_token(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((release, token)) if !release.is_empty() && !token.is_empty() => {
            Ok((release.to_owned(), token.to_owned()))
        }
        _ => Err("expected RELEASE=TOKEN, both non-empty".into()),
    }
}

/// `250ms`, `90s`, `30m`, `1h`, or a number of seconds.
fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 90s, 30m or 1h"))?;
    let seconds = |factor: u64| n.checked_mul(factor).map(Duration::from_secs);
    match unit {
        "ms" => Some(Duration::from_millis(n)),
        "" | "s" => seconds(1),
        "m" | "min" => seconds(60),
        "h" => seconds(3600),
        _ => None,
    }
    .ok_or_else(|| format!("{text:?} is not a duration such as 90s, 30m or 1h"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(duration("ten minutes").is_err());
        assert!(duration("5d").is_err());
        assert!(duration("99999999999999999999h").is_err());
    }

    #[test]
    fn tokens() {
        assert_eq!(release_token("r=t=x"), Ok(("r".into(), "t=x".into())));
        assert!(release_token("r=").is_err());
        assert!(release_token("=t").is_err());
        assert!(release_token("rt").is_err());
    }
}
