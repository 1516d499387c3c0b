//! A deterministic utterance matcher: the stand-in for NLU when a request carries text but no intent
//! (chat messages, the simulator).
//!
//! Rules, in order: the text equals a sample utterance (after lower-casing, dropping punctuation and
//! collapsing spaces) → that intent; the text equals an intent's name (case-insensitive) → that intent;
//! otherwise the intent with the best word overlap (Jaccard index of word sets) with one of its samples, if
//! that overlap is at least one half. Ties go to the intent declared first.
//!
//! The matcher does not extract slots: a placeholder such as `{number}` in a sample is an ordinary word to
//! it, so the engine and conversation scripts behave the same whatever the samples say. Turns that carry
//! slot values are sent as intents with slots (`intent:` + `slots:` in scripts), as Parloa's NLU would send
//! them; only the simulator of `flowc run` fills slots from placeholders, before it sends the request
//! (`flowc::utterance`).

use std::borrow::Cow;

use crate::transaction::CowStr;

/// An intent and its sample utterances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentSamples {
    /// The intent's name.
    pub name: CowStr,
    /// Sample utterances.
    pub utterances: Cow<'static, [CowStr]>,
}

fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

fn overlap(a: &str, b: &str) -> f64 {
    let a: Vec<&str> = a.split(' ').filter(|w| !w.is_empty()).collect();
    let b: Vec<&str> = b.split(' ').filter(|w| !w.is_empty()).collect();
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let common = a.iter().filter(|w| b.contains(w)).count();
    let union = a.len() + b.iter().filter(|w| !a.contains(w)).count();
    common as f64 / union as f64
}

/// The intent `text` means, if any.
pub fn match_intent<'a>(text: &str, intents: &'a [IntentSamples]) -> Option<&'a str> {
    let text = normalize(text);
    if text.is_empty() {
        return None;
    }
    for intent in intents {
        if intent.utterances.iter().any(|u| normalize(u) == text) {
            return Some(&intent.name);
        }
    }
    for intent in intents {
        if normalize(&intent.name) == text {
            return Some(&intent.name);
        }
    }
    let mut best: Option<(&str, f64)> = None;
    for intent in intents {
        for u in intent.utterances.iter() {
            let score = overlap(&text, &normalize(u));
            if score >= 0.5 && best.is_none_or(|(_, b)| score > b) {
                best = Some((&intent.name, score));
            }
        }
    }
    best.map(|(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intents() -> Vec<IntentSamples> {
        let make = |name: &'static str, us: &[&'static str]| IntentSamples {
            name: Cow::Borrowed(name),
            utterances: Cow::Owned(us.iter().map(|u| Cow::Borrowed(*u)).collect()),
        };
        vec![
            make("TrackParcel", &["where is my parcel", "track my package"]),
            make("Agent", &["agent", "a human please"]),
        ]
    }

    #[test]
    fn exact_name_and_overlap() {
        let i = intents();
        assert_eq!(match_intent("Where is my parcel?", &i), Some("TrackParcel"));
        assert_eq!(match_intent("agent", &i), Some("Agent"));
        assert_eq!(match_intent("trackparcel", &i), Some("TrackParcel"));
        assert_eq!(
            match_intent("where is my parcel now", &i),
            Some("TrackParcel")
        );
        assert_eq!(match_intent("the weather", &i), None);
        assert_eq!(match_intent("", &i), None);
    }
}
