//! Parloa Textchat V2 (`textchatV2`) request and response bodies, as in Parloa's published OpenAPI
//! document (see [`ChatRequest`] and [`ChatResponse`]).

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

/// The only interface version the spec defines.
pub const CHAT_API_VERSION: &str = "chat/v1";

/// A chat event: what the user did in this turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ChatEvent {
    /// `{"type":"launch"}`: start a conversation (the bot greets).
    Launch,
    /// `{"type":"message","text":…}`: the user wrote something.
    Message {
        /// The content of the text message.
        text: String,
    },
    /// `{"type":"quit"}`: the user left the conversation.
    Quit,
}

/// The value of a context item: a string, a number or a boolean.
#[derive(Debug, Clone, PartialEq)]
pub enum ContextValue {
    /// A string (the spec limits it to 1000 characters; not enforced here).
    String(String),
    /// A number, kept as sent.
    Number(Number),
    /// A boolean.
    Bool(bool),
}

impl ContextValue {
    /// The value as text: strings as they are, numbers and booleans as JSON.
    pub fn to_text(&self) -> String {
        match self {
            Self::String(s) => s.clone(),
            Self::Number(n) => n.to_string(),
            Self::Bool(b) => b.to_string(),
        }
    }
}

impl Serialize for ContextValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::String(s) => serializer.serialize_str(s),
            Self::Number(n) => n.serialize(serializer),
            Self::Bool(b) => serializer.serialize_bool(*b),
        }
    }
}

