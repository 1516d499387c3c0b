//! The `phoneV2` response and its call control messages.

use serde::{Deserialize, Serialize};

use super::CallMeta;

/// `customSTT`: which speech-to-text model the platform should use next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomStt {
    /// Model kind, e.g. `"prebuild"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Model id, e.g. `"generic"`.
    pub id: String,
}

/// One SIP header of a `SIP_REFER`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SipHeader {
    /// Header name, e.g. `User-to-User`.
    pub name: String,
    /// Header value.
    pub value: String,
}

/// A call control instruction in `callControlMessages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum CallControlMessage {
    /// Transfer the call: `{"type":"SIP_REFER","referTo":…,"sipHeaders":[…]}`.
    #[serde(rename = "SIP_REFER", rename_all = "camelCase")]
    SipRefer {
        /// SIP URI to transfer to.
        refer_to: String,
        /// Headers sent with the REFER.
        #[serde(default)]
        sip_headers: Vec<SipHeader>,
    },
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A `phoneV2` webhook response.
///
/// Serialized in the order `callControlMessages, continueListening, prompt,
/// reprompt, callMeta, customSTT, endTalk`; `customSTT` only when set and
/// `endTalk` only when `true`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneResponse {
    /// Call control instructions (transfer).
    #[serde(default)]
    pub call_control_messages: Vec<CallControlMessage>,
    /// Whether the platform should keep listening while the prompt plays.
    #[serde(default)]
    pub continue_listening: bool,
    /// What the bot says (text or SSML).
    #[serde(default)]
    pub prompt: String,
    /// What the bot says when the caller stays silent.
    #[serde(default)]
    pub reprompt: String,
    /// The request's call metadata, echoed.
    #[serde(default)]
    pub call_meta: CallMeta,
    /// Speech-to-text model for the next turn.
    #[serde(rename = "customSTT", default, skip_serializing_if = "Option::is_none")]
    pub custom_stt: Option<CustomStt>,
    /// The bot ends the call after the prompt (written only when `true`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub end_talk: bool,
}
