//! Services called by name with string values: stubs in conversation scripts, HTTP endpoints, or any code
//! that does not want the typed per-flow trait. Generated code adapts them to its typed trait.

use crate::flow::TurnContext;

/// What a service answered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceReply {
    /// The branch taken.
    pub branch: String,
    /// Output values by variable name.
    pub outputs: Vec<(String, String)>,
}

/// A service failure: what went wrong and the status reported in `context.lastServiceCallStatus`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// What went wrong.
    pub message: String,
    /// `error`, `timeout`, an HTTP status, …
    pub status: String,
}

impl ServiceError {
    /// A failure with status `error`.
    pub fn new(message: impl Into<String>) -> Self {
        ServiceError {
            message: message.into(),
            status: "error".into(),
        }
    }

    /// A failure with its own status.
    pub fn with_status(message: impl Into<String>, status: impl Into<String>) -> Self {
        ServiceError {
            message: message.into(),
            status: status.into(),
        }
    }
}

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ServiceError {}

/// Services called by name.
pub trait DynamicServices: Send + Sync {
    /// Calls `service` with its inputs as (variable name, value) pairs; `context` tells which conversation
    /// and turn is asking.
    fn call(
        &self,
        service: &str,
        inputs: &[(&str, &str)],
        context: &TurnContext,
    ) -> Result<ServiceReply, ServiceError>;
}

impl<T: DynamicServices + ?Sized> DynamicServices for &T {
    fn call(
        &self,
        service: &str,
        inputs: &[(&str, &str)],
        context: &TurnContext,
    ) -> Result<ServiceReply, ServiceError> {
        (**self).call(service, inputs, context)
    }
}

impl<T: DynamicServices + ?Sized> DynamicServices for std::sync::Arc<T> {
    fn call(
        &self,
        service: &str,
        inputs: &[(&str, &str)],
        context: &TurnContext,
    ) -> Result<ServiceReply, ServiceError> {
        (**self).call(service, inputs, context)
    }
}

impl<T: DynamicServices + ?Sized> DynamicServices for Box<T> {
    fn call(
        &self,
        service: &str,
        inputs: &[(&str, &str)],
        context: &TurnContext,
    ) -> Result<ServiceReply, ServiceError> {
        (**self).call(service, inputs, context)
    }
}

/// Services that always fail: for flows played without stubs.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoServices;

impl DynamicServices for NoServices {
    fn call(
        &self,
        service: &str,
        _inputs: &[(&str, &str)],
        _context: &TurnContext,
    ) -> Result<ServiceReply, ServiceError> {
        Err(ServiceError::new(format!(
            "no implementation for service `{service}`"
        )))
    }
}

/// Wraps [`DynamicServices`] so generated flows accept them in place of their typed services trait.
#[derive(Debug, Clone, Default)]
pub struct Dynamic<D>(pub D);

/// The `meta.errors` message of a failed service call; one wording for the interpreter and generated code.
pub fn failure_message(service: &str, block: &str, error: &ServiceError) -> String {
    format!(
        "service `{service}` failed in block `{block}`: {}",
        error.message
    )
}

/// The failure of a service that answered a branch the flow does not declare.
pub fn unknown_branch(service: &str, branch: &str) -> ServiceError {
    ServiceError::new(format!(
        "service `{service}` answered unknown branch `{branch}`"
    ))
}

/// An HTTP service's endpoint as the flow declares it (`http: {url, timeout_ms, retries, headers}`). Plain
/// data, available without the `http` feature; `HttpServices` (feature `http`) calls it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpEndpoint {
    /// The service's name in the flow.
    pub service: crate::CowStr,
    /// The URL POSTed to.
    pub url: crate::CowStr,
    /// Time limit per attempt in milliseconds.
    pub timeout_ms: u64,
    /// Extra attempts on timeout, 429 and 502–504.
    pub retries: u32,
    /// Request headers.
    pub headers: std::borrow::Cow<'static, [(crate::CowStr, crate::CowStr)]>,
}
