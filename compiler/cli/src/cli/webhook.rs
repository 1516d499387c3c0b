//! The Analytics Webhook on the command line: `flowc run … --webhook URL` tees every transaction to
//! the webhook, and `flowc webhook-check URL` sends Parloa's health check.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use flowc_runtime::webhook::default_spool_dir;
use flowc_runtime::{
    AnalyticsSink, TeeSink, WebhookConfig, WebhookEndpoint, WebhookError, WebhookSink,
};

use super::Outcome;

/// Webhook options of `flowc run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Also POST every transaction to this Analytics Webhook, in batches (JSON arrays). Transactions wait in a
    /// spool on disk until the webhook answers 2xx; `flowc run` ends once they are delivered or spooled.
    #[arg(long, value_name = "URL")]
    webhook: Option<String>,
    /// A header for the webhook, `'Name: value'` (repeatable), e.g. `'Authorization: Bearer TOKEN'`.
    #[arg(
        long = "webhook-header",
        value_name = "'NAME: VALUE'",
        requires = "webhook"
    )]
    webhook_headers: Vec<String>,
    /// The webhook's spool directory; a later run with the same spool sends what is left in it [default: a
    /// folder per URL in the system's temporary directory].
    #[arg(long, value_name = "DIR", requires = "webhook")]
    spool: Option<PathBuf>,
    /// How long to wait at the end for the webhook to take everything, before leaving the rest in the spool
    /// [default: 10].
    #[arg(long, value_name = "SECONDS", value_parser = seconds, requires = "webhook")]
    webhook_wait: Option<Duration>,
}

/// The webhook of a `flowc run`, if it has one.
#[derive(Debug)]
pub struct Attached(Option<Arc<WebhookSink>>);

/// The sink of `flowc run`: `sink` alone, or `sink` and the webhook (a [`TeeSink`]). `None` (after printing
/// the error) when the webhook cannot be set up.
pub fn attach(
    args: &RunArgs,
    sink: Arc<dyn AnalyticsSink>,
) -> Option<(Arc<dyn AnalyticsSink>, Attached)> {
    let Some(url) = &args.webhook else {
        return Some((sink, Attached(None)));
    };
    let endpoint = match endpoint(url, &args.webhook_headers) {
        Ok(endpoint) => endpoint,
        Err(e) => {
            eprintln!("error: {e}");
            return None;
        }
    };
    let spool = args.spool.clone().unwrap_or_else(|| default_spool_dir(url));
    let config = WebhookConfig::new(endpoint, spool)
        .flush_timeout(args.webhook_wait.unwrap_or(Duration::from_secs(10)));
    let webhook = match WebhookSink::new(config) {
        Ok(webhook) => Arc::new(webhook),
        Err(e) => {
            eprintln!("error: {e}");
            return None;
        }
    };
    let replayed = webhook.stats().replayed;
    if replayed > 0 {
        eprintln!(
            "webhook: sending {replayed} transaction(s) left in {} by an earlier run",
            webhook.spool_dir().display()
        );
    }
    let tee = TeeSink::new()
        .with(sink)
        .with(Arc::clone(&webhook) as Arc<dyn AnalyticsSink>);
    Some((Arc::new(tee), Attached(Some(webhook))))
}

impl RunArgs {
    /// Whether no webhook was asked for.
    pub fn is_off(&self) -> bool {
        self.webhook.is_none()
    }
}

impl Attached {
    /// The webhook sink, if there is one.
    pub fn sink(&self) -> Option<Arc<WebhookSink>> {
        self.0.clone()
    }

    /// Stops the webhook (after the engine's flush waited for delivery) and says what became of the
    /// transactions on stderr.
    pub fn finish(self) {
        let Some(webhook) = self.0 else {
            return;
        };
        let stats = webhook.shutdown(Duration::ZERO);
        if stats.pending == 0 {
            eprintln!(
                "webhook: {} transaction(s) delivered to {}",
                stats.sent,
                webhook.url()
            );
        } else {
            eprintln!(
                "warning: webhook: {} transaction(s) delivered to {}, {} not yet{}; they are kept in {} and \
                 sent by the next `flowc run` with `--webhook {} --spool {}`",
                stats.sent,
                webhook.url(),
                stats.pending,
                webhook
                    .last_error()
                    .map(|e| format!(" (last error: {e})"))
                    .unwrap_or_default(),
                webhook.spool_dir().display(),
                webhook.url(),
                webhook.spool_dir().display(),
            );
        }
    }
}

