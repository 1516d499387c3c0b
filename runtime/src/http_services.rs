//! HTTP services (feature `http`): Parloa's service contract over a blocking client (see [`HttpServices`]).

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::flow::TurnContext;
use crate::services::{DynamicServices, HttpEndpoint, NoServices, ServiceError, ServiceReply};

/// Calls HTTP endpoints; services without one go to a fallback (by default: a failure).
///
/// Each call POSTs `{"input": {name: value, …}, "context": {sessionId, callerId, platform, turnCount}}` with
/// every input as a string. A `200` whose body is `{"choice": branch, "output": {name: value, …}}` selects the
/// branch and assigns the outputs (non-string outputs are written as their JSON text). Anything else — another
/// status, a malformed body, a timeout, a refused connection — is a failure, which takes the block's `error`
/// branch or the global `on_error` (T11), with `context.lastServiceCallStatus` set to the HTTP status,
/// `timeout` or `error`, and `context.lastServiceCallError` to the reason. Timeouts, `429` and `502`–`504` are
/// retried as often as the endpoint's `retries` allow, after 50 ms, 100 ms, 200 ms …
pub struct HttpServices<F: DynamicServices = NoServices> {
    endpoints: HashMap<String, (HttpEndpoint, ureq::Agent)>,
    fallback: F,
}

impl HttpServices<NoServices> {
    /// Services for these endpoints. Fails on a URL that is not `http://` or `https://`.
    pub fn new(endpoints: impl IntoIterator<Item = HttpEndpoint>) -> Result<Self, String> {
        let mut map = HashMap::new();
        for endpoint in endpoints {
            let url = endpoint.url.as_ref();
            if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10 {
                return Err(format!(
                    "service `{}`: `{url}` is not an HTTP URL",
                    endpoint.service
                ));
            }
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_millis(endpoint.timeout_ms.max(1))))
                .http_status_as_error(false)
                .build()
                .into();
            map.insert(endpoint.service.to_string(), (endpoint, agent));
        }
        Ok(HttpServices {
            endpoints: map,
            fallback: NoServices,
        })
    }
}

impl<F: DynamicServices> HttpServices<F> {
    /// Sends services without an endpoint to `fallback`.
    pub fn with_fallback<G: DynamicServices>(self, fallback: G) -> HttpServices<G> {
        HttpServices {
            endpoints: self.endpoints,
            fallback,
        }
    }

    /// True when `service` has an endpoint here.
    pub fn has(&self, service: &str) -> bool {
        self.endpoints.contains_key(service)
    }
}

fn body(inputs: &[(&str, &str)], context: &TurnContext) -> String {
    let input: Map<String, Value> = inputs
        .iter()
        .map(|(k, v)| ((*k).to_string(), Value::String((*v).to_string())))
        .collect();
    json!({
        "input": input,
        "context": {
            "sessionId": context.session_id,
            "callerId": context.caller_id,
            "platform": context.platform,
            "turnCount": context.turn_count,
        }
    })
    .to_string()
}

/// One attempt's outcome: an answer, or a failure and whether it is worth retrying.
enum Attempt {
    Done(Result<ServiceReply, ServiceError>),
    Retry(ServiceError),
}

fn attempt(endpoint: &HttpEndpoint, agent: &ureq::Agent, payload: &str) -> Attempt {
    let mut request = agent
        .post(endpoint.url.as_ref())
        .header("Content-Type", "application/json");
    for (name, value) in endpoint.headers.iter() {
        request = request.header(name.as_ref(), value.as_ref());
    }
    let mut response = match request.send(payload) {
        Ok(r) => r,
        Err(ureq::Error::Timeout(_)) => {
            return Attempt::Retry(ServiceError::with_status(
                format!("timed out after {} ms", endpoint.timeout_ms),
                "timeout",
            ));
        }
        Err(e) => return Attempt::Done(Err(ServiceError::new(format!("request failed: {e}")))),
    };
    let status = response.status().as_u16();
    if status != 200 {
        let error = ServiceError::with_status(format!("HTTP status {status}"), status.to_string());
        return if matches!(status, 429 | 502..=504) {
            Attempt::Retry(error)
        } else {
            Attempt::Done(Err(error))
        };
    }
    let text = match response.body_mut().read_to_string() {
        Ok(t) => t,
        Err(ureq::Error::Timeout(_)) => {
            return Attempt::Retry(ServiceError::with_status(
                format!("timed out after {} ms", endpoint.timeout_ms),
                "timeout",
            ));
        }
        Err(e) => {
            return Attempt::Done(Err(ServiceError::with_status(
                format!("unreadable body: {e}"),
                "200",
            )));
        }
    };
    Attempt::Done(parse_answer(&text))
}

/// Reads `{"choice": …, "output": {…}}`.
fn parse_answer(text: &str) -> Result<ServiceReply, ServiceError> {
    let malformed =
        |why: &str| ServiceError::with_status(format!("malformed response body: {why}"), "200");
    let value: Value = serde_json::from_str(text).map_err(|e| malformed(&e.to_string()))?;
    let choice = value
        .get("choice")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("no string `choice`"))?;
    let outputs = match value.get("output") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                (k.clone(), text)
            })
            .collect(),
        Some(_) => return Err(malformed("`output` is not an object")),
    };
    Ok(ServiceReply {
        branch: choice.to_string(),
        outputs,
    })
}

impl<F: DynamicServices> DynamicServices for HttpServices<F> {
    fn call(
        &self,
        service: &str,
        inputs: &[(&str, &str)],
        context: &TurnContext,
    ) -> Result<ServiceReply, ServiceError> {
        let Some((endpoint, agent)) = self.endpoints.get(service) else {
            return self.fallback.call(service, inputs, context);
        };
        let payload = body(inputs, context);
        let mut last = ServiceError::new("not called");
        for retry in 0..=endpoint.retries {
            if retry > 0 {
                std::thread::sleep(Duration::from_millis(50 << (retry - 1).min(6)));
            }
            match attempt(endpoint, agent, &payload) {
                Attempt::Done(result) => return result,
                Attempt::Retry(error) => last = error,
            }
        }
        Err(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_strictly() {
        let ok =
            parse_answer(r#"{"choice":"found","output":{"status":"late","count":3,"gone":null}}"#)
                .unwrap();
        assert_eq!(ok.branch, "found");
        assert_eq!(
            ok.outputs,
            // In the order the service wrote them.
            vec![
                ("status".into(), "late".into()),
                ("count".into(), "3".into()),
                ("gone".into(), "".into())
            ]
        );
        assert!(parse_answer("not json").is_err());
        assert!(parse_answer(r#"{"output":{}}"#).is_err());
        assert!(parse_answer(r#"{"choice":"x","output":[1]}"#).is_err());
    }

    #[test]
    fn bad_urls_are_refused_at_start() {
        let endpoint = HttpEndpoint {
            service: "s".into(),
            url: "ftp://example".into(),
            timeout_ms: 100,
            retries: 0,
            headers: std::borrow::Cow::Borrowed(&[]),
        };
        assert!(HttpServices::new([endpoint]).is_err());
    }
}
