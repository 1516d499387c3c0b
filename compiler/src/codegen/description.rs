//! The flow's static description (`rt::FlowInfo`) as `static` data: the states with their references and
//! pre-escaped JSON, prompt counts and `else` handlers, the blocks' references, every handler's target and
//! the variables' keys, lifetimes and defaults. The engine and its transaction writer read these tables
//! alike for generated and interpreted flows. The tables grow with the flow, so their entries are built as
//! syntax trees (see [`syntax`](super::syntax)).

use proc_macro2::TokenStream;
use quote::quote;

use super::skeleton::{array_of, items};
use super::syntax::{self, call, lit_number, lit_str, option, path};
use super::{Names, unsuffixed};
use crate::ast::{Lifetime, Platform};
use crate::ir::{self, BlockKind};

/// `STATES`, `BLOCKS`, `HANDLERS`, `VARIABLES` and `INFO`.
pub(super) fn description(flow: &ir::Flow, names: &Names) -> syn::Result<Vec<syn::Item>> {
    let count = |n: usize| unsuffixed(n as u64);
    let (states, blocks) = (count(flow.states.len()), count(flow.blocks.len()));
    let (handlers, variables) = (count(flow.handlers.len()), count(flow.variables.len()));
    let mut items = items(quote! {
        /// The waiting states, by state number: reference, prompt count, `else`.
        pub static STATES: [rt::StateInfo; #states] = [];
        /// What `affectedSteps` report for each block, by block number.
        pub static BLOCKS: [rt::BlockInfo; #blocks] = [];
        /// The block each handler goes to, by handler number.
        static HANDLERS: [rt::BlockIx; #handlers] = [];
        /// The storage variables in declaration (= transaction) order.
        pub static VARIABLES: [rt::VariableInfo; #variables] = [];
    })?;
    let state_infos = flow.states.enumerate().map(|(s, state)| {
        let r = flow.state_reference(s);
        call(
            "rt::StateInfo::from_static",
            [
                lit_str(&r.id),
                lit_str(&r.name),
                lit_str(&r.dialog),
                lit_str(&json(r)),
                lit_number(state.prompts.len() as u64),
                option(state.otherwise.map(|h| names.handler(h))),
            ],
        )
    });
    array_of(&mut items, "STATES")?.extend(syntax::pairs(state_infos));
    let block_infos = flow.blocks.iter().map(|b| match b.kind {
        BlockKind::Wait(s) => call("rt::BlockInfo::Waits", [names.state(s)]),
        _ => call(
            "rt::BlockInfo::other",
            [
                lit_str(&b.reference.id),
                lit_str(&b.reference.name),
                lit_str(&b.reference.dialog),
            ],
        ),
    });
    array_of(&mut items, "BLOCKS")?.extend(syntax::pairs(block_infos));
    let targets = flow.handlers.iter().map(|h| names.block(h.action.goto));
    array_of(&mut items, "HANDLERS")?.extend(syntax::pairs(targets));
    let variable_infos = flow.variables.iter().map(|v| {
        let lifetime = match v.lifetime {
            Lifetime::Session => "rt::Lifetime::Session",
            Lifetime::User => "rt::Lifetime::User",
        };
        call(
            "rt::VariableInfo::from_static",
            [
                lit_str(&v.name),
                lit_str(&flowc_runtime::__private::json::variable_prefix(&v.name)),
                path(lifetime),
                lit_str(&v.default),
            ],
        )
    });
    array_of(&mut items, "VARIABLES")?.extend(syntax::pairs(variable_infos));
    items.extend(super::skeleton::items(info(flow, names))?);
    Ok(items)
}

/// The reference as the transaction writes it, escaped now.
fn json(reference: &ir::Reference) -> String {
    flowc_runtime::__private::json::state_fragment(&flowc_runtime::StateRef::new(
        reference.id.clone(),
        reference.name.clone(),
        reference.dialog.clone(),
    ))
}

/// `rt::Reference::from_static(id, name, dialog, json)`.
fn reference(reference: &ir::Reference) -> syn::Expr {
    call(
        "rt::Reference::from_static",
        [
            lit_str(&reference.id),
            lit_str(&reference.name),
            lit_str(&reference.dialog),
            lit_str(&json(reference)),
        ],
    )
}

/// `INFO`: the description itself, naming the tables.
fn info(flow: &ir::Flow, names: &Names) -> TokenStream {
    let name = &flow.name;
    let release = &flow.release;
    let phone = flow.supports(Platform::Phone);
    let chat = flow.supports(Platform::Chat);
    let language = match &flow.language {
        Some(l) => quote!(Some(rt::Cow::Borrowed(#l))),
        None => quote!(None),
    };
    let stt_type = &flow.stt.kind;
    let stt_id = &flow.stt.id;
    let no_input = match flow.no_input_limit {
        Some(n) => {
            let n = unsuffixed(u64::from(n));
            quote!(Some(#n))
        }
        None => quote!(None),
    };
    let on_error = option(flow.global.on_error.map(|b| names.block(b)));
    let global = reference(&flow.global.reference);
    let global_else = option(flow.global.otherwise.map(|h| names.handler(h)));
    let ending = option(flow.global.ending.map(|h| names.handler(h)));
    quote! {
        /// The flow's static description: what the engine and its transaction writer read.
        pub static INFO: rt::FlowInfo = rt::FlowInfo {
            name: rt::Cow::Borrowed(#name),
            release: rt::Cow::Borrowed(#release),
            phone: #phone,
            chat: #chat,
            language: #language,
            stt_type: rt::Cow::Borrowed(#stt_type),
            stt_id: rt::Cow::Borrowed(#stt_id),
            no_input_limit: #no_input,
            on_error: #on_error,
            intents: rt::Cow::Borrowed(&INTENTS),
            global: #global,
            states: rt::Cow::Borrowed(&STATES),
            blocks: rt::Cow::Borrowed(&BLOCKS),
            handlers: rt::Cow::Borrowed(&HANDLERS),
            global_else: #global_else,
            ending: #ending,
            variables: rt::Cow::Borrowed(&VARIABLES),
        };
    }
}
