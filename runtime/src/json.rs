//! Writing JSON by hand, byte for byte what serde_json writes: strings are escaped by serde_json's own
//! escaper, so a hand-written transaction equals the serde serialisation of the same `Transaction`.

use crate::privacy::MASK;
use crate::transaction::StateRef;

/// Appends `"text"`, escaped.
#[inline(always)]
pub fn string(out: &mut Vec<u8>, text: &str) {
    // Most values need no escaping and are short. Short ones are quoted in a stack buffer while they are
    // checked and appended with one fixed-size copy; long ones are checked, then copied in one go.
    // Anything that needs escaping goes through serde_json's own escaper, so the bytes always equal
    // serde's.
    let bytes = text.as_bytes();
    if bytes.len() <= SHORT {
        let (quoted, lanes) = quote_short(bytes);
        if lanes == 0 {
            let start = out.len();
            // Appending the whole buffer and cutting the tail costs less than a copy of variable length.
            out.extend_from_slice(&quoted);
            out.truncate(start + bytes.len() + 2);
            return;
        }
    } else if !needs_escape(bytes) {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    escaped(out, text);
}

/// Strings up to this length are quoted in a stack buffer rather than copied by memcpy.
const SHORT: usize = 30;

/// `"bytes"` at the start of a buffer (`bytes` at most [`SHORT`] long), and the escape lanes of `bytes`:
/// zero when none needs escaping. Read as overlapping words: four of 8 bytes (at 0, 8, `min(n - 8, 16)` and
/// `n - 8`) above 16 bytes, two of 8 or 4 bytes (first and last) down to 4 bytes, single bytes below.
#[inline(always)]
fn quote_short(bytes: &[u8]) -> ([u8; SHORT + 2], u64) {
    let n = bytes.len();
    let mut quoted = [b'"'; SHORT + 2];
    // Fixed numbers of overlapping words, not a loop: LLVM turns a loop of word copies into a call to
    // memcpy and a vector loop, several times the cost for strings this short.
    let lanes = if n > 16 {
        let third = (n - 8).min(16);
        let (a, b, c, d) = (
            word(bytes, 0),
            word(bytes, 8),
            word(bytes, third),
            word(bytes, n - 8),
        );
        quoted[1..9].copy_from_slice(&a);
        quoted[9..17].copy_from_slice(&b);
        quoted[1 + third..9 + third].copy_from_slice(&c);
        quoted[n - 7..n + 1].copy_from_slice(&d);
        escape_lanes(u64::from_le_bytes(a))
            | escape_lanes(u64::from_le_bytes(b))
            | escape_lanes(u64::from_le_bytes(c))
            | escape_lanes(u64::from_le_bytes(d))
    } else if n >= 8 {
        let (low, high) = (word(bytes, 0), word(bytes, n - 8));
        quoted[1..9].copy_from_slice(&low);
        quoted[n - 7..n + 1].copy_from_slice(&high);
        escape_lanes(u64::from_le_bytes(low)) | escape_lanes(u64::from_le_bytes(high))
    } else if n >= 4 {
        let (low, high) = (half(bytes, 0), half(bytes, n - 4));
        quoted[1..5].copy_from_slice(&low);
        quoted[n - 3..n + 1].copy_from_slice(&high);
        escape_lanes(u64::from(u32::from_le_bytes(low)) | u64::from(u32::from_le_bytes(high)) << 32)
    } else if n > 0 {
        let (first, middle, last) = (bytes[0], bytes[n / 2], bytes[n - 1]);
        quoted[1] = first;
        quoted[1 + n / 2] = middle;
        quoted[n] = last;
        // Lanes 3..8 are spaces, which never need escaping.
        escape_lanes(
            u64::from(first) | u64::from(middle) << 8 | u64::from(last) << 16 | (ONES * 0x20) << 24,
        )
    } else {
        0
    };
    quoted[n + 1] = b'"';
    (quoted, lanes)
}

#[inline]
fn word(bytes: &[u8], at: usize) -> [u8; 8] {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[at..at + 8]);
    w
}

#[inline]
fn half(bytes: &[u8], at: usize) -> [u8; 4] {
    let mut w = [0u8; 4];
    w.copy_from_slice(&bytes[at..at + 4]);
    w
}

