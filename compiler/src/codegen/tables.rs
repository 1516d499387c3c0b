//! The module's other static tables: HTTP endpoints, patterns, intent samples, and the hashed table that
//! finds the intents the states handle.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::skeleton::{add_arms, items};
use super::syntax::{self, arm, int_pat, lit_int, lit_str, some};
use super::unsuffixed;
use crate::ir;

/// The statics, in module order.
pub(super) fn statics(flow: &ir::Flow) -> syn::Result<Vec<syn::Item>> {
    let mut all = items(http_endpoints(flow))?;
    all.extend(items(patterns(flow))?);
    all.extend(items(intents(flow))?);
    Ok(all)
}

/// `HTTP_HEADERS_<i>` per HTTP service and `HTTP_ENDPOINTS`.
fn http_endpoints(flow: &ir::Flow) -> TokenStream {
    let http: Vec<(&ir::Service, &ir::Http)> = flow
        .services
        .iter()
        .filter_map(|s| s.http.as_ref().map(|h| (s, h)))
        .collect();
    let http_count = unsuffixed(http.len() as u64);
    let http_headers = http.iter().enumerate().map(|(i, (_, h))| {
        let name = format_ident!("HTTP_HEADERS_{}", i);
        let n = unsuffixed(h.headers.len() as u64);
        let pairs = h
            .headers
            .iter()
            .map(|(k, v)| quote!((rt::Cow::Borrowed(#k), rt::Cow::Borrowed(#v)),));
        quote!(static #name: [(rt::Cow<'static, str>, rt::Cow<'static, str>); #n] = [ #(#pairs)* ];)
    });
    let http_endpoints = http.iter().enumerate().map(|(i, (s, h))| {
        let headers = format_ident!("HTTP_HEADERS_{}", i);
        let (service, url, timeout, retries) = (&s.name, &h.url, h.timeout_ms, h.retries);
        quote!(rt::HttpEndpoint {
            service: rt::Cow::Borrowed(#service),
            url: rt::Cow::Borrowed(#url),
            timeout_ms: #timeout,
            retries: #retries,
            headers: rt::Cow::Borrowed(&#headers),
        },)
    });
    quote! {
        #(#http_headers)*
        /// The HTTP endpoints the flow declares (`http:` on a service), for `flowc_runtime::HttpServices`.
        pub static HTTP_ENDPOINTS: [rt::HttpEndpoint; #http_count] = [ #(#http_endpoints)* ];
    }
}

/// `PATTERNS`: every pattern compiled once, on first use.
fn patterns(flow: &ir::Flow) -> TokenStream {
    let patterns = flow.patterns.as_slice();
    let pattern_count = unsuffixed(patterns.len() as u64);
    quote! {
        /// DTMF and `matches()` patterns, checked when the flow was compiled.
        static PATTERNS: rt::LazyLock<[Option<rt::Pattern>; #pattern_count]> =
            rt::LazyLock::new(|| [ #( rt::Pattern::parse(#patterns).ok(), )* ]);
    }
}

/// `UTTERANCES_<i>` per intent and `INTENTS`: the sample utterances.
fn intents(flow: &ir::Flow) -> TokenStream {
    let utterances = flow.intents.iter().enumerate().map(|(i, intent)| {
        let name = format_ident!("UTTERANCES_{}", i);
        let list = &intent.utterances;
        let n = unsuffixed(list.len() as u64);
        quote!(static #name: [rt::Cow<'static, str>; #n] = [ #( rt::Cow::Borrowed(#list), )* ];)
    });
    let intents = flow.intents.iter().enumerate().map(|(i, intent)| {
        let name = &intent.name;
        let list = format_ident!("UTTERANCES_{}", i);
        quote!(rt::IntentSamples { name: rt::Cow::Borrowed(#name), utterances: rt::Cow::Borrowed(&#list) },)
    });
    let intent_count = unsuffixed(flow.intents.len() as u64);
    quote! {
        #(#utterances)*
        static INTENTS: [rt::IntentSamples; #intent_count] = [ #(#intents)* ];
    }
}

/// `rt::Flow::local_intent`: the caller's intent found by hash among the intents the states handle
/// (`rt::dispatch`), then one arm per intent handler of a state, matched by intent number.
pub(super) fn local_intents(flow: &ir::Flow) -> syn::Result<Vec<syn::Item>> {
    let mut names: Vec<&str> = flow
        .states
        .iter()
        .flat_map(|s| &s.intents)
        .map(|(intent, _)| intent.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return items(quote! {
            impl<S: Services> Flow<S> {
                /// The handler of `intent` in `state` (`rt::Flow::local_intent`): no state handles one.
                fn local_handler(&self, _state: rt::StateIx, _intent: &str) -> Option<rt::HandlerIx> {
                    None
                }
            }
        });
    }
    let count = proc_macro2::Literal::usize_unsuffixed(names.len());
    let slots = flowc_runtime::dispatch::table(&names);
    let slot_count = proc_macro2::Literal::usize_unsuffixed(slots.len());
    let name_lits = names.iter().map(|n| lit_str(n));
    let slot_lits = slots.iter().map(|s| syntax::lit_number(u64::from(*s)));
    let mut items = items(quote! {
        /// Every intent some state handles, in order: `HANDLED_INTENT_SLOTS` finds them by hash.
        const HANDLED_INTENTS: [&str; #count] = [#(#name_lits),*];
        /// `rt::dispatch::table(&HANDLED_INTENTS)`, computed when the code was generated.
        const HANDLED_INTENT_SLOTS: [u32; #slot_count] = [#(#slot_lits),*];

        impl<S: Services> Flow<S> {
            /// The handler of `intent` in `state` (`rt::Flow::local_intent`).
            fn local_handler(&self, state: rt::StateIx, intent: &str) -> Option<rt::HandlerIx> {
                let intent = rt::dispatch::index(intent, &HANDLED_INTENTS, &HANDLED_INTENT_SLOTS)?;
                match (state, intent) {
                    _ => None,
                }
            }
        }
    })?;
    // (state, intent number) => Some(h)
    let number = |intent: &str| names.binary_search(&intent).unwrap_or_default() as u64;
    let local = flow.states.enumerate().flat_map(|(s, state)| {
        state.intents.iter().map(move |(intent, h)| {
            let pattern = syntax::tuple_pat([int_pat(u64::from(s.get())), int_pat(number(intent))]);
            arm(pattern, some(lit_int(u64::from(h.get()))))
        })
    });
    add_arms(&mut items, "local_handler", local)?;
    Ok(items)
}
