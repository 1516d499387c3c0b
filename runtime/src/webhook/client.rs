//! The HTTP side: one ureq agent (keep-alive) per sink, POSTs and their classification.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ureq::Agent;
use ureq::http::{HeaderName, HeaderValue, Uri};

use super::{WebhookEndpoint, WebhookError};

/// Most bytes of a response body read (the rest is dropped with the connection).
const BODY_LIMIT: u64 = 64 * 1024;
/// Most characters of a response body quoted in an error message.
const QUOTE_LIMIT: usize = 300;

/// What one delivery attempt came to.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// The receiver answered 2xx: the batch may leave the spool.
    Delivered,
    /// Connection error, timeout, 408, 429 or 5xx: try again later.
    Retry {
        /// What happened, for `last_error`.
        reason: String,
        /// The receiver's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
        /// A 429: the receiver asks to slow down, which says nothing about the batch.
        throttled: bool,
    },
    /// Any other status (3xx, 4xx): the receiver will not take this batch.
    Rejected {
        /// The status.
        status: u16,
        /// The start of the response body.
        body: String,
    },
}

/// A checked endpoint with its agent.
#[derive(Debug)]
pub(crate) struct Client {
    agent: Agent,
    url: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    timeout: Duration,
}

impl Client {
    /// Checks the URL and headers; builds the agent.
    pub(crate) fn new(endpoint: &WebhookEndpoint) -> Result<Self, WebhookError> {
        check_url(&endpoint.url)?;
        let mut headers = Vec::new();
        for (name, value) in &endpoint.headers {
            headers.push(check_header(name, value, &format!("{name}: {value}"))?);
        }
        if let Some(token) = &endpoint.bearer {
            headers.push(check_header(
                "authorization",
                &format!("Bearer {token}"),
                "Authorization: Bearer <token>",
            )?);
        }
        if endpoint.timeout.is_zero() {
            return Err(WebhookError::InvalidConfig(
                "the request timeout must be longer than 0".to_owned(),
            ));
        }
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("flowc-runtime/", env!("CARGO_PKG_VERSION")))
            .timeout_global(Some(endpoint.timeout))
            .build()
            .into();
        Ok(Self {
            agent,
            url: endpoint.url.clone(),
            headers,
            timeout: endpoint.timeout,
        })
    }

    /// The URL.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// POSTs a JSON array, within `timeout` at most (clamped to the endpoint's).
    pub(crate) fn post(&self, body: &[u8], timeout: Duration) -> Attempt {
        let mut request = self
            .agent
            .post(&self.url)
            .header("content-type", "application/json");
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let timeout = timeout.min(self.timeout).max(Duration::from_millis(1));
        let result = request
            .config()
            .timeout_global(Some(timeout))
            .build()
            .send(body);
        match result {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, SystemTime::now()));
                let text = read_body(response.body_mut());
                classify(status, retry_after, text)
            }
            Err(e) => Attempt::Retry {
                reason: format!("POST {}: {e}", self.url),
                retry_after: None,
                throttled: false,
            },
        }
    }

    /// Parloa's health check: empty-body POST marked with the query parameter
    /// `parloa-health-check=1` and the header `parloa-health-check: 1`, 200 expected.
    pub(crate) fn health_check(&self) -> Result<(), WebhookError> {
        let mut request = self
            .agent
            .post(health_check_url(&self.url))
            .header(HEALTH_CHECK, "1");
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        match request.send_empty() {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let body = read_body(response.body_mut());
                if status == 200 {
                    Ok(())
                } else {
                    Err(WebhookError::Status {
                        url: self.url.clone(),
                        status,
                        body,
                    })
                }
            }
            Err(e) => Err(WebhookError::Unreachable {
                url: self.url.clone(),
                message: e.to_string(),
            }),
        }
    }
}

/// The health check's marker: a header, and a query parameter with the value `1`.
const HEALTH_CHECK: &str = "parloa-health-check";

/// `url` with `parloa-health-check=1` added to its query (after a `&` when it
/// already has one), before any fragment. Consumers look for the marker in
/// either place, so the health check sends both.
pub(crate) fn health_check_url(url: &str) -> String {
    let (base, fragment) = match url.find('#') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let separator = match base.find('?') {
        None => "?",
        Some(i) if i + 1 == base.len() || base.ends_with('&') => "",
        Some(_) => "&",
    };
    format!("{base}{separator}{HEALTH_CHECK}=1{fragment}")
}

/// 2xx delivered; 408, 429 and 5xx retried; everything else rejected.
fn classify(status: u16, retry_after: Option<Duration>, body: String) -> Attempt {
    match status {
        200..=299 => Attempt::Delivered,
        408 | 429 | 500..=599 => Attempt::Retry {
            reason: if body.is_empty() {
                format!("HTTP {status}")
            } else {
                format!("HTTP {status}: {body}")
            },
            retry_after,
            throttled: status == 429,
        },
        _ => Attempt::Rejected { status, body },
    }
}

