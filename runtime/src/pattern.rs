//! DTMF and `matches()` patterns: a small regular-expression dialect, checked at compile time and matched
//! at run time without a regex engine dependency.
//!
//! Supported: literals, `.`, classes `[0-9*#]` (ranges, `^` negation), groups `( | )`, and the quantifiers
//! `* + ? {n} {n,} {n,m}`; `\d` and escaped punctuation. A pattern always matches the whole input.

use std::fmt;

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    root: Alternation,
}

/// Why a pattern does not parse, with the byte position inside the pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// Byte offset inside the pattern.
    pub position: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at position {}", self.message, self.position + 1)
    }
}

impl std::error::Error for PatternError {}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Alternation(Vec<Vec<Piece>>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Piece {
    atom: Atom,
    min: u32,
    max: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Atom {
    Char(char),
    Any,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
    Group(Alternation),
}

/// Limits that keep hostile patterns cheap.
const MAX_REPEAT: u32 = 1000;
const MAX_DEPTH: usize = 32;

impl Pattern {
    /// Parses a pattern.
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let mut parser = PatternParser {
            chars,
            position: 0,
            len: text.len(),
        };
        let root = parser.alternation(0)?;
        if let Some((at, c)) = parser.peek() {
            return Err(PatternError {
                position: at,
                message: format!("unexpected `{c}`"),
            });
        }
        Ok(Pattern { root })
    }

    /// True when the whole of `input` matches.
    pub fn is_match(&self, input: &str) -> bool {
        let chars: Vec<char> = input.chars().collect();
        let mut ends = Vec::new();
        match_alternation(&self.root, &chars, 0, &mut ends);
        ends.contains(&chars.len())
    }
}

struct PatternParser {
    chars: Vec<(usize, char)>,
    position: usize,
    len: usize,
}

impl PatternParser {
    fn peek(&self) -> Option<(usize, char)> {
        self.chars.get(self.position).copied()
    }

    fn here(&self) -> usize {
        self.peek().map(|(at, _)| at).unwrap_or(self.len)
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, PatternError> {
        Err(PatternError {
            position: self.here(),
            message: message.into(),
        })
    }

    fn alternation(&mut self, depth: usize) -> Result<Alternation, PatternError> {
        if depth > MAX_DEPTH {
            return self.error("groups are nested too deeply");
        }
        let mut branches = vec![Vec::new()];
        while let Some((_, c)) = self.peek() {
            match c {
                '|' => {
                    self.position += 1;
                    branches.push(Vec::new());
                }
                ')' => break,
                _ => {
                    let atom = self.atom(depth)?;
                    let (min, max) = self.quantifier()?;
                    if let Some(branch) = branches.last_mut() {
                        branch.push(Piece { atom, min, max });
                    }
                }
            }
        }
        Ok(Alternation(branches))
    }

    fn atom(&mut self, depth: usize) -> Result<Atom, PatternError> {
        let Some((_, c)) = self.peek() else {
            return self.error("pattern ends too early");
        };
        self.position += 1;
        match c {
            '.' => Ok(Atom::Any),
            '(' => {
                let inner = self.alternation(depth + 1)?;
                match self.peek() {
                    Some((_, ')')) => {
                        self.position += 1;
                        Ok(Atom::Group(inner))
                    }
                    _ => self.error("`(` is never closed"),
                }
            }
            '[' => self.class(),
            '\\' => self.escape(),
            '*' | '+' | '?' | '{' => {
                self.position -= 1;
                self.error(format!("`{c}` has nothing to repeat"))
            }
            other => Ok(Atom::Char(other)),
        }
    }

    fn escape(&mut self) -> Result<Atom, PatternError> {
        let Some((_, c)) = self.peek() else {
            return self.error("`\\` at the end of the pattern");
        };
        self.position += 1;
        Ok(match c {
            'd' => Atom::Class {
                negated: false,
                ranges: vec![('0', '9')],
            },
            c if c.is_ascii_punctuation() => Atom::Char(c),
            other => {
                self.position -= 1;
                return self.error(format!("unknown escape `\\{other}`"));
            }
        })
    }

    fn class(&mut self) -> Result<Atom, PatternError> {
        let mut negated = false;
        if let Some((_, '^')) = self.peek() {
            negated = true;
            self.position += 1;
        }
        let mut ranges = Vec::new();
        loop {
            let Some((_, c)) = self.peek() else {
                return self.error("`[` is never closed");
            };
            self.position += 1;
            if c == ']' && !ranges.is_empty() {
                break;
            }
            let low = if c == '\\' {
                match self.peek() {
                    Some((_, e)) => {
                        self.position += 1;
                        if e == 'd' {
                            ranges.push(('0', '9'));
                            continue;
                        }
                        e
                    }
                    None => return self.error("`[` is never closed"),
                }
            } else {
                c
            };
            let is_range = matches!(self.peek(), Some((_, '-')))
                && !matches!(self.chars.get(self.position + 1), Some((_, ']')) | None);
            if is_range {
                self.position += 1;
                let Some((_, high)) = self.peek() else {
                    return self.error("`[` is never closed");
                };
                self.position += 1;
                if high < low {
                    return self.error(format!("range `{low}-{high}` is backwards"));
                }
                ranges.push((low, high));
            } else {
                ranges.push((low, low));
            }
        }
        Ok(Atom::Class { negated, ranges })
    }

    fn number(&mut self) -> Option<u32> {
        let start = self.position;
        let mut value: u32 = 0;
        while let Some((_, c)) = self.peek() {
            let Some(d) = c.to_digit(10) else { break };
            value = value.saturating_mul(10).saturating_add(d);
            self.position += 1;
        }
        (self.position > start).then_some(value)
    }

    fn quantifier(&mut self) -> Result<(u32, Option<u32>), PatternError> {
        let bounds = match self.peek() {
            Some((_, '*')) => (0, None),
            Some((_, '+')) => (1, None),
            Some((_, '?')) => (0, Some(1)),
            Some((_, '{')) => {
                self.position += 1;
                let Some(min) = self.number() else {
                    return self.error("expected a number after `{`");
                };
                let max = match self.peek() {
                    Some((_, ',')) => {
                        self.position += 1;
                        self.number()
                    }
                    _ => Some(min),
                };
                if !matches!(self.peek(), Some((_, '}'))) {
                    return self.error("expected `}` to close the repetition");
                }
                if max.is_some_and(|max| max < min) {
                    return self.error("the repetition's maximum is below its minimum");
                }
                if min > MAX_REPEAT || max.is_some_and(|m| m > MAX_REPEAT) {
                    return self.error(format!("repetitions are limited to {MAX_REPEAT}"));
                }
                (min, max)
            }
            _ => return Ok((1, Some(1))),
        };
        self.position += 1;
        Ok(bounds)
    }
}

/// Collects every position where `alternation` can end when started at `at`.
fn match_alternation(alternation: &Alternation, input: &[char], at: usize, ends: &mut Vec<usize>) {
    for branch in &alternation.0 {
        let mut positions = vec![at];
        for piece in branch {
            positions = match_piece(piece, input, &positions);
            if positions.is_empty() {
                break;
            }
        }
        for p in positions {
            if !ends.contains(&p) {
                ends.push(p);
            }
        }
    }
}

fn match_piece(piece: &Piece, input: &[char], starts: &[usize]) -> Vec<usize> {
    let mut result = Vec::new();
    let mut current: Vec<usize> = starts.to_vec();
    let mut count = 0;
    if piece.min == 0 {
        result.extend_from_slice(&current);
    }
    // Each round consumes one more repetition; positions only grow, so this ends after input.len() rounds.
    while !current.is_empty()
        && piece.max.is_none_or(|max| count < max)
        && count <= input.len() as u32
    {
        let mut next = Vec::new();
        for &p in &current {
            match_atom(&piece.atom, input, p, &mut next);
        }
        next.retain(|p| !current.contains(p) || piece.max.is_some());
        next.sort_unstable();
        next.dedup();
        count += 1;
        if count >= piece.min {
            for &p in &next {
                if !result.contains(&p) {
                    result.push(p);
                }
            }
        }
        current = next;
    }
    result
}

fn match_atom(atom: &Atom, input: &[char], at: usize, ends: &mut Vec<usize>) {
    match atom {
        Atom::Char(c) => {
            if input.get(at) == Some(c) {
                ends.push(at + 1);
            }
        }
        Atom::Any => {
            if at < input.len() {
                ends.push(at + 1);
            }
        }
        Atom::Class { negated, ranges } => {
            if let Some(c) = input.get(at) {
                let inside = ranges.iter().any(|(lo, hi)| (lo..=hi).contains(&c));
                if inside != *negated {
                    ends.push(at + 1);
                }
            }
        }
        Atom::Group(inner) => match_alternation(inner, input, at, ends),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        Pattern::parse(p).unwrap().is_match(s)
    }

    #[test]
    fn whole_input_matches() {
        assert!(m("[0-9]{8,}", "12345678"));
        assert!(!m("[0-9]{8,}", "1234567"));
        assert!(m("1|2|3", "2"));
        assert!(!m("1|2|3", "12"));
        assert!(m("(12)+#?", "121212#"));
        assert!(m("\\d{3}\\*", "123*"));
        assert!(m(".*", ""));
        assert!(m("[^0]x?", "5"));
        assert!(m("a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaab"));
    }

    #[test]
    fn errors_point_inside() {
        assert_eq!(Pattern::parse("[0-9").unwrap_err().position, 4);
        assert_eq!(Pattern::parse("*1").unwrap_err().position, 0);
        assert!(Pattern::parse("1{3,2}").is_err());
        assert!(Pattern::parse("(1").is_err());
        assert!(Pattern::parse("1{99999}").is_err());
    }
}
