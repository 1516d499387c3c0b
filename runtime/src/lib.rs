//! Runtime data layer for flows compiled by `flowc`.
//!
//! A compiled flow answers Parloa webhook requests turn by turn and emits one
//! analytics [`Transaction`] per turn, in the JSON format of Parloa's
//! rule-based platform (field names and key order are what consumers parse).
//! This crate holds what is the same for every flow:
//!
//! - [`phone`]: `phoneV2` requests and responses ([`PhoneRequest`],
//!   [`PhoneResponse`]); a received request keeps every field it carried, in
//!   its order ([`Received`]), so the transaction echoes it as sent.
//! - [`chat`]: Textchat V2 requests and responses ([`ChatRequest`],
//!   [`ChatResponse`]).
//! - [`transaction`]: the per-turn analytics record ([`Transaction`]).
//! - [`clock`]: wall and elapsed time and ISO-8601 formatting, with a
//!   deterministic variant for snapshots ([`FixedClock`]).
//! - [`ids`]: `transactionId` and `userContextId` generation
//!   ([`ObjectIdSource`], and [`SequentialIds`] for snapshots).
//! - [`sink`]: where transactions go ([`JsonLinesSink`], [`MemorySink`],
//!   [`TeeSink`]).
//! - [`store`]: conversation state per session and user-lifetime variables
//!   per requester and release ([`InMemoryStore`], [`InMemoryUserStore`]).
//! - [`engine`]: the turn loop ([`Engine`]), including the conversations
//!   flowc ends itself ([`Engine::end_phone_conversation`]).
//! - [`privacy`]: masking of personal data for the whole conversation once a
//!   request sets `isPrivacyEnabled`.
//! - `webhook` (feature `http`): the Analytics Webhook sink, batched JSON
//!   arrays over HTTP with a durable on-disk spool (`WebhookSink`).
//!
//! Dependencies: serde, serde_json (with `preserve_order`, for the request
//! echo) and foldhash; ureq only with the `http` feature.

pub mod chat;
pub mod clock;
pub mod conversation;
pub mod dispatch;
pub mod engine;
pub mod flow;
#[cfg(feature = "http")]
pub mod http_services;
pub mod ids;
pub mod json;
pub mod matcher;
pub mod pattern;
pub mod phone;
pub mod privacy;
mod received;
pub mod services;
pub mod sink;
pub mod store;
pub mod transaction;
pub mod value;
#[cfg(feature = "http")]
pub mod webhook;

pub use chat::{
    CHAT_API_VERSION, CardImage, CardImageSource, ChatEvent, ChatRequest, ChatResponse,
    ContextItem, ContextValue, ResponseElement,
};
pub use clock::{
    Clock, FixedClock, Iso8601Ms, Mark, SystemClock, format_iso8601_ms, parse_iso8601_ms,
};
pub use conversation::Conversation;
pub use engine::{Engine, EngineError, Turn, TurnBuffer};
pub use flow::{
    BlockIx, ContextField, Flow, FlowInfo, HandlerIx, Outcome, Said, Scope, ServiceResult, StateIx,
    Step, TurnContext, TurnInput, View,
};
#[cfg(feature = "http")]
pub use http_services::HttpServices;
pub use ids::{IdSource, ObjectIdSource, SequentialIds};
pub use matcher::IntentSamples;
pub use phone::{
    CallControlMessage, CallMeta, CustomStt, IntentGuess, IntentId, PhoneEvent, PhoneRequest,
    PhoneResponse, SipHeader, Slot, Slots,
};
pub use privacy::{MASK, Redact};
pub use received::Received;
pub use services::{
    Dynamic, DynamicServices, HttpEndpoint, NoServices, ServiceError, ServiceReply,
};
pub use sink::{AnalyticsSink, DiscardSink, JsonLinesSink, MemorySink, SinkError, TeeSink};
pub use store::{InMemoryStore, InMemoryUserStore, SessionStore, UserStore};
pub use transaction::{
    AffectedStep, CowStr, Handled, IntentRecord, Issues, Meta, Platform, Problem, Request,
    Response, SessionBefore, StateRef, Transaction, Variable, problem,
};
#[cfg(feature = "http")]
pub use webhook::{WebhookConfig, WebhookEndpoint, WebhookError, WebhookSink, WebhookStats};

/// What generated code names by absolute path. Not a public API: it changes with the generator.
#[doc(hidden)]
pub mod __private {
    pub use crate::dispatch;
    pub use crate::flow::{
        BlockInfo, BlockIx, ContextField, Flow, FlowInfo, HandlerIx, Lifetime, Outcome, Reference,
        Scope, ServiceResult, StateInfo, StateIx, Step, TurnContext, VariableInfo, View,
    };
    pub use crate::json;
    pub use crate::matcher::IntentSamples;
    pub use crate::pattern::Pattern;
    pub use crate::phone::SipHeader;
    pub use crate::services::{
        Dynamic, DynamicServices, HttpEndpoint, ServiceError, ServiceReply, failure_message,
        unknown_branch,
    };
    pub use crate::transaction::{StateRef, Variable};
    pub use crate::value::{
        bool_text, compare, contains, eq, ge, gt, is_empty, le, lt, matches, ne, push_value, set,
        truthy,
    };
    pub use std::borrow::Cow;
    pub use std::cmp::Ordering;
    pub use std::string::String;
    pub use std::sync::LazyLock;
    pub use std::vec::Vec;
}

/// Includes the Rust module `flowc::Builder` generated for a flow: `include_flow!("parcel_tracking")`
/// expands to `include!(concat!(env!("OUT_DIR"), "/parcel_tracking.rs"))`.
#[macro_export]
macro_rules! include_flow {
    ($name:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $name, ".rs"));
    };
}
