//! Helpers for tests and simulators that build requests by hand (feature `testing`).
//!
//! The platform sends a `callMeta` with every phoneV2 request; an application only reads it. Code that plays
//! the platform's part (tests, the simulator, conversation scripts) builds one here instead of spelling out
//! every field. Deterministic clocks and ids are not here: they are ordinary API ([`FixedClock`],
//! [`SequentialIds`], [`Engine::deterministic`]).
//!
//! [`FixedClock`]: crate::FixedClock
//! [`SequentialIds`]: crate::SequentialIds
//! [`Engine::deterministic`]: crate::Engine::deterministic

use crate::phone::CallMeta;

/// A test call's `callMeta`: `session` as its call and session id, `caller` as the caller's number, not
/// production, privacy off.
pub fn call_meta(session: &str, caller: &str) -> CallMeta {
    CallMeta {
        instance_id: None,
        call_id: Some(session.to_string()),
        caller_id: Some(caller.to_string()),
        session_id: Some(session.to_string()),
        customer_id: None,
        production: Some(false),
        is_privacy_enabled: Some(false),
        received: Default::default(),
    }
}