impl<'de> Deserialize<'de> for ContextValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl Visitor<'_> for ValueVisitor {
            type Value = ContextValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a context value (string, number or boolean)")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ContextValue, E> {
                Ok(ContextValue::Bool(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ContextValue, E> {
                Ok(ContextValue::Number(v.into()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ContextValue, E> {
                Ok(ContextValue::Number(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ContextValue, E> {
                Number::from_f64(v)
                    .map(ContextValue::Number)
                    .ok_or_else(|| E::custom("context value is not a finite number"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ContextValue, E> {
                Ok(ContextValue::String(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<ContextValue, E> {
                Ok(ContextValue::String(v))
            }
        }
        deserializer.deserialize_any(ValueVisitor)
    }
}

/// `TextchatV2ContextItem`: context passed over to the bot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContextItem {
    /// Name under which the bot sees the value.
    pub key: String,
    /// The value.
    pub value: ContextValue,
}

/// `TextchatV2RequestBody`: one chat turn sent to the bot.
///
/// Keys are written in the order of the OpenAPI document's examples: `apiVersion, requesterId, sessionId,
/// context, event`; optional fields are skipped when absent. Unknown request fields are ignored rather than
/// rejected (the spec says `additionalProperties: false`; being lenient on input costs nothing and keeps
/// old bots answering new clients).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatRequest {
    /// Interface version, `"chat/v1"`.
    pub api_version: String,
    /// Identifies the user (personal data).
    pub requester_id: String,
    /// Identifies the conversation; the bot keys its state by it.
    pub session_id: String,
    /// Context items (at most 100 per the spec; not enforced here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Vec<ContextItem>>,
    /// What happened.
    pub event: ChatEvent,
}

impl ChatRequest {
    /// A `chat/v1` request without context.
    pub fn new(
        requester_id: impl Into<String>,
        session_id: impl Into<String>,
        event: ChatEvent,
    ) -> Self {
        Self {
            api_version: CHAT_API_VERSION.to_owned(),
            requester_id: requester_id.into(),
            session_id: session_id.into(),
            context: None,
            event,
        }
    }

    /// The message text, for `message` events.
    pub fn text(&self) -> Option<&str> {
        match &self.event {
            ChatEvent::Message { text } => Some(text),
            ChatEvent::Launch | ChatEvent::Quit => None,
        }
    }
}

/// One image size of a card (`large` or `small`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardImageSource {
    /// Image URL (jpeg or png).
    pub url: String,
    /// Width, as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<String>,
    /// Height, as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<String>,
}

/// The image of a `cross_card` element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardImage {
    /// Alternative text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accessibility_text: Option<String>,
    /// Large rendition.
    pub large: CardImageSource,
    /// Small rendition.
    pub small: CardImageSource,
}

/// `TextchatV2ResponseItem`: one element of `responseElements`.
///
/// Serialized as `id, type, …` (the order of the spec's examples); `id` only
/// when present. Flows produce [`ResponseElement::Text`]; the other kinds are
/// here so any valid response reads back.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type")]
pub enum ResponseElement {
    /// `type: text`: a text message.
    #[serde(rename = "text")]
    Text {
        /// Element id.
        #[serde(default)]
        id: Option<String>,
        /// The text.
        content: String,
    },
    /// `type: payload`: a JSON object provided by the bot designer.
    #[serde(rename = "payload")]
    Payload {
        /// Element id (not in the schema, but in the spec's example).
        #[serde(default)]
        id: Option<String>,
        /// The payload object.
        content: Map<String, Value>,
    },
    /// `type: cross_card`: a generic card.
    #[serde(rename = "cross_card")]
    Card {
        /// Element id.
        #[serde(default)]
        id: Option<String>,
        /// Card title.
        #[serde(default)]
        title: Option<String>,
        /// Card subtitle.
        #[serde(default)]
        subtitle: Option<String>,
        /// Card text (required unless an image is present).
        #[serde(default)]
        content: Option<String>,
        /// Card image.
        #[serde(default)]
        image: Option<Box<CardImage>>,
    },
}

impl ResponseElement {
    /// A text element.
    pub fn text(id: impl Into<String>, content: impl Into<String>) -> Self {
        Self::Text {
            id: Some(id.into()),
            content: content.into(),
        }
    }

    /// The wire name of the element's `type`.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Text { .. } => "text",
            Self::Payload { .. } => "payload",
            Self::Card { .. } => "cross_card",
        }
    }
}

impl Serialize for ResponseElement {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self {
            Self::Text { id, content } => {
                if let Some(id) = id {
                    map.serialize_entry("id", id)?;
                }
                map.serialize_entry("type", self.kind())?;
                map.serialize_entry("content", content)?;
            }
            Self::Payload { id, content } => {
                if let Some(id) = id {
                    map.serialize_entry("id", id)?;
                }
                map.serialize_entry("type", self.kind())?;
                map.serialize_entry("content", content)?;
            }
            Self::Card {
                id,
                title,
                subtitle,
                content,
                image,
            } => {
                if let Some(id) = id {
                    map.serialize_entry("id", id)?;
                }
                map.serialize_entry("type", self.kind())?;
                if let Some(title) = title {
                    map.serialize_entry("title", title)?;
                }
                if let Some(subtitle) = subtitle {
                    map.serialize_entry("subtitle", subtitle)?;
                }
                if let Some(content) = content {
                    map.serialize_entry("content", content)?;
                }
                if let Some(image) = image {
                    map.serialize_entry("image", image)?;
                }
            }
        }
        map.end()
    }
}

/// `TextchatV2ResponseBody`: the bot's answer to one chat turn.
///
/// Keys are written in the order of the OpenAPI document's examples: `apiVersion, requesterId, sessionId,
/// releaseId, conversationId, transactionId, endConversation, responseElements`; optional fields are
/// skipped when absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatResponse {
    /// Interface version, `"chat/v1"`.
    pub api_version: String,
    /// The request's `requesterId`, echoed.
    pub requester_id: String,
    /// The request's `sessionId`, echoed.
    pub session_id: String,
    /// Release that produced the response.
    pub release_id: String,
    /// Id of the ongoing conversation (looks analytics up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
    /// Id of this interaction (deprecated in the spec, still sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// Whether the conversation ends after this response.
    pub end_conversation: bool,
    /// What the bot answers.
    pub response_elements: Vec<ResponseElement>,
}
