//! A few facts about the last turn, read without parsing its transaction (a server counts turns by them).

use super::TurnBuffer;
use super::turn::{By, Decided};
use crate::transaction::Handled;

/// How a turn went, in brief: what [`TurnBuffer::summary`] tells about the last turn played into it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TurnSummary {
    /// Who handled the turn: a state's handler ([`Handled::Locally`]), the Global block's
    /// ([`Handled::Globally`]), or nothing (`None`: unhandled input, a hang-up without an ending handler).
    pub handled: Option<Handled>,
    /// Entries of `meta.errors`.
    pub errors: u32,
    /// Entries of `meta.warnings`.
    pub warnings: u32,
    /// Whether the conversation ended with this turn.
    pub ended: bool,
}

impl TurnSummary {
    pub(super) fn of(decided: &Decided<'_>) -> Self {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        // `occurrences` counts pushes too, but a turn may have been given issues without it.
        TurnSummary {
            handled: match decided.by {
                By::Nothing => None,
                By::Global => Some(Handled::Globally),
                By::State(_) => Some(Handled::Locally),
            },
            errors: count(decided.meta.errors.affected_steps.len()),
            warnings: count(decided.meta.warnings.affected_steps.len()),
            ended: decided.ended,
        }
    }
}

impl TurnBuffer {
    /// How the last turn played into this buffer went.
    pub fn summary(&self) -> TurnSummary {
        self.summary
    }
}
