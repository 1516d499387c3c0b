//! One release behind the server: any engine, generated or interpreted, as a trait object.

use std::time::Duration;

use crate::chat::ChatRequest;
use crate::conversation::Conversation;
use crate::engine::{Engine, EngineError, Expired, TurnBuffer};
use crate::flow::Flow;
use crate::phone::PhoneRequest;
use crate::sink::SinkError;
use crate::store::{SessionStore, UserStore};
use crate::transaction::Platform;

/// What the server needs of an engine, whatever its flow, store and services: one release it serves.
/// Implemented for every [`Engine`]; a server holds them as `Arc<dyn ServedEngine>`.
pub trait ServedEngine: Send + Sync + 'static {
    /// The releaseId the engine reports (the `dialog` query parameter that reaches it).
    fn release(&self) -> &str;

    /// Whether the engine's flow runs on `platform`.
    fn serves(&self, platform: Platform) -> bool;

    /// Plays one request of `platform`, given as the JSON body the platform sent, into `buffer` (see
    /// [`Engine::play_phone`]). Blocks while the flow's services run.
    fn play_json(
        &self,
        platform: Platform,
        body: &[u8],
        buffer: &mut TurnBuffer,
    ) -> Result<(), EngineError>;

    /// Ends and forgets conversations idle for `idle` (see [`Engine::expire_idle`]).
    fn expire_idle(&self, idle: Duration, limit: usize, buffer: &mut TurnBuffer) -> Expired;

    /// Sessions the engine's store holds.
    fn sessions(&self) -> usize;

    /// Flushes the engine's sink.
    fn flush(&self) -> Result<(), SinkError>;
}

impl<F, St, Us> ServedEngine for Engine<F, St, Us>
where
    F: Flow + 'static,
    St: SessionStore<Conversation<F::Vars>> + 'static,
    Us: UserStore<Vec<String>> + 'static,
{
    fn release(&self) -> &str {
        Engine::release(self)
    }

    fn serves(&self, platform: Platform) -> bool {
        let info = self.flow().info();
        match platform {
            Platform::PhoneV2 => info.phone,
            Platform::TextchatV2 => info.chat,
        }
    }

    fn play_json(
        &self,
        platform: Platform,
        body: &[u8],
        buffer: &mut TurnBuffer,
    ) -> Result<(), EngineError> {
        match platform {
            Platform::PhoneV2 => {
                let request: PhoneRequest =
                    serde_json::from_slice(body).map_err(EngineError::Malformed)?;
                self.play_phone(&request, buffer)
            }
            Platform::TextchatV2 => {
                let request: ChatRequest =
                    serde_json::from_slice(body).map_err(EngineError::Malformed)?;
                self.play_chat(&request, buffer)
            }
        }
    }

    fn expire_idle(&self, idle: Duration, limit: usize, buffer: &mut TurnBuffer) -> Expired {
        Engine::expire_idle(self, idle, limit, buffer)
    }

    fn sessions(&self) -> usize {
        self.store().len()
    }

    fn flush(&self) -> Result<(), SinkError> {
        Engine::flush(self)
    }
}