/// Reads (and so frees the connection for reuse) up to [`BODY_LIMIT`] bytes; returns the start as text.
fn read_body(body: &mut ureq::Body) -> String {
    match body.with_config().limit(BODY_LIMIT).read_to_vec() {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let text = text.trim();
            match text.char_indices().nth(QUOTE_LIMIT) {
                Some((cut, _)) => format!("{}…", &text[..cut]),
                None => text.to_owned(),
            }
        }
        Err(_) => String::new(),
    }
}

fn check_url(url: &str) -> Result<(), WebhookError> {
    let invalid = |reason: &str| WebhookError::InvalidUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    if url.trim() != url || url.is_empty() {
        return Err(invalid(
            "expected an absolute http:// or https:// URL without surrounding spaces",
        ));
    }
    let uri: Uri = url
        .parse()
        .map_err(|e: ureq::http::uri::InvalidUri| invalid(&e.to_string()))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        Some(other) => {
            return Err(invalid(&format!(
                "the scheme is `{other}`; expected http:// or https://"
            )));
        }
        None => return Err(invalid("expected an absolute http:// or https:// URL")),
    }
    match uri.host() {
        Some(host) if !host.is_empty() => Ok(()),
        _ => Err(invalid("the URL has no host")),
    }
}

/// Headers the sink sets itself; a custom one would conflict.
const RESERVED: [&str; 5] = [
    "content-type",
    "content-length",
    "transfer-encoding",
    "host",
    "connection",
];

fn check_header(
    name: &str,
    value: &str,
    shown: &str,
) -> Result<(HeaderName, HeaderValue), WebhookError> {
    let invalid = |reason: String| WebhookError::InvalidHeader {
        header: shown.to_owned(),
        reason,
    };
    let name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| invalid("the name is not a valid HTTP header name".to_owned()))?;
    if RESERVED.contains(&name.as_str()) {
        return Err(invalid(format!(
            "`{name}` is set by the webhook sink itself"
        )));
    }
    let value = HeaderValue::from_str(value).map_err(|_| {
        invalid(
            "the value has characters HTTP headers cannot carry (line breaks, control characters)"
                .to_owned(),
        )
    })?;
    Ok((name, value))
}

/// `Retry-After`: delay-seconds, or an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) measured from `now`.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = parse_http_date(value)?;
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// Seconds since the epoch of an IMF-fixdate.
fn parse_http_date(value: &str) -> Option<u64> {
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    let (_, rest) = value.split_once(", ")?;
    let mut parts = rest.split(' ');
    let day: u64 = parts.next()?.parse().ok()?;
    let month = parts.next()?;
    let year: i64 = parts.next()?.parse().ok()?;
    let time = parts.next()?;
    if parts.next()? != "GMT" || parts.next().is_some() {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
    let mut hms = time.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day as i64);
    u64::try_from(days)
        .ok()
        .map(|d| d * 86_400 + h * 3600 + m * 60 + s)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_770); // 1994-11-06 08:49:30 GMT
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        for bad in [
            "",
            "soon",
            "-1",
            "1.5",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "06 Nov 1994",
        ] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn status_classes() {
        assert!(matches!(
            classify(200, None, String::new()),
            Attempt::Delivered
        ));
        assert!(matches!(
            classify(204, None, String::new()),
            Attempt::Delivered
        ));
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(
                matches!(classify(s, None, String::new()), Attempt::Retry { .. }),
                "{s}"
            );
        }
        for s in [301, 400, 401, 403, 404, 413, 422] {
            assert!(
                matches!(classify(s, None, String::new()), Attempt::Rejected { .. }),
                "{s}"
            );
        }
    }

    #[test]
    fn the_health_check_marker_joins_the_query() {
        for (url, marked) in [
            ("http://a/hook", "http://a/hook?parloa-health-check=1"),
            ("http://a/hook?", "http://a/hook?parloa-health-check=1"),
            (
                "http://a/hook?team=1",
                "http://a/hook?team=1&parloa-health-check=1",
            ),
            (
                "http://a/hook?team=1&",
                "http://a/hook?team=1&parloa-health-check=1",
            ),
            (
                "http://a/hook?team=1#top",
                "http://a/hook?team=1&parloa-health-check=1#top",
            ),
        ] {
            assert_eq!(health_check_url(url), marked, "{url}");
        }
    }

    #[test]
    fn urls_are_checked() {
        for ok in [
            "http://127.0.0.1:8080/hook",
            "https://analytics.example.com/x?team=1",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "not a url",
            "ftp://example.com/x",
            "/relative",
            "example.com/x",
            " http://a/",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