/// The endpoint for `url` with `Name: value` headers.
pub(super) fn endpoint(url: &str, headers: &[String]) -> Result<WebhookEndpoint, WebhookError> {
    headers
        .iter()
        .try_fold(WebhookEndpoint::new(url), |endpoint, line| {
            endpoint.header_line(line)
        })
}

/// The receiver a webhook command talks to: its URL, headers and time limit.
#[derive(Debug, clap::Args)]
pub struct ReceiverArgs {
    /// The Analytics Webhook URL.
    pub url: String,
    /// A header to send, `'Name: value'` (repeatable), e.g. `'Authorization: Bearer TOKEN'`.
    #[arg(
        long = "header",
        short = 'H',
        visible_alias = "webhook-header",
        value_name = "'NAME: VALUE'"
    )]
    pub headers: Vec<String>,
    /// Time limit of each POST in seconds.
    #[arg(long, value_name = "SECONDS", value_parser = seconds, default_value = "10")]
    pub timeout: Duration,
}

impl ReceiverArgs {
    /// The endpoint these arguments name, or why they name none.
    pub fn endpoint(&self) -> Result<WebhookEndpoint, WebhookError> {
        endpoint(&self.url, &self.headers).map(|e| e.timeout(self.timeout))
    }
}

/// Arguments of `flowc webhook-check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    receiver: ReceiverArgs,
}

/// `flowc webhook-check URL`: Parloa's health check (an empty POST marked with `?parloa-health-check=1` and the
/// header `parloa-health-check: 1`). Exit 0 when the webhook answers 200, 1 otherwise.
pub fn check(args: CheckArgs) -> Outcome {
    let result = args
        .receiver
        .endpoint()
        .and_then(|endpoint| endpoint.health_check());
    match result {
        Ok(()) => {
            println!("ok: {} answered 200 to the health check", args.receiver.url);
            Outcome::Clean
        }
        Err(e) => {
            eprintln!("error: health check failed: {e}");
            Outcome::Failed
        }
    }
}

