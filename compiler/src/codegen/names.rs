//! Rust names for flow names: snake_case fields and methods, PascalCase types, keywords made safe, and
//! collisions resolved deterministically; [`Names`] holds those chosen for one flow.

use std::collections::HashSet;

use proc_macro2::{Ident, Span};

use super::syntax;
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

/// `lookupParcel` → `lookup_parcel`; never two underscores in a row, which the `non_snake_case` lint
/// rejects.
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
        } else if c != '_' || !out.ends_with('_') {
            out.push(c);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// `not_found` → `NotFound`, `PARLOA.NoInput` → `PARLOANoInput`: every character that cannot be in a
/// type name breaks a word, so the result has no underscore the `non_camel_case_types` lint would reject.
pub fn pascal(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
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

/// Hands out distinct names: a second `lookup_parcel` becomes `lookup_parcel_2`, a second `AskNumber`
/// becomes `AskNumber2`.
#[derive(Debug, Default)]
pub struct Unique {
    taken: HashSet<String>,
    /// Between a name and its number: `_` in snake_case, nothing in PascalCase.
    separator: &'static str,
}

impl Unique {
    /// snake_case names, none of `reserved`.
    pub fn snake(reserved: &[&str]) -> Self {
        Unique {
            taken: reserved.iter().map(|s| s.to_string()).collect(),
            separator: "_",
        }
    }

    /// PascalCase names, none of `reserved` (`Self` never: it is a keyword).
    pub fn pascal(reserved: &[&str]) -> Self {
        let mut taken: HashSet<String> = reserved.iter().map(|s| s.to_string()).collect();
        taken.insert("Self".to_string());
        Unique {
            taken,
            separator: "",
        }
    }

    /// `wanted`, or `wanted` with the first free number from 2 on.
    pub fn take(&mut self, wanted: String) -> String {
        if self.taken.insert(wanted.clone()) {
            return wanted;
        }
        (2..)
            .map(|n| format!("{wanted}{}{n}", self.separator))
            .find(|candidate| self.taken.insert(candidate.clone()))
            .unwrap_or(wanted)
    }
}

/// The names the module gives its own items: a service type must not take one.
const ITEMS: &[&str] = &[
    "Flow",
    "Services",
    "Vars",
    "State",
    "Block",
    "Handler",
    "HandledIntent",
    "Step",
    "INFO",
    "STATES",
    "BLOCKS",
    "HANDLERS",
    "VARIABLES",
];

/// Rust names chosen for a flow's names.
pub struct Names {
    /// Field per variable.
    pub vars: IdVec<VarId, Ident>,
    /// Method per service.
    pub(super) services: IdVec<ServiceId, Ident>,
    /// Type prefix per service (`LookupParcel`).
    pub(super) service_types: IdVec<ServiceId, String>,
    /// Variant of `Block` per block: its key, after its dialog's name outside `main`.
    pub(super) blocks: IdVec<BlockId, String>,
    /// Variant of `State` per state: its block's.
    pub(super) states: IdVec<StateId, String>,
    /// Variant of `Handler` per handler: its state's (or `Global`) and what fires it.
    pub(super) handlers: IdVec<HandlerId, String>,
    /// The intents some state handles, sorted, each with its variant of `HandledIntent`.
    pub(super) handled_intents: Vec<(String, String)>,
}

impl Names {
    /// The names of `flow`'s variables, services, blocks, states, handlers and handled intents.
    pub(super) fn new(flow: &ir::Flow) -> Names {
        let mut fields = Unique::snake(&[]);
        let vars = flow
            .variables
            .iter()
            .map(|v| ident(&fields.take(snake(&v.name))))
            .collect();
        let mut methods = Unique::snake(&[]);
        let services = flow
            .services
            .iter()
            .map(|s| ident(&methods.take(snake(&s.name))))
            .collect();
        let mut types = Unique::pascal(ITEMS);
        let service_types = flow
            .services
            .iter()
            .map(|s| types.take(pascal(&s.name)))
            .collect();
        let mut variants = Unique::pascal(&[]);
        let blocks: IdVec<BlockId, String> = flow
            .blocks
            .iter()
            .map(|b| {
                let dialog = &flow.dialogs[b.dialog];
                let key = pascal(&b.key);
                variants.take(if b.dialog == ir::DialogId::MAIN {
                    key
                } else {
                    pascal(&dialog.name) + &key
                })
            })
            .collect();
        let states: IdVec<StateId, String> = flow
            .states
            .iter()
            .map(|s| blocks[s.block].clone())
            .collect();
        let mut variants = Unique::pascal(&[]);
        let handlers = flow
            .handlers
            .iter()
            .map(|h| {
                let owner = match h.owner {
                    ir::Owner::State(s) => states[s].as_str(),
                    ir::Owner::Global => "Global",
                };
                let trigger = match &h.trigger {
                    ir::Trigger::Intent(intent) => pascal(intent),
                    ir::Trigger::Else => "Else".to_string(),
                    ir::Trigger::Dtmf(_) => "Dtmf".to_string(),
                    ir::Trigger::Ending => "Ending".to_string(),
                };
                variants.take(format!("{owner}{trigger}"))
            })
            .collect();
        let mut intents: Vec<&str> = flow
            .states
            .iter()
            .flat_map(|s| &s.intents)
            .map(|(intent, _)| intent.as_str())
            .collect();
        intents.sort_unstable();
        intents.dedup();
        let mut variants = Unique::pascal(&[]);
        let handled_intents = intents
            .into_iter()
            .map(|i| (i.to_string(), variants.take(pascal(i))))
            .collect();
        Names {
            vars,
            services,
            service_types,
            blocks,
            states,
            handlers,
            handled_intents,
        }
    }

    /// `Block::AskNumber`.
    pub(super) fn block_path(&self, b: BlockId) -> syn::Path {
        variant("Block", &self.blocks[b])
    }

    /// `State::AskNumber`.
    pub(super) fn state_path(&self, s: StateId) -> syn::Path {
        variant("State", &self.states[s])
    }

    /// `Handler::AskNumberElse`.
    pub(super) fn handler_path(&self, h: HandlerId) -> syn::Path {
        variant("Handler", &self.handlers[h])
    }

    /// The engine's number of block `b`: `Block::AskNumber.index()`.
    pub(super) fn block(&self, b: BlockId) -> syn::Expr {
        index_of(self.block_path(b))
    }

    /// The engine's number of state `s`: `State::AskNumber.index()`.
    pub(super) fn state(&self, s: StateId) -> syn::Expr {
        index_of(self.state_path(s))
    }

    /// The engine's number of handler `h`: `Handler::AskNumberElse.index()`.
    pub(super) fn handler(&self, h: HandlerId) -> syn::Expr {
        index_of(self.handler_path(h))
    }
}

/// `Enum::Variant`.
fn variant(enumeration: &str, name: &str) -> syn::Path {
    syntax::path_of([syntax::name(enumeration), syntax::name(name)])
}

/// `path.index()`.
fn index_of(path: syn::Path) -> syn::Expr {
    syntax::method(syntax::path_expr(path), "index", [])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_conversion() {
        assert_eq!(snake("lookupParcel"), "lookup_parcel");
        assert_eq!(snake("HTTPStatus"), "http_status");
        assert_eq!(snake("already_snake"), "already_snake");
        assert_eq!(snake("two__under_Scores"), "two_under_scores");
        assert_eq!(pascal("not_found"), "NotFound");
        assert_eq!(pascal("lookupParcel"), "LookupParcel");
        assert_eq!(pascal("PARLOA.NoInput"), "PARLOANoInput");
        assert_eq!(pascal("x-ray"), "XRay");
        assert_eq!(ident("type").to_string(), "r#type");
        assert_eq!(ident("self").to_string(), "self_");
        let mut u = Unique::snake(&[]);
        assert_eq!(u.take("a".into()), "a");
        assert_eq!(u.take("a".into()), "a_2");
        let mut u = Unique::pascal(&["Flow"]);
        assert_eq!(u.take("Flow".into()), "Flow2");
        assert_eq!(u.take("Self".into()), "Self2");
    }
}
