//! Flow files are UTF-8. A file that is not (a German flow saved as Latin-1, a UTF-16 export) becomes one
//! located diagnostic (E042) instead of an I/O error that would stop a whole folder without saying where.

use crate::diagnostic::{Code, Diagnostic, Span};

/// A file whose bytes are not UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUtf8 {
    /// The text with every bad sequence replaced by U+FFFD; identical to the file up to the first bad byte,
    /// so the diagnostic's offset points at the same place in both.
    pub text: String,
    /// The E042 error at the first bad byte.
    pub diagnostic: Diagnostic,
}

/// The text of a flow file, or why it is not UTF-8.
pub fn decode(bytes: Vec<u8>) -> Result<String, NotUtf8> {
    let error = match String::from_utf8(bytes) {
        Ok(text) => return Ok(text),
        Err(error) => error,
    };
    let bytes = error.as_bytes();
    let offset = error.utf8_error().valid_up_to();
    let text = String::from_utf8_lossy(bytes).into_owned();
    // The prefix is valid UTF-8 by definition, and the same in `text`.
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    let column = before[line_start..].chars().count() + 1;
    let bad_bytes: usize = bytes.utf8_chunks().map(|c| c.invalid().len()).sum();
    let byte = bytes[offset];
    let more = match bad_bytes {
        1 => String::new(),
        n => format!(", the first of {n} bytes that are not"),
    };
    let span = Span::at(
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
        offset,
        char::REPLACEMENT_CHARACTER.len_utf8(),
    );
    let diagnostic = Diagnostic::error(
        Code::NotUtf8,
        span,
        format!("the file is not UTF-8: byte 0x{byte:02X} at byte offset {offset}{more}"),
    )
    .with_label("not UTF-8")
    .with_help(help(bytes, byte));
    Err(NotUtf8 { text, diagnostic })
}

/// A hint at the encoding the file probably has, and how to convert it.
fn help(bytes: &[u8], byte: u8) -> String {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return "the file is UTF-16; save it as UTF-8".to_string();
    }
    if byte >= 0xA0 {
        // In Latin-1 every byte from 0xA0 up is the character of the same number.
        let shown = char::from(byte);
        return format!(
            "the file looks like Latin-1 or Windows-1252 (0x{byte:02X} is `{shown}` there); save it as UTF-8, e.g. `iconv -f latin1 -t utf-8`"
        );
    }
    "save the file as UTF-8".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_passes_through() {
        assert_eq!(decode("flow: ä".into()), Ok("flow: ä".to_string()));
    }

    #[test]
    fn latin1_is_located_at_its_first_bad_byte() {
        let bytes = b"flow: x\ndescription: Gr\xfc\xdfe \xe4\n".to_vec();
        let bad = decode(bytes).unwrap_err();
        let d = &bad.diagnostic;
        assert_eq!(d.code, Code::NotUtf8);
        assert_eq!((d.span.line, d.span.column, d.span.offset), (2, 16, 23));
        assert_eq!(
            d.message,
            "the file is not UTF-8: byte 0xFC at byte offset 23, the first of 3 bytes that are not"
        );
        assert!(d.help.as_deref().unwrap().contains("`ü`"));
        assert_eq!(&bad.text[d.span.offset..][..d.span.len], "\u{fffd}");
    }

    #[test]
    fn utf16_is_named() {
        let bad = decode(vec![0xFF, 0xFE, b'f', 0]).unwrap_err();
        assert_eq!(bad.diagnostic.span.offset, 0);
        assert!(bad.diagnostic.help.unwrap().contains("UTF-16"));
    }
}
