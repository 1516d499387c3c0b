//! The compiler's own diagnostic type: a stable code, a severity, a location, a message, a label and a help.
//!
//! Rendering (miette for terminals, JSON for tools) lives in [`crate::render`]; everything else in the
//! compiler only creates these values.

use std::fmt;

/// A place in a flow file: 1-based line and column (in characters) plus the byte range for underlining.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
    /// Byte offset into the source.
    pub offset: usize,
    /// Length in bytes (0 points at a position).
    pub len: usize,
}

impl Span {
    /// A span from its parts.
    pub const fn at(line: u32, column: u32, offset: usize, len: usize) -> Self {
        Span {
            line,
            column,
            offset,
            len,
        }
    }

    /// A span `chars_in` characters to the right of this one's start, `len` bytes long; used to point inside
    /// a single-line string value (an expression's column inside its quotes).
    pub fn shifted(self, source: &str, byte_delta: usize, len: usize) -> Span {
        let start = (self.offset + byte_delta).min(source.len());
        let columns = source
            .get(self.offset..start)
            .map(|s| s.chars().count())
            .unwrap_or(0) as u32;
        Span::at(self.line, self.column + columns, start, len)
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The flow cannot be compiled.
    Error,
    /// The flow compiles but probably does not do what its author wants.
    Warning,
}

impl Severity {
    /// `"error"` or `"warning"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

macro_rules! codes {
    ($( $variant:ident = $code:literal, $severity:ident, $title:literal; )*) => {
        /// Every diagnostic the compiler can emit. The codes are stable: tools and docs refer to them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $( #[doc = $title] $variant, )*
        }

        impl Code {
            /// Every code, in code order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The stable code, e.g. `E010`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// The severity diagnostics of this code have.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// A one-line description of the code.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title,)* }
            }
        }
    };
}

codes! {
    YamlSyntax = "E001", Error, "invalid YAML";
    UnknownKey = "E002", Error, "unknown key";
    WrongType = "E003", Error, "wrong type or invalid value";
    MissingKey = "E004", Error, "missing required key";
    InvalidName = "E005", Error, "invalid name";
    UnknownTarget = "E010", Error, "unknown target block";
    UnknownDialog = "E011", Error, "unknown dialog";
    DuplicateName = "E012", Error, "duplicate name";
    MissingStart = "E013", Error, "missing start block";
    DuplicateStart = "E014", Error, "duplicate start block or start outside main";
    GlobalOutsideMain = "E015", Error, "global block outside main";
    DeadEnd = "E016", Error, "block with no way on";
    NonWaitingCycle = "E017", Error, "cycle that never waits for the caller";
    Unreachable = "W018", Warning, "unreachable block";
    EndingWithoutEnd = "E019", Error, "PARLOA.EndConversation path does not reach an end block";
    EndingWaits = "E020", Error, "PARLOA.EndConversation path waits for input";
    PhoneOnly = "E021", Error, "phone-only feature in a flow without phoneV2";
    UndefinedVariable = "E022", Error, "undefined variable";
    SetUndeclared = "E023", Error, "set of an undeclared variable";
    ServiceVariable = "E024", Error, "service input or output is not a declared variable";
    UnknownBranch = "E025", Error, "unknown service branch";
    UnhandledBranch = "E026", Error, "service branch not handled";
    NoErrorHandler = "W027", Warning, "service failure not handled";
    UndeclaredIntent = "E028", Error, "intent used but not declared";
    UnusedIntent = "W029", Warning, "intent declared but never handled";
    ShadowsGlobal = "W030", Warning, "local handler shadows a global one";
    ExpressionSyntax = "E031", Error, "expression syntax error";
    ConditionWithoutElse = "E032", Error, "condition without else";
    ExitOutsideSubdialog = "E033", Error, "exit outside a subdialog";
    UnhandledExit = "E034", Error, "subdialog exit not handled by the caller";
    DuplicateStateId = "E035", Error, "duplicate explicit state id";
    SessionReadOnEnding = "W036", Warning, "session variable read on the PARLOA.EndConversation path";
    UnknownService = "E037", Error, "unknown service";
    SubdialogEntry = "E038", Error, "subdialog without a valid entry";
    InvalidDtmfPattern = "E039", Error, "invalid dtmf pattern";
    UnknownPlatform = "E040", Error, "unknown platform";
    EndingOutsideGlobal = "E041", Error, "PARLOA.EndConversation handled outside the global block";
    NotUtf8 = "E042", Error, "file is not UTF-8";
    ScriptUnknownService = "E050", Error, "conversation script names a service the flow does not have";
    ScriptUnknownBranch = "E051", Error, "stub answers a branch the service does not have";
    ScriptUnknownOutput = "E052", Error, "stub sets an output the service does not declare";
    ScriptUnknownIntent = "E053", Error, "conversation script names an intent the flow does not have";
    ScriptUnknownState = "E054", Error, "conversation script expects a state the flow does not have";
    ScriptUnknownVariable = "E055", Error, "conversation script names a variable the flow does not declare";
    ScriptFlowUnusable = "E056", Error, "the flow of a conversation script cannot be read or has errors";
    ScriptPlatform = "E057", Error, "conversation script plays a platform the flow does not run on";
    ScriptPhoneOnlyTurn = "E058", Error, "phone-only turn in a textchatV2 conversation script";
    ScriptConflictingKeys = "E059", Error, "keys that do not go together in a conversation script";
    Internal = "E999", Error, "internal compiler error: please report";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in a flow file or a conversation script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Error or warning (derived from the code).
    pub severity: Severity,
    /// Where the problem is.
    pub span: Span,
    /// What is wrong, in one sentence.
    pub message: String,
    /// A short label drawn under the span.
    pub label: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
    /// Other places that explain the problem (the first definition of a duplicate, the global handler that
    /// is shadowed, …).
    pub related: Vec<(Span, String)>,
}

