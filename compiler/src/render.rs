//! Turns diagnostics into text for people (miette: colour on a terminal, plain otherwise) and JSON for tools.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity, Span};

/// How to draw diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Colour and Unicode, for terminals.
    Color,
    /// No colour, for files, pipes and snapshots.
    Plain,
}

/// Renders every diagnostic of one file, in order, followed by nothing else.
pub fn render(diagnostics: &[Diagnostic], file: &str, source: &str, style: Style) -> String {
    let theme = match style {
        Style::Color => GraphicalTheme::unicode(),
        Style::Plain => GraphicalTheme::unicode_nocolor(),
    };
    // A fixed width keeps the output identical on every machine.
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(110)
        .with_links(false);
    let named = NamedSource::new(file, source.to_string());
    let mut out = String::new();
    for diagnostic in diagnostics {
        let report = Report {
            diagnostic,
            source: &named,
            drawn: drawable(diagnostic, source),
            notes: far_notes(diagnostic),
        };
        if handler.render_report(&mut out, &report).is_err() {
            // Rendering into a String cannot fail; keep a readable line if it ever does.
            out.push_str(&one_line(diagnostic, file));
        }
        out.push('\n');
    }
    out
}

/// The farthest a label may start or end from the beginning of its line, in bytes. miette pads underlines
/// with `format!` widths, which panic past 65,535 columns; a byte is at most four columns (a tab), so this
/// keeps every width far below that, and a label this far right is unreadable in a 110-column report anyway.
pub const MAX_DRAWN_COLUMN_BYTES: usize = 4_096;

/// True when every label of `diagnostic` sits close enough to the start of its line to be drawn.
fn drawable(diagnostic: &Diagnostic, source: &str) -> bool {
    let spans = std::iter::once(&diagnostic.span).chain(diagnostic.related.iter().map(|(s, _)| s));
    spans
        .flat_map(|span| [span.offset, span.offset.saturating_add(span.len)])
        .all(|offset| near_line_start(source.as_bytes(), offset))
}

/// Whether a newline (or the start of the file) lies within [`MAX_DRAWN_COLUMN_BYTES`] before `offset`;
/// looks back only that far, so many labels on one huge line stay linear.
fn near_line_start(source: &[u8], offset: usize) -> bool {
    let offset = offset.min(source.len());
    offset <= MAX_DRAWN_COLUMN_BYTES
        || source[offset - MAX_DRAWN_COLUMN_BYTES..offset].contains(&b'\n')
}

/// How many lines a related label may lie from the primary one and still share its snippet. miette draws one
/// snippet over every line between the labels of a report; farther labels get a snippet of their own (a
/// related note), so a duplicate 40 lines below its first definition is two short snippets, not 40 lines.
pub const SAME_SNIPPET_LINES: u32 = 6;

/// True when a related label is too far from the primary one to share its snippet.
fn is_far(diagnostic: &Diagnostic, related: &Span) -> bool {
    diagnostic.span.line.abs_diff(related.line) > SAME_SNIPPET_LINES
}

/// The related labels drawn as notes with their own snippet.
fn far_notes(diagnostic: &Diagnostic) -> Vec<Note> {
    diagnostic
        .related
        .iter()
        .filter(|(span, _)| is_far(diagnostic, span))
        .map(|(span, label)| Note {
            message: label.clone(),
            span: SourceSpan::new(span.offset.into(), span.len),
        })
        .collect()
}

/// `file:line:col: error[E010]: message` — one line, for logs and build scripts.
pub fn one_line(diagnostic: &Diagnostic, file: &str) -> String {
    format!(
        "{file}:{}:{}: {}[{}]: {}",
        diagnostic.span.line,
        diagnostic.span.column,
        diagnostic.severity.as_str(),
        diagnostic.code,
        diagnostic.message
    )
}

