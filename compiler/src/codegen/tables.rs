//! The module's other static tables: HTTP endpoints, patterns and intent samples.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::skeleton::items;
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
    if patterns.is_empty() {
        return quote!();
    }
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
