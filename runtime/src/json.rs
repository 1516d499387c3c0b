//! Writing JSON by hand, byte for byte what serde_json writes: strings are escaped by serde_json's own
//! escaper, so a hand-written transaction equals the serde serialisation of the same `Transaction`.

use crate::privacy::MASK;
use crate::transaction::StateRef;

/// Appends `"text"`, escaped.
pub fn string(out: &mut Vec<u8>, text: &str) {
    // Most values need no escaping: copy them in one go. Anything else goes through serde_json's own
    // escaper, so the bytes always equal a serde serialisation. Writing into a Vec cannot fail.
    if !needs_escape(text.as_bytes()) {
        out.reserve(text.len() + 2);
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(out, text);
    }
}

/// True when a byte of `bytes` must be escaped in a JSON string: a control character, `"` or `\\`.
/// Checks eight bytes at a time.
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS != 0;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        // A byte below 0x20 has none of the bits 0x20, 0x40, 0x80 set.
        let control = x.wrapping_sub(ONES * 0x20) & !x & HIGHS != 0;
        if control
            || has_zero(x ^ (ONES * u64::from(b'"')))
            || has_zero(x ^ (ONES * u64::from(b'\\')))
        {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// Appends `"text"`, or `"***"` when `mask` is set and the text is not empty (privacy, T… / DESIGN §5).
pub fn personal(out: &mut Vec<u8>, text: &str, mask: bool) {
    if mask && !text.is_empty() {
        string(out, MASK);
    } else {
        string(out, text);
    }
}

/// Appends a key and its colon: `"key":`.
pub fn key(out: &mut Vec<u8>, key: &str) {
    string(out, key);
    out.push(b':');
}

/// Appends `value` (below 100) as two digits.
pub fn two_digits(out: &mut Vec<u8>, value: u64) {
    let v = (value % 100) as u8;
    out.push(b'0' + v / 10);
    out.push(b'0' + v % 10);
}

/// Appends `value` as exactly `width` decimal digits, zero-padded (timestamps, sequential ids).
pub fn padded(out: &mut Vec<u8>, value: u64, width: usize) {
    let digits = itoa_buffer(value);
    let len = 20 - digits.start;
    for _ in len..width {
        out.push(b'0');
    }
    out.extend_from_slice(&digits.bytes[digits.start..]);
}

/// Appends an unsigned number.
pub fn number(out: &mut Vec<u8>, n: u64) {
    let mut buffer = itoa_buffer(n);
    out.extend_from_slice(buffer.as_bytes_mut());
}

/// Appends `true` or `false`.
pub fn boolean(out: &mut Vec<u8>, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

/// `{"id":…,"name":…,"dialogName":…}` of a state.
pub fn state(out: &mut Vec<u8>, state: &StateRef) {
    out.extend_from_slice(b"{\"id\":");
    string(out, &state.id);
    out.extend_from_slice(b",\"name\":");
    string(out, &state.name);
    out.extend_from_slice(b",\"dialogName\":");
    string(out, &state.dialog_name);
    out.push(b'}');
}

/// The same as [`state`], as a `String`, for flows that keep the fragment.
pub fn state_fragment(state_ref: &StateRef) -> String {
    let mut out = Vec::with_capacity(96);
    state(&mut out, state_ref);
    String::from_utf8(out).unwrap_or_default()
}

/// `{"id":"name","name":"name","value":` — the static start of a variable entry; the value and `}` follow.
pub fn variable_prefix(name: &str) -> String {
    let mut out = Vec::with_capacity(40 + 2 * name.len());
    out.extend_from_slice(b"{\"id\":");
    string(&mut out, name);
    out.extend_from_slice(b",\"name\":");
    string(&mut out, name);
    out.extend_from_slice(b",\"value\":");
    String::from_utf8(out).unwrap_or_default()
}

/// Decimal digits of `n` without allocating.
struct Digits {
    bytes: [u8; 20],
    start: usize,
}

impl Digits {
    fn as_bytes_mut(&mut self) -> &[u8] {
        &self.bytes[self.start..]
    }
}

fn itoa_buffer(mut n: u64) -> Digits {
    let mut bytes = [0u8; 20];
    let mut start = 20;
    loop {
        start -= 1;
        bytes[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    Digits { bytes, start }
}

/// `{"instanceId":…,…}` of a call meta, present fields only, personal ones masked when `mask` is set.
pub fn call_meta(out: &mut Vec<u8>, meta: &crate::phone::CallMeta, mask: bool) {
    // Written field by field (no closures, no tables): this runs twice per phone turn.
    let start = out.len();
    if let Some(v) = &meta.instance_id {
        out.extend_from_slice(b",\"instanceId\":");
        string(out, v);
    }
    if let Some(v) = &meta.call_id {
        out.extend_from_slice(b",\"callId\":");
        string(out, v);
    }
    if let Some(v) = &meta.caller_id {
        out.extend_from_slice(b",\"callerId\":");
        personal(out, v, mask);
    }
    if let Some(v) = &meta.session_id {
        out.extend_from_slice(b",\"sessionId\":");
        personal(out, v, mask);
    }
    if let Some(v) = &meta.customer_id {
        out.extend_from_slice(b",\"customerId\":");
        string(out, v);
    }
    if let Some(v) = meta.production {
        out.extend_from_slice(b",\"production\":");
        boolean(out, v);
    }
    if let Some(v) = meta.is_privacy_enabled {
        out.extend_from_slice(b",\"isPrivacyEnabled\":");
        boolean(out, v);
    }
    // The first field was written with a leading comma: make it the opening brace.
    match out.get_mut(start) {
        Some(first) => *first = b'{',
        None => out.push(b'{'),
    }
    out.push(b'}');
}

/// A phoneV2 request as serde writes it (unmasked): the common parts by hand, the rare ones through serde.
/// Returns where its callMeta object lies in `out`, so the response can copy it.
pub fn phone_request(out: &mut Vec<u8>, request: &crate::phone::PhoneRequest) -> (usize, usize) {
    out.extend_from_slice(b"{\"callMeta\":");
    let meta_start = out.len();
    call_meta(out, &request.call_meta, false);
    let meta = (meta_start, out.len());
    if let Some(event) = request.event {
        out.extend_from_slice(b",\"event\":");
        string(out, event.as_str());
    }
    if let Some(text) = &request.text {
        out.extend_from_slice(b",\"text\":");
        string(out, text);
    }
    if let Some(intent) = &request.intent {
        out.extend_from_slice(b",\"intent\":");
        match intent {
            crate::phone::IntentGuess {
                id: None,
                name,
                confidence: None,
            } => {
                out.extend_from_slice(b"{\"name\":");
                string(out, name);
                out.push(b'}');
            }
            other => {
                let _ = serde_json::to_writer(&mut *out, other);
            }
        }
    }
    if let Some(ranking) = &request.intent_ranking {
        out.extend_from_slice(b",\"intentRanking\":");
        let _ = serde_json::to_writer(&mut *out, ranking);
    }
    if let Some(slots) = &request.slots {
        out.extend_from_slice(b",\"slots\":");
        let _ = serde_json::to_writer(&mut *out, slots);
    }
    if let Some(digits) = &request.collected_dtmf {
        out.extend_from_slice(b",\"collectedDtmf\":");
        string(out, digits);
    }
    out.push(b'}');
    meta
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_numbers_match_serde() {
        for text in [
            "plain",
            "quote \" and \\ backslash",
            "tab\tnew\nline\u{1}",
            "ünïcødé €",
            "",
        ] {
            let mut out = Vec::new();
            string(&mut out, text);
            assert_eq!(out, serde_json::to_vec(text).unwrap());
        }
        for n in [0u64, 7, 10, 12345, u64::MAX] {
            let mut out = Vec::new();
            number(&mut out, n);
            assert_eq!(out, serde_json::to_vec(&n).unwrap());
        }
        let s = StateRef::from_static("STATE.base", "Conversation \"start\"", "main");
        assert_eq!(
            state_fragment(&s).as_bytes(),
            serde_json::to_vec(&s).unwrap()
        );
    }
}
