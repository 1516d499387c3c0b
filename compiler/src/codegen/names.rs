//! Rust names for flow names: snake_case fields and methods, PascalCase types, keywords made safe, and
//! collisions resolved deterministically; [`Names`] holds those chosen for one flow.

use std::collections::HashSet;

use proc_macro2::{Ident, Span};

use super::syntax::lit_int;
use crate::ir::{self, BlockId, HandlerId, IdVec, ServiceId, StateId, VarId};

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where",
    "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual", "yield",
];

/// Names that cannot even be raw identifiers.
const RESERVED: &[&str] = &["self", "Self", "super", "crate", "_"];

/// An identifier for `name` (already `[A-Za-z_][A-Za-z0-9_]*`), raw when it is a keyword.
pub fn ident(name: &str) -> Ident {
    if RESERVED.contains(&name) {
        return Ident::new(&format!("{name}_"), Span::call_site());
    }
    if KEYWORDS.contains(&name) {
        return Ident::new_raw(name, Span::call_site());
    }
    Ident::new(name, Span::call_site())
}

/// `lookupParcel` → `lookup_parcel`.
pub fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let previous = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1);
            let boundary = previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
                || (previous.is_some_and(|p| p.is_ascii_uppercase())
                    && next.is_some_and(|n| n.is_ascii_lowercase()));
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// `not_found` → `NotFound`.
pub fn pascal(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'N');
    }
    out
}

/// Hands out distinct names: a second `lookup_parcel` becomes `lookup_parcel_2`.
#[derive(Debug, Default)]
pub struct Unique {
    taken: HashSet<String>,
}

impl Unique {
    /// A set that already holds `reserved`.
    pub fn with(reserved: &[&str]) -> Self {
        Unique {
            taken: reserved.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// `wanted`, or `wanted_N` for the first free N.
    pub fn take(&mut self, wanted: String) -> String {
        if self.taken.insert(wanted.clone()) {
            return wanted;
        }
        (2..)
            .map(|n| format!("{wanted}_{n}"))
            .find(|candidate| self.taken.insert(candidate.clone()))
            .unwrap_or(wanted)
    }
}

/// Rust names chosen for a flow's names.
pub struct Names {
    /// Field per variable.
    pub vars: IdVec<VarId, Ident>,
    /// Method per service.
    pub(super) services: IdVec<ServiceId, Ident>,
    /// Type prefix per service (`LookupParcel`).
    pub(super) service_types: IdVec<ServiceId, String>,
    /// Variant per state.
    pub(super) states: IdVec<StateId, Ident>,
}

impl Names {
    /// The names of `flow`'s variables, services and states.
    pub(super) fn new(flow: &ir::Flow) -> Names {
        let mut fields = Unique::default();
        let vars = flow
            .variables
            .iter()
            .map(|v| ident(&fields.take(snake(&v.name))))
            .collect();
        let mut methods = Unique::default();
        let services = flow
            .services
            .iter()
            .map(|s| ident(&methods.take(snake(&s.name))))
            .collect();
        let mut types = Unique::with(&[
            "Flow", "Services", "Vars", "State", "Step", "INFO", "STATES", "BLOCKS",
        ]);
        let service_types = flow
            .services
            .iter()
            .map(|s| types.take(pascal(&s.name)))
            .collect();
        let mut variants = Unique::default();
        let states = flow
            .states
            .iter()
            .map(|s| ident(&variants.take(pascal(&flow.blocks[s.block].key))))
            .collect();
        Names {
            vars,
            services,
            service_types,
            states,
        }
    }

    /// The engine's number of block `b`, as generated code writes it.
    pub(super) fn block(&self, b: BlockId) -> syn::Expr {
        lit_int(u64::from(b.get()))
    }

    /// The engine's number of state `s`, as generated code writes it.
    pub(super) fn state(&self, s: StateId) -> syn::Expr {
        lit_int(u64::from(s.get()))
    }

    /// The engine's number of handler `h`, as generated code writes it.
    pub(super) fn handler(&self, h: HandlerId) -> syn::Expr {
        lit_int(u64::from(h.get()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_conversion() {
        assert_eq!(snake("lookupParcel"), "lookup_parcel");
        assert_eq!(snake("HTTPStatus"), "http_status");
        assert_eq!(snake("already_snake"), "already_snake");
        assert_eq!(pascal("not_found"), "NotFound");
        assert_eq!(pascal("lookupParcel"), "LookupParcel");
        assert_eq!(ident("type").to_string(), "r#type");
        assert_eq!(ident("self").to_string(), "self_");
        let mut u = Unique::default();
        assert_eq!(u.take("a".into()), "a");
        assert_eq!(u.take("a".into()), "a_2");
    }
}