/// The rare path of [`string`], kept out of line so the common one stays small enough to inline.
#[cold]
#[inline(never)]
fn escaped(out: &mut Vec<u8>, text: &str) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(out, text);
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Nonzero when a byte lane of `x` holds a control character, `"` or `\\` (bytes of multi-byte UTF-8
/// characters are at least 0x80 and never flagged).
#[inline]
fn escape_lanes(x: u64) -> u64 {
    // Each term is nonzero exactly when some lane is below 0x20, or is zero after the xor.
    let control = x.wrapping_sub(ONES * 0x20) & !x;
    let q = x ^ (ONES * u64::from(b'"'));
    let quote = q.wrapping_sub(ONES) & !q;
    let b = x ^ (ONES * u64::from(b'\\'));
    let backslash = b.wrapping_sub(ONES) & !b;
    (control | quote | backslash) & HIGHS
}

/// True when a byte of `bytes` (more than eight of them) must be escaped in a JSON string: a control
/// character, `"` or `\\`. Eight bytes at a time; the last word may overlap the one before it.
#[inline]
fn needs_escape(bytes: &[u8]) -> bool {
    let n = bytes.len();
    let mut lanes = escape_lanes(u64::from_le_bytes(word(bytes, n - 8)));
    let mut at = 0;
    while at + 8 < n {
        lanes |= escape_lanes(u64::from_le_bytes(word(bytes, at)));
        at += 8;
    }
    lanes != 0
}

/// Appends `"text"`, or `"***"` when `mask` is set and the text is not empty (privacy, T… / DESIGN §5).
#[inline]
pub fn personal(out: &mut Vec<u8>, text: &str, mask: bool) {
    if mask && !text.is_empty() {
        string(out, MASK);
    } else {
        string(out, text);
    }
}

/// The two-digit decimal forms of 0 to 99, back to back.
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// The two digits of `value % 100`.
#[inline]
pub fn pair(value: u64) -> [u8; 2] {
    let i = (value % 100) as usize * 2;
    [PAIRS[i], PAIRS[i + 1]]
}

/// Appends `value` as at least `width` (up to 20) decimal digits, zero-padded (timestamps, sequential ids).
pub fn padded(out: &mut Vec<u8>, value: u64, width: usize) {
    let places = decimal_places(value).max(width.min(20));
    // The digits end at `places` in a buffer of '0's; appending all twenty bytes and cutting the tail
    // costs less than a copy of variable length.
    let mut bytes = [b'0'; 20];
    let mut end = places;
    let mut n = value;
    while n >= 100 {
        end -= 2;
        bytes[end..end + 2].copy_from_slice(&pair(n));
        n /= 100;
    }
    if n >= 10 {
        end -= 2;
        bytes[end..end + 2].copy_from_slice(&pair(n));
    } else {
        bytes[end - 1] = b'0' + n as u8;
    }
    let start = out.len();
    out.extend_from_slice(&bytes);
    out.truncate(start + places);
}

/// Number of decimal digits of `n`.
fn decimal_places(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |log| log as usize + 1)
}

/// Appends an unsigned number.
pub fn number(out: &mut Vec<u8>, n: u64) {
    padded(out, n, 1);
}

/// Appends `true` or `false`.
#[inline]
pub fn boolean(out: &mut Vec<u8>, b: bool) {
    // Two fixed-length copies: one slice of either length would be a call to memcpy.
    if b {
        out.extend_from_slice(b"true");
    } else {
        out.extend_from_slice(b"false");
    }
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

/// `{"instanceId":…,…}` of a call meta, present fields only, personal ones masked when `mask` is set.
pub fn call_meta(out: &mut Vec<u8>, meta: &crate::phone::CallMeta, mask: bool) {
    if !meta.received.is_plain() {
        // Unknown keys or another key order: echoed as received, through serde.
        if mask {
            let mut masked = meta.clone();
            crate::privacy::Redact::redact(&mut masked);
            let _ = serde_json::to_writer(&mut *out, &masked);
        } else {
            let _ = serde_json::to_writer(&mut *out, meta);
        }
        return;
    }
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
/// Returns where its callMeta object lies in `out`, so the response can copy it (`None` when a request
/// with unknown keys or its own key order went through serde whole).
pub fn phone_request(
    out: &mut Vec<u8>,
    request: &crate::phone::PhoneRequest,
) -> Option<(usize, usize)> {
    if !request.received.is_plain() {
        let _ = serde_json::to_writer(&mut *out, request);
        return None;
    }
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
                received,
            } if received.is_plain() => {
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
    Some(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_position_of_every_length_is_checked() {
        // The word-wise check reads short strings and tails as overlapping words: put each character
        // that needs escaping (and some that do not) at every position of strings up to 40 bytes.
        for len in 1..=40 {
            for at in 0..len {
                for special in ['"', '\\', '\u{0}', '\u{1f}', ' ', '\u{7f}', 'é', '€'] {
                    let text: String = (0..len)
                        .map(|i| if i == at { special } else { 'a' })
                        .collect();
                    let mut out = Vec::new();
                    string(&mut out, &text);
                    assert_eq!(out, serde_json::to_vec(&text).unwrap(), "{text:?}");
                }
            }
        }
    }

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
        for n in [0u64, 9, 10, 99, 100, 101, 999_999, 1_000_000] {
            let mut out = Vec::new();
            padded(&mut out, n, 6);
            assert_eq!(out, format!("{n:06}").into_bytes());
        }
        let s = StateRef::from_static("STATE.base", "Conversation \"start\"", "main");
        assert_eq!(
            state_fragment(&s).as_bytes(),
            serde_json::to_vec(&s).unwrap()
        );
    }
}
