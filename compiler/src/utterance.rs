//! Understanding typed text for the simulator: the intent, as the runtime's matcher finds it, and the slot
//! values that the `{placeholders}` of the intent's sample utterances stand for (`{size} please` + `large
//! please` → `size=large`).
//!
//! This stands in for Parloa's NLU only in `flowc run`. The engine's own matcher (chat messages, phone text
//! without an intent) fills no slots, so conversation scripts and generated bots behave as before.

use flowc_runtime::__private::matcher::match_intent;
use flowc_runtime::IntentSamples;

/// Texts longer than this many words are not searched for placeholders: a typed line is short, and the
/// search costs the square of the words for each sample.
pub const MAX_WORDS: usize = 64;

/// What a typed text means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Understood<'a> {
    /// The intent's name.
    pub intent: &'a str,
    /// The sample utterance whose placeholders gave the slots, if any did.
    pub sample: Option<&'a str>,
    /// Slot values by entity, in the order of the sample's placeholders.
    pub slots: Vec<(String, String)>,
}

/// The intent `text` means and the slots its samples fill. The matcher chooses the intent when it can (a
/// sample or the name typed exactly, or a sample with at least half its words); the best sample of that
/// intent that fits the whole text fills the slots. When the matcher finds nothing, a sample with
/// placeholders and at least one literal word that fits the whole text chooses the intent. A sample made
/// only of placeholders (`{name}`) fits any text, so it fills slots but never chooses an intent.
pub fn understand<'a>(text: &str, intents: &'a [IntentSamples]) -> Option<Understood<'a>> {
    let words = Words::of(text)?;
    if let Some(name) = match_intent(text, intents) {
        let intent = intents.iter().find(|i| i.name == name)?;
        return Some(
            best_fill(&words, std::slice::from_ref(intent), 0).unwrap_or(Understood {
                intent: &intent.name,
                sample: None,
                slots: Vec::new(),
            }),
        );
    }
    best_fill(&words, intents, 1)
}

/// Intents with a sample made only of placeholders: typed text never chooses them by itself.
pub fn placeholder_only(intents: &[IntentSamples]) -> Vec<(&str, &str)> {
    intents
        .iter()
        .flat_map(|i| i.utterances.iter().map(move |u| (&*i.name, &**u)))
        .filter(|(_, u)| {
            let pattern = pattern(u);
            !pattern.is_empty() && pattern.iter().all(|p| matches!(p, Piece::Slot(_)))
        })
        .collect()
}

/// The sample with placeholders that fits `words` with the most literal words (at least `min_literals`);
/// ties go to the intent and sample declared first.
fn best_fill<'a>(
    words: &Words,
    intents: &'a [IntentSamples],
    min_literals: usize,
) -> Option<Understood<'a>> {
    let mut best: Option<(usize, Understood<'a>)> = None;
    for intent in intents {
        for sample in intent.utterances.iter() {
            let pattern = pattern(sample);
            let literals = pattern
                .iter()
                .filter(|p| matches!(p, Piece::Word(_)))
                .count();
            if literals < min_literals || literals == pattern.len() {
                continue;
            }
            if best.as_ref().is_some_and(|(l, _)| *l >= literals) {
                continue;
            }
            if let Some(slots) = fill(&pattern, words) {
                let understood = Understood {
                    intent: &intent.name,
                    sample: Some(sample),
                    slots,
                };
                best = Some((literals, understood));
            }
        }
    }
    best.map(|(_, understood)| understood)
}

/// One piece of a sample: a word to match (normalized) or a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Word(String),
    Slot(String),
}

/// Punctuation around a word or a placeholder: `{size},` is still the placeholder `size`.
fn edge(c: char) -> bool {
    !(c.is_alphanumeric() || c == '{' || c == '}' || c == '_')
}

fn normalize(word: &str) -> String {
    word.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn pattern(sample: &str) -> Vec<Piece> {
    sample
        .split_whitespace()
        .filter_map(|token| {
            let bare = token.trim_matches(edge);
            let slot = bare
                .strip_prefix('{')
                .and_then(|s| s.strip_suffix('}'))
                .filter(|s| crate::parse::is_identifier(s));
            match slot {
                Some(name) => Some(Piece::Slot(name.to_string())),
                None => {
                    Some(Piece::Word(normalize(token))).filter(|p| *p != Piece::Word(String::new()))
                }
            }
        })
        .collect()
}

/// The words of a typed text: as typed (for slot values) and normalized (for comparing).
struct Words<'t> {
    typed: Vec<&'t str>,
    normal: Vec<String>,
}

impl<'t> Words<'t> {
    fn of(text: &'t str) -> Option<Self> {
        let typed: Vec<&str> = text
            .split_whitespace()
            .filter(|w| !normalize(w).is_empty())
            .collect();
        if typed.is_empty() || typed.len() > MAX_WORDS {
            return None;
        }
        let normal = typed.iter().map(|w| normalize(w)).collect();
        Some(Words { typed, normal })
    }
}

