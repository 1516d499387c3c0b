//! The routes: `POST /dialoghook`, `GET /healthz`, `GET /metrics`, and a JSON error body for everything
//! else. A request is checked in the order a client can act on (path and method, `dialog`, token,
//! platform, content type, size), read within the read timeout, then played on the turn pool.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::error::Category;
use subtle::ConstantTimeEq;

use super::App;
use crate::engine::{EngineError, TurnBuffer, TurnSummary};
use crate::transaction::Platform;

thread_local! {
    /// One turn buffer per blocking thread: warm turns reuse it.
    static BUFFER: RefCell<TurnBuffer> = RefCell::new(TurnBuffer::new());
}

/// The server's routes.
pub(super) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/dialoghook", post(dialoghook).fallback(wrong_method))
        .route("/healthz", get(healthz).fallback(wrong_method))
        .route("/metrics", get(metrics).fallback(wrong_method))
        .fallback(not_found)
        .with_state(app)
}

/// A refusal: status and a JSON body `{"status": …, "error": "…"}` saying what to change.
pub(super) struct Refusal {
    status: StatusCode,
    message: String,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Refusal {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"status": self.status.as_u16(), "error": self.message});
        let mut response = (self.status, json_body(body.to_string().into_bytes())).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

fn json_body(bytes: Vec<u8>) -> ([(header::HeaderName, HeaderValue); 1], Vec<u8>) {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        bytes,
    )
}

async fn not_found(State(app): State<Arc<App>>) -> Response {
    refuse(
        &app,
        Refusal::new(
            StatusCode::NOT_FOUND,
            "no such path: the dialoghook is POST /dialoghook?dialog=RELEASE&platform=phoneV2|textchatV2",
        ),
    )
}

async fn wrong_method(State(app): State<Arc<App>>, request: Request) -> Response {
    let allowed = if request.uri().path() == "/dialoghook" {
        "POST"
    } else {
        "GET"
    };
    let mut response = refuse(
        &app,
        Refusal::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{} is not allowed here: use {allowed}", request.method()),
        ),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allowed));
    response
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    let body = serde_json::json!({"status": "ok", "releases": app.releases.len()});
    json_body(body.to_string().into_bytes()).into_response()
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(header::CONTENT_TYPE, content_type)], app.metrics.encode()).into_response()
}

fn refuse(app: &App, refusal: Refusal) -> Response {
    app.metrics.refused(refusal.status.as_u16());
    refusal.into_response()
}

/// `dialog` and `platform` of the query string.
fn query(request: &Request) -> (Option<String>, Option<String>) {
    let (mut dialog, mut platform) = (None, None);
    for (key, value) in form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "dialog" => dialog = Some(value.into_owned()),
            "platform" => platform = Some(value.into_owned()),
            _ => {}
        }
    }
    (dialog, platform)
}

/// Whether `headers` carry `Authorization: Bearer <token>`, compared in constant time.
fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
    else {
        return false;
    };
    bool::from(given.ct_eq(token.as_bytes()))
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

async fn dialoghook(State(app): State<Arc<App>>, request: Request) -> Response {
    let started = Instant::now();
    match turn(&app, request, started).await {
        Ok(response) => response,
        Err(refusal) => refuse(&app, refusal),
    }
}

/// What a turn on the turn pool gives back.
struct Played {
    response: Bytes,
    summary: TurnSummary,
    sink_error: Option<String>,
}

async fn turn(app: &Arc<App>, request: Request, started: Instant) -> Result<Response, Refusal> {
    let (dialog, platform) = query(&request);
    let Some(dialog) = dialog else {
        return Err(Refusal::new(
            StatusCode::NOT_FOUND,
            "no `dialog` query parameter: POST /dialoghook?dialog=RELEASE&platform=…",
        ));
    };
    let Some(served) = app.releases.get(&dialog) else {
        return Err(Refusal::new(
            StatusCode::NOT_FOUND,
            format!("no dialog {dialog:?} is served here"),
        ));
    };
    if let Some(token) = &served.token
        && !authorized(request.headers(), token)
    {
        return Err(Refusal::new(
            StatusCode::UNAUTHORIZED,
            "missing or wrong `Authorization: Bearer <token>` for this dialog",
        ));
    }
    let platform = match platform.as_deref() {
        Some("phoneV2") => Platform::PhoneV2,
        Some("textchatV2") => Platform::TextchatV2,
        Some(other) => {
            return Err(Refusal::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("unknown platform {other:?}: phoneV2 or textchatV2"),
            ));
        }
        None => {
            return Err(Refusal::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "no `platform` query parameter: phoneV2 or textchatV2",
            ));
        }
    };
    if !served.engine.serves(platform) {
        return Err(Refusal::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("dialog {dialog:?} does not run on {}", platform.as_str()),
        ));
    }
    if !is_json(request.headers()) {
        return Err(Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be `Content-Type: application/json`",
        ));
    }
    let body = read_body(app, request).await?;
    let engine = Arc::clone(&served.engine);
    // Bounds the turns on the pool; the others wait here, costing a task each, not a thread.
    let Ok(_permit) = app.turns.acquire().await else {
        return Err(Refusal::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down",
        ));
    };
    let play = move || {
        BUFFER.with(|buffer| {
            let mut buffer = buffer.borrow_mut();
            engine.play_json(platform, &body, &mut buffer)?;
            Ok::<_, EngineError>(Played {
                response: Bytes::copy_from_slice(buffer.response_json()),
                summary: buffer.summary(),
                sink_error: buffer.sink_error().map(ToString::to_string),
            })
        })
    };
    // The hand-off to the pool is the price of services that block: a few context switches per turn.
    let played = if app.config.inline_turns {
        play()
    } else {
        app.pool.run(play).await.map_err(|_| {
            Refusal::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the turn failed inside the flow",
            )
        })?
    }
    .map_err(refusal_of)?;
    app.metrics.turn(
        &dialog,
        platform,
        played.summary,
        started.elapsed().as_secs_f64(),
    );
    if let Some(error) = played.sink_error {
        // The turn happened, but answering would acknowledge a transaction that may be lost.
        (app.log)(&format!(
            "dialog {dialog:?}: a transaction could not be recorded: {error}"
        ));
        return Err(Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the turn was played but its transaction could not be recorded",
        ));
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        Body::from(played.response),
    )
        .into_response())
}

/// The body, at most the body limit, read within the read timeout.
async fn read_body(app: &App, request: Request) -> Result<Bytes, Refusal> {
    let limit = app.config.body_limit;
    let too_large = || {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {limit} bytes"),
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let read = Limited::new(request.into_body(), limit).collect();
    match tokio::time::timeout(app.config.read_timeout, read).await {
        Err(_) => Err(Refusal::new(
            StatusCode::REQUEST_TIMEOUT,
            "the body did not arrive within the read timeout",
        )),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(_)) => Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "the body could not be read",
        )),
    }
}

/// 400 for what is not JSON, 422 for JSON that is not a request of the platform or that the flow cannot take,
/// 503 when the session store failed.
fn refusal_of(error: EngineError) -> Refusal {
    let status = match &error {
        EngineError::Malformed(e) if e.classify() != Category::Data => StatusCode::BAD_REQUEST,
        // Nothing was wrong with the request: the shared store failed, and the same request may succeed.
        EngineError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Refusal::new(status, error.to_string())
}
