//! What expressions mean at run time. Every value is a string; these helpers are the one definition of
//! comparison, truth and the built-in functions, used by the interpreter and by generated code alike.

use std::cmp::Ordering;

use crate::pattern::Pattern;

/// How two values compare: numerically when both parse as numbers, else as strings.
#[inline]
pub fn compare(a: &str, b: &str) -> Ordering {
    // Small whole numbers, by far the common case, compare without float parsing (same result).
    if let (Some(x), Some(y)) = (small_integer(a), small_integer(b)) {
        return x.cmp(&y);
    }
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.cmp(b),
    }
}

/// A plain decimal integer of at most 15 digits (exact as an f64, so comparing it as an integer agrees with
/// comparing it as a float).
#[inline]
fn small_integer(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        all => (false, all),
    };
    if digits.is_empty() || digits.len() > 15 {
        return None;
    }
    // One pass: check and accumulate each digit.
    let mut value = 0i64;
    for &b in digits {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value * 10 + i64::from(digit);
    }
    Some(if negative { -value } else { value })
}

fn number(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A value used as a condition: false for `""`, `"false"` and `"0"`, true otherwise.
pub fn truthy(value: &str) -> bool {
    !matches!(value.trim(), "" | "false" | "0")
}

/// `a == b` (generated code's short form of [`compare`]).
#[inline]
pub fn eq(a: &str, b: &str) -> bool {
    compare(a, b) == Ordering::Equal
}

/// `a != b`.
#[inline]
pub fn ne(a: &str, b: &str) -> bool {
    compare(a, b) != Ordering::Equal
}

/// `a < b`.
#[inline]
pub fn lt(a: &str, b: &str) -> bool {
    compare(a, b) == Ordering::Less
}

/// `a <= b`.
#[inline]
pub fn le(a: &str, b: &str) -> bool {
    compare(a, b) != Ordering::Greater
}

/// `a > b`.
#[inline]
pub fn gt(a: &str, b: &str) -> bool {
    compare(a, b) == Ordering::Greater
}

/// `a >= b`.
#[inline]
pub fn ge(a: &str, b: &str) -> bool {
    compare(a, b) != Ordering::Less
}

/// Replaces `target` with `value`, reusing its buffer.
pub fn set(target: &mut String, value: &str) {
    target.clear();
    target.push_str(value);
}

/// The text of a boolean result.
pub fn bool_text(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// `empty(x)`: `x` is empty or only whitespace (Unicode White_Space, as `str::trim`). A value of blanks
/// carries nothing a bot can use (a blank transcription, a padded service field), so it counts as empty.
#[inline]
pub fn is_empty(value: &str) -> bool {
    match value.as_bytes().first() {
        None => true,
        // Printable ASCII is never whitespace: no need to trim (the common case of a filled value).
        Some(&b) if b > b' ' && b < 0x80 => false,
        _ => value.trim().is_empty(),
    }
}

/// `contains(haystack, needle)`: `needle` occurs in `haystack` once both are lowercased (Unicode
/// `to_lowercase`), so case never matters (`ß` and `ss` still differ); an empty needle occurs everywhere.
pub fn contains(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// `matches(x, 'pattern')`: the whole of `value` matches. An invalid pattern (rejected at compile time)
/// never matches.
pub fn matches(value: &str, pattern: &Pattern) -> bool {
    pattern.is_match(value)
}

/// Appends `value` to `out`, XML-escaped (`&`, `<`, `>`, `"`, `'`) when `ssml` is set: a value filled into a
/// prompt on a phone turn (T12), so that it cannot inject markup.
#[inline]
pub fn push_value(out: &mut String, value: &str, ssml: bool) {
    // Most values hold none of the five: one scan, then one copy.
    if !ssml
        || !value
            .bytes()
            .any(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\''))
    {
        out.push_str(value);
        return;
    }
    push_escaped(out, value);
}

/// The rest of [`push_value`], out of line: runs without a special character are copied whole; the five are
/// ASCII, so every cut is a char boundary.
fn push_escaped(out: &mut String, value: &str) {
    let mut copied = 0;
    for (i, byte) in value.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&apos;",
            _ => continue,
        };
        out.push_str(value.get(copied..i).unwrap_or_default());
        out.push_str(entity);
        copied = i + 1;
    }
    out.push_str(value.get(copied..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_as_numbers() {
        assert_eq!(compare("9", "10"), Ordering::Less);
        assert_eq!(compare("b", "a"), Ordering::Greater);
        assert!(eq("08", "8"));
        assert!(!eq("", "0"));
        assert!(eq("-7", "-7.0") && lt("-8", "-7") && gt("1e3", "999"));
        assert_eq!(compare("12a", "12"), Ordering::Greater);
    }

    #[test]
    fn empty_means_no_text_or_only_whitespace() {
        for (text, empty) in [
            ("", true),
            (" \t", true),
            ("\r\n", true),
            ("\u{b}", true),
            ("\u{a0}", true),
            ("\u{3000}", true),
            ("x", false),
            (" x", false),
            ("é", false),
            ("0", false),
            // Not White_Space: a zero-width space is text as far as `empty` goes.
            ("\u{200b}", false),
        ] {
            assert_eq!(is_empty(text), empty, "{text:?}");
        }
    }

    #[test]
    fn contains_ignores_case() {
        for (haystack, needle, found) in [
            ("Tooth PAIN", "pain", true),
            ("tooth pain", "PAIN", true),
            ("GRÜSSE", "grü", true),
            ("Ärger", "ÄR", true),
            ("anna@example.com", "@", true),
            ("x", "", true),
            ("", "", true),
            ("", "a", false),
            ("pain", "pains", false),
            ("Straße", "STRASSE", false),
        ] {
            assert_eq!(contains(haystack, needle), found, "{haystack:?} {needle:?}");
        }
    }

    #[test]
    fn truth_and_escaping() {
        assert!(!truthy("") && !truthy("false") && truthy("yes"));
        let mut out = String::new();
        push_value(&mut out, "Tom & <Jerry>", true);
        assert_eq!(out, "Tom &amp; &lt;Jerry&gt;");
        out.clear();
        push_value(&mut out, "\"Zoë's\" café", true);
        assert_eq!(
            out, "&quot;Zoë&apos;s&quot; café",
            "multi-byte text around the cuts survives"
        );
        for (value, escaped) in [
            ("Zoë", "Zoë"),
            ("O'Brien", "O&apos;Brien"),
            ("1 > 0", "1 &gt; 0"),
        ] {
            out.clear();
            push_value(&mut out, value, true);
            assert_eq!(out, escaped, "each special character alone is escaped");
        }
        out.clear();
        push_value(&mut out, "Tom & <Jerry>", false);
        assert_eq!(out, "Tom & <Jerry>");
    }
}