/// Fits the whole text to `pattern`; each placeholder takes one or more words, the earlier ones as few as
/// possible. Failed (piece, word) positions are remembered, so the search is polynomial.
fn fill(pattern: &[Piece], words: &Words) -> Option<Vec<(String, String)>> {
    let width = words.typed.len() + 1;
    let mut failed = vec![false; (pattern.len() + 1) * width];
    let mut slots = Vec::new();
    fits(pattern, words, 0, 0, &mut failed, &mut slots).then_some(slots)
}

fn fits(
    pattern: &[Piece],
    words: &Words,
    piece: usize,
    word: usize,
    failed: &mut [bool],
    slots: &mut Vec<(String, String)>,
) -> bool {
    let n = words.typed.len();
    let at = piece * (n + 1) + word;
    if failed[at] {
        return false;
    }
    let ok = match pattern.get(piece) {
        None => word == n,
        Some(Piece::Word(w)) => {
            word < n
                && words.normal[word] == *w
                && fits(pattern, words, piece + 1, word + 1, failed, slots)
        }
        Some(Piece::Slot(name)) => (word + 1..=n).any(|end| {
            let value = words.typed[word..end]
                .join(" ")
                .trim_matches(|c: char| ".,!?;:\"'".contains(c))
                .to_string();
            if value.is_empty() {
                return false;
            }
            let mark = slots.len();
            if !slots.iter().any(|(n, _)| n == name) {
                slots.push((name.clone(), value));
            }
            if fits(pattern, words, piece + 1, end, failed, slots) {
                return true;
            }
            slots.truncate(mark);
            false
        }),
    };
    if !ok {
        failed[at] = true;
    }
    ok
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    fn intents(list: &[(&'static str, &[&'static str])]) -> Vec<IntentSamples> {
        list.iter()
            .map(|(name, samples)| IntentSamples {
                name: Cow::Borrowed(*name),
                utterances: Cow::Owned(samples.iter().map(|s| Cow::Borrowed(*s)).collect()),
            })
            .collect()
    }

    fn slots<'u>(u: &'u Understood<'_>) -> Vec<(&'u str, &'u str)> {
        u.slots
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn a_placeholder_fills_its_slot() {
        let i = intents(&[("OrderPizza", &["I want a pizza", "{size} please"])]);
        let u = understand("large please", &i).unwrap();
        assert_eq!(u.intent, "OrderPizza");
        assert_eq!(u.sample, Some("{size} please"));
        assert_eq!(slots(&u), [("size", "large")]);
        // Several words, case and punctuation as typed, the sentence's full stop dropped.
        let u = understand("Extra Large, please.", &i).unwrap();
        assert_eq!(slots(&u), [("size", "Extra Large")]);
        // A plain sample still matches without slots.
        let u = understand("I want a pizza", &i).unwrap();
        assert_eq!((u.sample, u.slots.len()), (None, 0));
    }

    #[test]
    fn the_matchers_intent_takes_slots_from_its_own_samples() {
        let i = intents(&[
            ("TrackParcel", &["where is my parcel"]),
            (
                "ProvideNumber",
                &["it is {number}", "the number is {number}", "{number}"],
            ),
        ]);
        // The matcher picks ProvideNumber by word overlap; the most literal sample that fits fills the slot.
        let u = understand("the number is 12345678", &i).unwrap();
        assert_eq!(u.intent, "ProvideNumber");
        assert_eq!(u.sample, Some("the number is {number}"));
        assert_eq!(slots(&u), [("number", "12345678")]);
        // A sample of placeholders only never chooses an intent: it would match anything.
        assert_eq!(understand("12345678", &i), None);
        assert_eq!(placeholder_only(&i), [("ProvideNumber", "{number}")]);
    }

    #[test]
    fn several_placeholders_and_no_fit() {
        let i = intents(&[("Book", &["from {from} to {to}", "book {what}"])]);
        let u = understand("from New York to Los Angeles", &i).unwrap();
        assert_eq!(slots(&u), [("from", "New York"), ("to", "Los Angeles")]);
        assert_eq!(understand("to Berlin", &i), None);
        assert_eq!(understand("", &i), None);
        assert_eq!(understand("!!! ...", &i), None);
    }

    #[test]
    fn long_texts_are_not_searched() {
        let i = intents(&[("Say", &["say {a} and {b} and {c} end"])]);
        let long = format!("say {}end", "and ".repeat(MAX_WORDS * 10));
        assert_eq!(understand(&long, &i), None);
        // The longest searched text with the most ways to split it and no fit still ends at once: failed
        // positions are remembered (without that, this is billions of splits).
        // (The matcher still picks the intent by word overlap; no sample fits, so no slot is filled.)
        let text = format!("say {}", "and ".repeat(MAX_WORDS - 1));
        let u = understand(&text, &i).unwrap();
        assert_eq!((u.sample, u.slots.len()), (None, 0));
        let text = format!("say {}end", "and ".repeat(MAX_WORDS - 2));
        assert!(understand(&text, &i).is_some());
    }
}
