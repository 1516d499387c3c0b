//! The runtime of flows compiled by `flowc`.
//!
//! A compiled flow answers Parloa webhook requests turn by turn and emits one analytics [`Transaction`] per
//! turn, in the JSON format of Parloa's rule-based platform (field names and key order are what consumers
//! parse). This crate holds what is the same for every flow. Its public API, by what you do with it (every
//! item is at the crate root, except the problem kinds in [`problem`], the Analytics Webhook's `webhook`
//! module, the dialoghook `server` module and the `testing` module):
//!
//! # Play a turn
//!
//! - [`Engine`] plays the conversations of one flow: [`Engine::new`] over a generated flow
//!   (`<flow>::Flow::new(services)`) or the interpreter, then [`Engine::handle_phone`] /
//!   [`Engine::handle_chat`] (or their `_json` twins), which give back a [`Turn`] of structs. On a hot path,
//!   [`Engine::play_phone`] / [`Engine::play_chat`] write the response and the transaction as JSON into a
//!   [`TurnBuffer`] kept per thread, allocating nothing once warm; [`TurnBuffer::summary`] says how the
//!   turn went ([`TurnSummary`]). [`Engine::end_phone_conversation`] / [`Engine::end_chat_conversation`]
//!   end an open conversation as if hung up. A request that cannot be played is an [`EngineError`].
//! - [`Engine::expire_idle`] ends, records and forgets the conversations no request reached for a while
//!   (an `IdleTimeout` warning in their Hangup or quit transaction) and tells what it did ([`Expired`]).
//! - phoneV2: [`PhoneRequest`] ([`CallMeta`], [`PhoneEvent`], [`IntentGuess`], [`IntentId`], [`Slots`],
//!   [`Slot`]) and [`PhoneResponse`] ([`CallControlMessage`], [`SipHeader`], [`CustomStt`]).
//! - Textchat V2: [`ChatRequest`] ([`ChatEvent`], [`ContextItem`], [`ContextValue`], [`CHAT_API_VERSION`])
//!   and [`ChatResponse`] ([`ResponseElement`], [`CardImage`], [`CardImageSource`]).
//! - [`Received`]: the fields of a received request beyond the typed ones, and the order of all keys, so
//!   the transaction echoes the request as sent.
//!
//! # Read transactions
//!
//! [`Transaction`] and its parts: [`Request`], [`Response`], [`Platform`], [`IntentRecord`], [`Handled`],
//! [`StateRef`], [`Variable`], [`Meta`], [`Issues`], [`AffectedStep`], [`SessionBefore`], [`Problem`] (its
//! kinds in [`problem`]), [`CowStr`]. The intent names flowc reports for events: [`WELCOME_INTENT`],
//! [`END_CONVERSATION_INTENT`], [`NO_INPUT_INTENT`], [`DTMF_INTENT`], [`FALLBACK_INTENT`].
//!
//! # Configure where transactions go
//!
//! [`Engine::with_sink`] / [`Engine::with_shared_sink`] take an [`AnalyticsSink`]: [`JsonLinesSink`],
//! [`MemorySink`] (bounded with [`MemorySink::with_capacity`], or [`MemorySink::unbounded`] by choice),
//! [`TeeSink`] (several at once), [`DiscardSink`]; a failure is a [`SinkError`]. An engine given no sink
//! discards its transactions, so its memory does not grow with its turns. With the `http` feature,
//! `WebhookSink` posts them to an Analytics Webhook (`WebhookConfig`, `WebhookEndpoint`, `WebhookStats`,
//! `WebhookError`; the module `webhook` adds the retry and sync policies and the replay of a spool).
//! [`Engine::with_release`] overrides the reported release, [`Engine::with_step_budget`] the runaway guard
//! ([`DEFAULT_STEP_BUDGET`]).
//!
//! # Serve over HTTP
//!
//! With the `server` feature, `server::Server` answers Parloa's dialoghook
//! (`POST /dialoghook?dialog=RELEASE&platform=phoneV2|textchatV2`) for one or several engines, generated or
//! interpreted (each a `server::ServedEngine`), with bearer tokens, JSON refusals, `/healthz`, Prometheus
//! `/metrics`, an idle sweeper and a graceful shutdown: `Server::run` (until SIGTERM or ctrl-c),
//! `Server::spawn` (a `server::Running` on a thread of its own, which ends in a `server::Stopped`) or
//! `Server::serve` on your own tokio runtime.
//!
//! # Store conversations
//!
//! A [`SessionStore`] keeps each session's [`Conversation`] (opaque: read it with
//! [`Conversation::state`], [`Conversation::vars`] and friends) and knows which sessions are idle
//! ([`SessionStore::expire_idle`] hands each out once); [`InMemoryStore`] by default, another with
//! [`Engine::with_store`]. A [`UserStore`] keeps user-lifetime variables per requester and release;
//! [`InMemoryUserStore`] by default, another with [`Engine::with_user_store`]. A store that can fail (a
//! shared one) says so through [`SessionStore::try_with_session`] with a [`StoreError`], which the engine
//! returns as [`EngineError::Store`]. With the `redis` feature, `RedisSessionStore` and `RedisUserStore`
//! (configured by a `RedisConfig`, the flow's variables read through a `VarsCodec`) keep them in Redis,
//! shared by several instances.
//!
//! # Call services
//!
//! A generated flow takes its own typed `Services` trait. Services called by name implement
//! [`DynamicServices`] (answering a [`ServiceReply`] or a [`ServiceError`]) and become a flow's services
//! through [`Dynamic`]; [`NoServices`] has none. A service sees the conversation's [`TurnContext`]. With the
//! `http` feature, `HttpServices` calls the [`HttpEndpoint`]s a flow declares.
//!
//! # Privacy
//!
//! Once a request of a conversation sets `isPrivacyEnabled`, the engine masks that conversation's
//! transactions; [`Redact`] says exactly what is masked (with [`MASK`]) and masks values of your own.
//!
//! # Deterministic tests
//!
//! [`Engine::deterministic`] fixes time and ids so the same requests give the same bytes: [`FixedClock`]
//! and [`SequentialIds`], or any [`Clock`] / [`IdSource`] through [`Engine::with_clock`] /
//! [`Engine::with_ids`] (in production [`SystemClock`] and [`ObjectIdSource`]; [`Mark`] is a clock's
//! elapsed-time mark). Timestamps: [`Iso8601Ms`], [`format_iso8601_ms`], [`parse_iso8601_ms`]. The `testing`
//! feature adds helpers for code that plays the platform's part (`testing::call_meta`).
//!
//! # Implement a flow (generated code and the interpreter)
//!
//! [`Flow`] is the contract between the turn loop and a flow, with what it exchanges with the engine:
//! [`FlowInfo`] (the static description: [`Reference`], [`StateInfo`], [`BlockInfo`], [`VariableInfo`],
//! [`Lifetime`]), [`IntentSamples`], [`StateIx`], [`BlockIx`], [`HandlerIx`], [`Step`], [`Outcome`],
//! [`ServiceResult`], [`Scope`], [`View`], [`TurnInput`], [`ContextField`], [`Said`]. [`include_flow!`]
//! includes the module `flowc::Builder` generated for a flow.
//!
//! # Not API
//!
//! `__private`, hidden from these docs, holds what generated code, the interpreter and the code generator
//! name by path (JSON writing, value semantics, intent dispatch and matching, patterns). It changes with
//! the generator in any release: do not name it.
//!
//! Dependencies: serde, serde_json (with `preserve_order`, for the request echo), foldhash and
//! `flowc-runtime-macros` (`include_flow!`, itself without dependencies); ureq only with the `http` feature;
//! axum, hyper, tokio, prometheus-client and subtle only with the `server` feature; redis and r2d2 only with
//! the `redis` feature.

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
#[cfg(feature = "redis")]
mod redis_store;
#[cfg(feature = "server")]
pub mod server;
mod services;
mod sink;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod transaction;
mod value;
mod version;
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
    DEFAULT_STEP_BUDGET, DTMF_INTENT, END_CONVERSATION_INTENT, Engine, EngineError, Expired,
    FALLBACK_INTENT, NO_INPUT_INTENT, Turn, TurnBuffer, TurnSummary, WELCOME_INTENT,
};
pub use flow::{
    BlockInfo, BlockIx, ContextField, Flow, FlowInfo, HandlerIx, Lifetime, Outcome, Reference,
    Said, Scope, ServiceResult, StateInfo, StateIx, Step, TurnContext, TurnInput, VariableInfo,
    View,
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
#[cfg(feature = "redis")]
pub use redis_store::{RedisConfig, RedisSessionStore, RedisUserStore, VarsCodec};
pub use services::{
    Dynamic, DynamicServices, HttpEndpoint, NoServices, ServiceError, ServiceReply,
};
pub use sink::{AnalyticsSink, DiscardSink, JsonLinesSink, MemorySink, SinkError, TeeSink};
pub use store::{InMemoryStore, InMemoryUserStore, SessionStore, StoreError, UserStore};
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
    pub use crate::version::{RUNTIME_VERSION, expect_runtime};
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
        BlockInfo, BlockIx, ContextField, Flow, FlowInfo, HandlerIx, Lifetime, Outcome, Reference,
        Scope, ServiceResult, StateInfo, StateIx, Step, TurnContext, VariableInfo, View,
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

/// Includes the module `flowc::Builder` generated into `OUT_DIR` for a flow, named by its `flow:` name or by
/// its file's stem (`include_flow!("parcel_tracking")`); another name is a compile error listing the flows.
pub use flowc_runtime_macros::include_flow;