/// The JSON shape of one diagnostic: `{code, severity, file, line, column, message}` (plus help).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct JsonDiagnostic {
    /// Stable code, e.g. `E010`.
    pub code: String,
    /// `error` or `warning`.
    pub severity: String,
    /// The file as given on the command line.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The message.
    pub message: String,
    /// The help line, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl JsonDiagnostic {
    /// Converts a diagnostic of `file`.
    pub fn new(diagnostic: &Diagnostic, file: &str) -> Self {
        JsonDiagnostic {
            code: diagnostic.code.as_str().to_string(),
            severity: diagnostic.severity.as_str().to_string(),
            file: file.to_string(),
            line: diagnostic.span.line,
            column: diagnostic.span.column,
            message: diagnostic.message.clone(),
            help: diagnostic.help.clone(),
        }
    }
}

/// Adapts our diagnostic to miette's trait for drawing.
struct Report<'a> {
    diagnostic: &'a Diagnostic,
    source: &'a NamedSource<String>,
    /// False when a label is too far right to draw: the report then names the place in words.
    drawn: bool,
    /// Related labels too far from the primary one to share its snippet.
    notes: Vec<Note>,
}

/// A related label drawn on its own, under the report (miette's "related" diagnostics, as advice).
#[derive(Debug)]
struct Note {
    message: String,
    span: SourceSpan,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Note {}

impl miette::Diagnostic for Note {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }

    // No source of its own: miette draws a related diagnostic's labels in its parent's source.
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(None, self.span),
        )))
    }
}

impl Report<'_> {
    fn message(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)?;
        if !self.drawn {
            let span = self.diagnostic.span;
            write!(
                f,
                " (at line {}, column {}, too far right to draw)",
                span.line, span.column
            )?;
        }
        Ok(())
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.message(f)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.message(f)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.diagnostic.code.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.drawn.then_some(self.source as &dyn miette::SourceCode)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if !self.drawn || self.notes.is_empty() {
            return None;
        }
        Some(Box::new(
            self.notes.iter().map(|n| n as &dyn miette::Diagnostic),
        ))
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if !self.drawn {
            return None;
        }
        let d = self.diagnostic;
        let primary = LabeledSpan::new_primary_with_span(
            d.label.clone(),
            SourceSpan::new(d.span.offset.into(), d.span.len),
        );
        let related = d
            .related
            .iter()
            .filter(|(span, _)| !is_far(d, span))
            .map(|(span, label)| {
                LabeledSpan::new_with_span(
                    Some(label.clone()),
                    SourceSpan::new(span.offset.into(), span.len),
                )
            });
        Some(Box::new(std::iter::once(primary).chain(related)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Code;

    /// A span over the whole of line `line` (1-based) of `source`.
    fn line_span(source: &str, line: u32) -> Span {
        let offset: usize = source
            .split_inclusive('\n')
            .take(line as usize - 1)
            .map(str::len)
            .sum();
        let len = source[offset..].find('\n').unwrap_or(0);
        Span {
            line,
            column: 1,
            offset,
            len,
        }
    }

    #[test]
    fn labels_far_apart_are_two_short_snippets() {
        let source: String = (1..=60).map(|i| format!("line{i}: x\n")).collect();
        let diagnostic = Diagnostic::new(Code::UnknownTarget, line_span(&source, 5), "the problem")
            .with_related(line_span(&source, 45), "the other place");
        let text = render(&[diagnostic], "f.yaml", &source, Style::Plain);
        assert!(
            text.contains("line5: x") && text.contains("line45: x"),
            "{text}"
        );
        assert!(text.contains("the other place"), "{text}");
        assert!(
            !text.contains("line25: x"),
            "the lines between are drawn:\n{text}"
        );
        assert!(text.lines().count() < 20, "{text}");
    }

    #[test]
    fn labels_close_together_share_one_snippet() {
        let source: String = (1..=60).map(|i| format!("line{i}: x\n")).collect();
        let diagnostic = Diagnostic::new(Code::UnknownTarget, line_span(&source, 5), "the problem")
            .with_related(line_span(&source, 8), "the other place");
        let text = render(&[diagnostic], "f.yaml", &source, Style::Plain);
        assert!(text.contains("line6: x"), "{text}");
        assert!(!text.contains("Advice"), "{text}");
    }
}