impl Diagnostic {
    /// A diagnostic of `code` at `span`; its severity is the code's.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            span,
            message: message.into(),
            label: None,
            help: None,
            related: Vec::new(),
        }
    }

    /// Same as [`Diagnostic::new`]; reads better where the code is an error.
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Self {
        Self::new(code, span, message)
    }

    /// Adds the label drawn under the span.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Adds the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a related place.
    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Sorts diagnostics by position then code, and drops exact repeats, so output is deterministic.
pub fn sort_diagnostics(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| {
        (a.span.offset, a.span.line, a.code, &a.message).cmp(&(
            b.span.offset,
            b.span.line,
            b.code,
            &b.message,
        ))
    });
    diagnostics.dedup();
}

/// The longest name, in characters after lowercasing, that "did you mean" compares. Nobody misspells a
/// 65-character name into another one, and the cap bounds the work of one comparison by 64 × 64 cells, so a
/// huge key or target costs nothing instead of an edit distance quadratic in its length.
pub const MAX_SUGGESTED_LEN: usize = 64;

/// "Did you mean" for a misspelt name: the closest candidate within a small edit distance.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    closest_counted(name, candidates).0
}

/// [`closest`] and the number of edit-distance cells it filled, so tests can bound the work without a clock.
fn closest_counted<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> (Option<&'a str>, usize) {
    let Some(name) = comparable(name) else {
        return (None, 0);
    };
    let limit = (name.len() / 3).max(1) + 1;
    let mut cells = 0;
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let Some(other) = comparable(candidate) else {
            continue;
        };
        // Each insertion or deletion costs one, so a length gap above the limit can never come within it.
        if name.len().abs_diff(other.len()) > limit {
            continue;
        }
        cells += name.len() * other.len();
        let distance = edit_distance(&name, &other);
        let better = match best {
            None => true,
            Some((d, c)) => (distance, candidate) < (d, c),
        };
        if distance <= limit && better {
            best = Some((distance, candidate));
        }
    }
    (best.map(|(_, c)| c), cells)
}

/// The lowercase characters of a name no longer than [`MAX_SUGGESTED_LEN`]; `None` for longer names, found
/// without reading more than a few hundred bytes of them.
fn comparable(name: &str) -> Option<Vec<char>> {
    // A char is at most four bytes: anything longer in bytes is surely too long in characters.
    if name.len() > MAX_SUGGESTED_LEN * 4 {
        return None;
    }
    let lower: Vec<char> = name.chars().flat_map(char::to_lowercase).collect();
    (lower.len() <= MAX_SUGGESTED_LEN).then_some(lower)
}

/// Levenshtein distance in two rows (linear memory).
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_suggests_near_names_only() {
        let keys = ["description", "dialogs", "variables"];
        assert_eq!(closest("descripton", keys), Some("description"));
        assert_eq!(closest("dialog", keys), Some("dialogs"));
        assert_eq!(closest("zzz", keys), None);
        assert_eq!(closest("DESCRIPTON", keys), Some("description"));
    }

    #[test]
    fn closest_work_is_bounded_whatever_the_name_length() {
        let cap = MAX_SUGGESTED_LEN;
        let near = |n: usize| format!("{}x", "k".repeat(n - 1));
        // At the cap a typo is still found.
        let longest = "k".repeat(cap);
        assert_eq!(
            closest(&near(cap), [longest.as_str()]),
            Some(longest.as_str())
        );
        // Long names, alike or not, fill at most cap × cap cells per candidate; a full edit distance would
        // fill 4,000,000 for each of these.
        let long = "k".repeat(2_000);
        let candidates = [long.as_str(); 10];
        for name in [near(2_000), long.clone(), "k".repeat(2_001)] {
            let (found, cells) = closest_counted(&name, candidates.iter().copied());
            assert_eq!(found, None);
            assert!(cells <= candidates.len() * cap * cap, "{cells} cells");
        }
        // Short names next to long candidates fill nothing: the length gap rules them out first.
        let (_, cells) = closest_counted("kk", candidates.iter().copied());
        assert_eq!(cells, 0);
    }

    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
        }
    }
}