/// A positive number of seconds.
pub(super) fn seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| *s > 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| format!("`{text}` is not a positive number of seconds"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// `(target (path and query), headers as lowercase "name: value", body)` of a request.
    type Request = (String, Vec<String>, Vec<u8>);

    /// A receiver on 127.0.0.1 answering `status`; logs each request.
    struct Receiver {
        url: String,
        log: Arc<Mutex<Vec<Request>>>,
        stop: Arc<AtomicBool>,
        thread: Option<std::thread::JoinHandle<()>>,
    }

    impl Receiver {
        fn start(status: u16) -> Self {
            let server = tiny_http::Server::http("127.0.0.1:0").expect("binds 127.0.0.1");
            let port = server.server_addr().to_ip().expect("an IP").port();
            let log = Arc::new(Mutex::new(Vec::new()));
            let stop = Arc::new(AtomicBool::new(false));
            let thread = {
                let (log, stop) = (Arc::clone(&log), Arc::clone(&stop));
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let Ok(Some(mut request)) = server.recv_timeout(Duration::from_millis(20))
                        else {
                            continue;
                        };
                        let mut body = Vec::new();
                        let _ = request.as_reader().read_to_end(&mut body);
                        let headers = request
                            .headers()
                            .iter()
                            .map(|h| format!("{}: {}", h.field, h.value).to_ascii_lowercase())
                            .collect();
                        log.lock()
                            .unwrap()
                            .push((request.url().to_owned(), headers, body));
                        let _ = request.respond(tiny_http::Response::empty(status));
                    }
                })
            };
            Self {
                url: format!("http://127.0.0.1:{port}/hook"),
                log,
                stop,
                thread: Some(thread),
            }
        }
    }

    impl Drop for Receiver {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::Relaxed);
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }

    fn check_args(args: &[&str]) -> CheckArgs {
        let cli = super::super::Cli::try_parse_from(
            ["flowc", "webhook-check"].iter().chain(args).copied(),
        )
        .expect("parses");
        match cli.command {
            super::super::Command::WebhookCheck(args) => args,
            other => panic!("{other:?}"),
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("flowc-cli-webhook-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        dir
    }

    #[test]
    fn webhook_check_passes_on_200_only() {
        let ok = Receiver::start(200);
        let with_query = format!("{}?team=parcel", ok.url);
        let args = check_args(&[&with_query, "-H", "Authorization: Bearer t"]);
        assert_eq!(check(args), Outcome::Clean);
        assert_eq!(check(check_args(&[&ok.url])), Outcome::Clean);
        let log = ok.log.lock().unwrap().clone();
        assert_eq!(log.len(), 2);
        let (target, headers, body) = &log[0];
        assert_eq!(target, "/hook?team=parcel&parloa-health-check=1");
        assert!(
            headers.contains(&"parloa-health-check: 1".to_owned()),
            "{headers:?}"
        );
        assert!(
            headers.contains(&"authorization: bearer t".to_owned()),
            "{headers:?}"
        );
        assert!(body.is_empty(), "an empty body");
        assert_eq!(log[1].0, "/hook?parloa-health-check=1");
        assert!(
            log[1].1.contains(&"parloa-health-check: 1".to_owned()),
            "{:?}",
            log[1].1
        );

        let failing = Receiver::start(500);
        assert_eq!(check(check_args(&[&failing.url])), Outcome::Failed);
        assert_eq!(check(check_args(&["not a url"])), Outcome::Failed);
        assert_eq!(
            check(check_args(&[&ok.url, "--header", "no colon"])),
            Outcome::Failed
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let nobody = format!("http://127.0.0.1:{port}/");
        assert_eq!(
            check(check_args(&[&nobody, "--timeout", "2"])),
            Outcome::Failed
        );
        assert!(
            super::super::Cli::try_parse_from(["flowc", "webhook-check", "x", "--timeout", "-1"])
                .is_err()
        );
    }

    #[test]
    fn run_tees_transactions_to_the_webhook() {
        let receiver = Receiver::start(200);
        let dir = temp_dir("run");
        let requests = dir.join("requests.jsonl");
        let meta = r#"{"callId":"c","callerId":"+49","sessionId":"s1"}"#;
        std::fs::write(
            &requests,
            format!(
                "{{\"callMeta\":{meta},\"event\":\"WELCOME\"}}\n{{\"callMeta\":{meta},\"event\":\"HANGUP\"}}\n"
            ),
        )
        .expect("writes");
        let out = dir.join("out.jsonl");
        let spool = dir.join("spool");
        let flow = concat!(env!("CARGO_MANIFEST_DIR"), "/../../flows/minimal.yaml");
        let cli = super::super::Cli::try_parse_from([
            "flowc",
            "run",
            flow,
            "--deterministic",
            "--requests",
            requests.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
            "--webhook",
            &receiver.url,
            "--webhook-header",
            "X-Team: parcel",
            "--spool",
            spool.to_str().expect("utf-8"),
        ])
        .expect("parses");
        let super::super::Command::Run(args) = cli.command else {
            panic!("not run");
        };
        assert_eq!(super::super::run::run(args), Outcome::Clean);

        let written: Vec<serde_json::Value> = std::fs::read_to_string(&out)
            .expect("reads")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        assert_eq!(written.len(), 2);
        let log = receiver.log.lock().unwrap().clone();
        let posted: Vec<serde_json::Value> = log
            .iter()
            .flat_map(|(_, headers, body)| {
                assert!(
                    headers.contains(&"x-team: parcel".to_owned()),
                    "{headers:?}"
                );
                serde_json::from_slice::<Vec<serde_json::Value>>(body).expect("an array")
            })
            .collect();
        assert_eq!(posted, written, "the webhook got what --out got");
        let left: Vec<_> = std::fs::read_dir(&spool)
            .expect("the spool")
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
            .collect();
        assert!(left.is_empty(), "delivered batches leave the spool");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn webhook_options_need_a_webhook() {
        let flow = "flows/minimal.yaml";
        assert!(super::super::Cli::try_parse_from(["flowc", "run", flow, "--spool", "x"]).is_err());
        assert!(
            super::super::Cli::try_parse_from(["flowc", "run", flow, "--webhook-header", "A: b"])
                .is_err()
        );
        assert!(
            super::super::Cli::try_parse_from([
                "flowc",
                "run",
                flow,
                "--webhook",
                "http://127.0.0.1:9/",
                "--webhook-wait",
                "0"
            ])
            .is_err()
        );
    }
}
