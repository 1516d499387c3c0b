//! Runtime data layer for flows compiled by `flowc`.
//!
//! A compiled flow answers Parloa webhook requests turn by turn and emits one
//! analytics [`Transaction`] per turn, in the JSON format of Parloa's
//! rule-based platform (field names and key order are what consumers parse).
//! This crate holds what is the same for every flow: the turn loop
//! ([`Engine`]), `phoneV2` and Textchat V2 requests and responses
//! ([`PhoneRequest`], [`ChatRequest`]; a received request keeps every field it
//! carried, in its order, in [`Received`]), the transaction, where
//! transactions go ([`AnalyticsSink`]), where conversations live
//! ([`SessionStore`], [`UserStore`]), clocks and id sources, privacy masking
//! ([`Redact`]), and the [`Flow`] trait a compiled flow implements. Every
//! public item is at the crate root, except the transaction problem kinds
//! ([`problem`]) and the Analytics Webhook (`webhook`, feature `http`).
//!
//! Dependencies: serde, serde_json (with `preserve_order`, for the request
//! echo) and foldhash; ureq only with the `http` feature.

mod chat;
mod clock;
mod conversation;
mod dispatch;
mod engine;
mod flow;
#[cfg(feature = "http")]
mod http_services;
mod ids;
mod json;
mod matcher;
mod pattern;
mod phone;
mod privacy;
mod received;
mod services;
mod sink;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod transaction;
mod value;
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
pub use engine::{
    DEFAULT_STEP_BUDGET, DTMF_INTENT, END_CONVERSATION_INTENT, Engine, EngineError,
    FALLBACK_INTENT, NO_INPUT_INTENT, Turn, TurnBuffer, WELCOME_INTENT,
};
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

/// What generated code, the interpreter and the code generator name by absolute path: the support modules
/// (JSON writing, value semantics, intent dispatch and matching, patterns) and the items generated code
/// uses. Not a public API: it changes with the generator, in any release.
#[doc(hidden)]
pub mod __private {
    /// Intent lookup tables: built by the code generator, probed by generated code.
    pub mod dispatch {
        pub use crate::dispatch::*;
    }
    /// Writing JSON by hand, byte for byte what serde_json writes.
    pub mod json {
        pub use crate::json::*;
    }
    /// The utterance matcher that stands in for NLU.
    pub mod matcher {
        pub use crate::matcher::*;
    }
    /// DTMF and `matches()` patterns.
    pub mod pattern {
        pub use crate::pattern::*;
    }
    /// What expressions mean at run time.
    pub mod value {
        pub use crate::value::*;
    }
    pub use crate::flow::{
        BlockIx, ContextField, Flow, FlowInfo, HandlerIx, Outcome, Scope, ServiceResult, StateIx,
        Step, TurnContext, View,
    };
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
