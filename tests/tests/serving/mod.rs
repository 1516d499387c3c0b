//! What the server tests share: a blocking HTTP client on 127.0.0.1, the parcel bot's services, polling.

#![allow(dead_code)]

use std::io::Read;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use flowc_runtime::{ServiceError, TurnContext};
use flowc_tests::parcel_tracking::{
    self, CloseTicketBranch, CloseTicketInput, CloseTicketOutput, LookupParcelBranch,
    LookupParcelInput, LookupParcelOutput,
};

/// A keep-alive HTTP/1.1 client of one server that reads error statuses as answers.
pub struct Client {
    agent: ureq::Agent,
    base: String,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build();
        Client {
            agent: config.into(),
            base: format!("http://{addr}"),
        }
    }

    /// POSTs a JSON body to the dialoghook of `dialog` on `platform`, with `token` as a bearer token.
    pub fn turn(
        &self,
        dialog: &str,
        platform: &str,
        token: Option<&str>,
        body: &str,
    ) -> (u16, String) {
        let url = format!("/dialoghook?dialog={dialog}&platform={platform}");
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(auth) = &auth {
            headers.push(("Authorization", auth.as_str()));
        }
        self.send("POST", &url, &headers, Some(body.as_bytes()))
    }

    /// Any request; the status and the body as text.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> (u16, String) {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = match body {
            Some(body) => self.agent.run(request.body(body.to_vec()).unwrap()),
            None => self.agent.run(request.body(()).unwrap()),
        };
        let mut response = response.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status().as_u16();
        let mut text = String::new();
        response
            .body_mut()
            .as_reader()
            .read_to_string(&mut text)
            .expect("a body");
        (status, text)
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        self.send("GET", path, &[], None)
    }

    /// The value of a sample in `/metrics` (`name{labels}` as written), or 0 when absent.
    pub fn metric(&self, sample: &str) -> f64 {
        let (_, text) = self.get("/metrics");
        text.lines()
            .find_map(|line| {
                line.strip_prefix(sample)?
                    .strip_prefix(' ')?
                    .trim()
                    .parse()
                    .ok()
            })
            .unwrap_or(0.0)
    }
}

/// Waits for `done` to hold, checking every few milliseconds, for at most `limit`.
#[track_caller]
pub fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A phoneV2 request body of session `session` with `rest` (`"event":"WELCOME"`, …).
pub fn phone(session: &str, rest: &str) -> String {
    format!(
        r#"{{"callMeta":{{"callId":"{session}","callerId":"+4915100000001","sessionId":"{session}","customerId":"test"}},{rest}}}"#
    )
}

/// A textchatV2 request body.
pub fn chat(session: &str, event: &str) -> String {
    format!(
        r#"{{"apiVersion":"chat/v1","requesterId":"user-{session}","sessionId":"{session}","event":{event}}}"#
    )
}

/// The parcel bot's backend: every parcel is on the truck.
pub struct Backend;

impl parcel_tracking::Services for Backend {
    fn lookup_parcel(
        &self,
        _input: LookupParcelInput<'_>,
        _context: &TurnContext,
    ) -> Result<LookupParcelOutput, ServiceError> {
        let mut out = LookupParcelOutput::new(LookupParcelBranch::InTransit);
        out.parcel_status = Some("on the truck".into());
        Ok(out)
    }

    fn close_ticket(
        &self,
        _input: CloseTicketInput<'_>,
        _context: &TurnContext,
    ) -> Result<CloseTicketOutput, ServiceError> {
        Ok(CloseTicketOutput::new(CloseTicketBranch::Closed))
    }
}
