//! Writing JSON by hand, byte for byte what serde_json writes: strings are escaped by serde_json's own
//! escaper, so a hand-written transaction equals the serde serialisation of the same `Transaction`.

use crate::privacy::MASK;
use crate::transaction::StateRef;

/// Appends `"text"`, escaped.
pub fn string(out: &mut Vec<u8>, text: &str) {
    // serde_json's own escaping, so the bytes equal a serde serialisation. Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(out, text);
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
