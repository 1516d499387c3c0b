//! Code generation: one Rust module per flow, implementing the runtime's `Flow` trait.
//!
//! The module holds only what is specific to the flow — a typed struct of variables, a state enum, static
//! state references, `&str` matches for intents, compiled conditions and templates, and a typed trait of the
//! flow's services. Every rule of the turn loop stays in `flowc_runtime::Engine`. Generated code names the
//! runtime only through `::flowc_runtime::__private`, so it compiles in any crate that depends on the runtime.

mod expr;
mod names;
mod syntax;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{ToTokens, format_ident, quote};

use syntax::{
    arm, block, block_with, call, deref, fields, index, int_pat, let_, lit_int, lit_str, method,
    path, reference, reference_mut, semi, some, stmt,
};

use crate::ast::{Lifetime, Outcome, Platform};
use crate::ir::{self, Action, BlockKind};
use crate::lower::derived_state_id;
pub use names::{ident, pascal, snake};

/// What the generator was asked to do.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The file name shown in the `@generated` header.
    pub source_name: String,
    /// The flow file's text, hashed into the header so a stale file is recognisable.
    pub source_text: String,
}

/// Rust names chosen for a flow's names.
pub struct Names {
    /// Field per variable.
    pub vars: Vec<Ident>,
    /// Method per service.
    services: Vec<Ident>,
    /// Type prefix per service (`LookupParcel`).
    service_types: Vec<String>,
    /// Variant per state.
    states: Vec<Ident>,
    patterns: HashMap<String, usize>,
    pattern_list: Vec<String>,
}

impl Names {
    fn new(flow: &ir::Flow) -> Names {
        let mut fields = names::Unique::default();
        let vars = flow
            .variables
            .iter()
            .map(|v| ident(&fields.take(snake(&v.name))))
            .collect();
        let mut methods = names::Unique::default();
        let services = flow
            .services
            .iter()
            .map(|s| ident(&methods.take(snake(&s.name))))
            .collect();
        let mut types = names::Unique::with(&[
            "Flow", "Services", "Vars", "State", "Step", "INFO", "STATES", "BLOCKS",
        ]);
        let service_types = flow
            .services
            .iter()
            .map(|s| types.take(pascal(&s.name)))
            .collect();
        let mut variants = names::Unique::default();
        let states = flow
            .states
            .iter()
            .map(|s| ident(&variants.take(pascal(&flow.blocks[s.block].key))))
            .collect();
        let mut names = Names {
            vars,
            services,
            service_types,
            states,
            patterns: HashMap::new(),
            pattern_list: Vec::new(),
        };
        names.collect_patterns(flow);
        names
    }

    fn add_pattern(&mut self, p: &str) {
        if !self.patterns.contains_key(p) {
            self.patterns.insert(p.to_string(), self.pattern_list.len());
            self.pattern_list.push(p.to_string());
        }
    }

    /// The index of a pattern in `PATTERNS`.
    pub fn pattern(&self, p: &str) -> usize {
        self.patterns.get(p).copied().unwrap_or(0)
    }

    fn collect_patterns(&mut self, flow: &ir::Flow) {
        let mut found = Vec::new();
        let mut conditions: Vec<&ir::Expr> = Vec::new();
        let mut visit = |t: &ir::Template| {
            for part in &t.parts {
                if let ir::Part::Expr(e) = part {
                    patterns_of(e, &mut found);
                }
            }
        };
        let actions = flow.states.iter().flat_map(|s| {
            s.handlers
                .iter()
                .map(|(_, a)| a)
                .chain(s.otherwise.iter())
                .chain(s.dtmf.iter().map(|(_, a)| a))
        });
        let global = flow
            .global
            .handlers
            .iter()
            .map(|(_, a)| a)
            .chain(flow.global.otherwise.iter())
            .chain(flow.global.ending.iter());
        for action in actions.chain(global) {
            action.say.iter().for_each(&mut visit);
            action.set.iter().for_each(|(_, t)| visit(t));
        }
        for state in &flow.states {
            state
                .prompts
                .iter()
                .chain(state.reprompt.iter())
                .for_each(&mut visit);
        }
        for block in &flow.blocks {
            match &block.kind {
                BlockKind::End { say } | BlockKind::Back { say } => say.iter().for_each(&mut visit),
                BlockKind::Set { assignments, .. } => {
                    assignments.iter().for_each(|(_, t)| visit(t))
                }
                BlockKind::Transfer {
                    say,
                    refer_to,
                    headers,
                } => {
                    say.iter().for_each(&mut visit);
                    visit(refer_to);
                    headers.iter().for_each(|(_, t)| visit(t));
                }
                BlockKind::Condition { arms, .. } => {
                    arms.iter().for_each(|(e, _)| conditions.push(e))
                }
                _ => {}
            }
        }
        for e in conditions {
            patterns_of(e, &mut found);
        }
        for state in &flow.states {
            for (p, _) in &state.dtmf {
                found.push(p.clone());
            }
        }
        for p in found {
            self.add_pattern(&p);
        }
    }
}

fn patterns_of(e: &ir::Expr, out: &mut Vec<String>) {
    match e {
        ir::Expr::Call(f, args) => {
            if *f == crate::expr::Function::Matches
                && let Some(ir::Expr::Str(p)) = args.get(1)
            {
                out.push(p.clone());
            }
            args.iter().for_each(|a| patterns_of(a, out));
        }
        ir::Expr::Not(inner) => patterns_of(inner, out),
        ir::Expr::Binary(_, a, b) => {
            patterns_of(a, out);
            patterns_of(b, out);
        }
        _ => {}
    }
}

/// 64-bit FNV-1a: a small stable hash for the `@generated` header (not for security).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Generates the Rust module of a flow, formatted, with its `@generated` header.
pub fn generate(flow: &ir::Flow, settings: &Settings) -> Result<String, String> {
    let threads = if flow.blocks.len() < PARALLEL_BLOCKS {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    };
    let header = format!(
        "// @generated by flowc {} from {} (fnv1a64 {:016x}). Do not edit: change the flow and rebuild.\n\n",
        env!("CARGO_PKG_VERSION"),
        settings.source_name,
        fnv1a64(settings.source_text.as_bytes()),
    );
    format(flow, threads, header).map_err(|e| format!("internal error of the code generator: {e}"))
}

/// The module's tokens.
pub fn module(flow: &ir::Flow) -> TokenStream {
    match syntax_tree(flow) {
        Ok(file) => file.into_token_stream(),
        Err(e) => e.to_compile_error(),
    }
}

/// A group of consecutive items of the module, built and formatted on its own: the syntax trees of
/// different parts are independent, so large flows are formatted on several threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    Vars,
    States,
    Services,
    Statics,
    Flow,
    Prompts,
    LocalIntents,
    Actions,
    Blocks,
}

impl Part {
    /// Every part, in module order.
    const ALL: [Part; 9] = [
        Part::Vars,
        Part::States,
        Part::Services,
        Part::Statics,
        Part::Flow,
        Part::Prompts,
        Part::LocalIntents,
        Part::Actions,
        Part::Blocks,
    ];

    /// Every part, the largest first, so the last part a thread takes is a small one.
    const BY_SIZE: [Part; 9] = [
        Part::Blocks,
        Part::Prompts,
        Part::Actions,
        Part::Statics,
        Part::LocalIntents,
        Part::States,
        Part::Flow,
        Part::Services,
        Part::Vars,
    ];

    fn items(
        self,
        flow: &ir::Flow,
        handlers: &Handlers<'_>,
        names: &Names,
    ) -> syn::Result<Vec<syn::Item>> {
        syntax::with_delimiters(|| self.build(flow, handlers, names))
    }

    fn build(
        self,
        flow: &ir::Flow,
        handlers: &Handlers<'_>,
        names: &Names,
    ) -> syn::Result<Vec<syn::Item>> {
        match self {
            Part::Vars => items(vars(flow, names)),
            Part::States => states(flow, names),
            Part::Services => items(services(flow, names)),
            Part::Statics => statics(flow, names),
            Part::Flow => flow_impl(flow, handlers, names),
            Part::Prompts => prompts(flow, names),
            Part::LocalIntents => local_intents(handlers),
            Part::Actions => actions(handlers, names),
            Part::Blocks => blocks(flow, names),
        }
    }
}

/// Below this many blocks a flow is formatted on the calling thread alone: starting threads would cost
/// more than they save.
const PARALLEL_BLOCKS: usize = 1_000;

/// The stack of a helper thread: the usual main-thread stack (8 MiB), where a spawned thread gets 2 MiB.
const HELPER_STACK: usize = 8 << 20;

/// `text` followed by the formatted module: its shell (attributes, `use`s) and every part's items, the
/// parts formatted on up to `threads` threads and joined in module order, so the text does not depend on
/// the number of threads.
fn format(flow: &ir::Flow, threads: usize, mut text: String) -> Result<String, String> {
    // Handlers are plain data, numbered once and shared by every thread.
    let handlers = Handlers::new(flow);
    let part_text = |part: Part, names: &Names| {
        part.items(flow, &handlers, names)
            .and_then(format_items)
            .map_err(|e| e.to_string())
    };
    let next = AtomicUsize::new(0);
    let work = || {
        // `Names` holds `Ident`s, which cannot be shared between threads: each thread makes its own.
        let mut names = None;
        let mut done = Vec::new();
        while let Some(&part) = Part::BY_SIZE.get(next.fetch_add(1, Ordering::Relaxed)) {
            let names = names.get_or_insert_with(|| Names::new(flow));
            done.push((part, part_text(part, names)));
        }
        done
    };
    let threads = threads.clamp(1, Part::ALL.len());
    let mut parts = std::thread::scope(|scope| {
        // A helper that cannot be started leaves its parts to the others. Code and formatter recurse
        // as deep as the flow's expressions: a helper gets the stack the main thread usually has, so
        // that what fits does not depend on which thread takes a part.
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .stack_size(HELPER_STACK)
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        let mut parts = work();
        // A helper that panicked loses its parts: they are made again below.
        parts.extend(helpers.into_iter().filter_map(|h| h.join().ok()).flatten());
        parts
    });
    // On the calling thread, so that a panic that does not depend on the thread is the caller's, as it
    // is without helpers.
    let mut names = None;
    for part in Part::ALL {
        if !parts.iter().any(|(done, _)| *done == part) {
            let names = names.get_or_insert_with(|| Names::new(flow));
            parts.push((part, part_text(part, names)));
        }
    }
    parts.sort_by_key(|(part, _)| *part);
    let parts = parts
        .into_iter()
        .map(|(_, text)| text)
        .collect::<Result<Vec<_>, _>>()?;
    let shell = prettyplease::unparse(&shell(flow).map_err(|e| e.to_string())?);
    // The shell ends with the module's closing brace; the parts go before it.
    let shell = shell
        .strip_suffix("}\n")
        .ok_or("the module shell does not end with `}`")?;
    text.reserve(shell.len() + parts.iter().map(|p| p.len()).sum::<usize>() + 2);
    text.push_str(shell);
    for part in &parts {
        text.push_str(part_items(part));
    }
    text.push_str("}\n");
    Ok(text)
}

/// `items` formatted inside a module of their own, so that indentation and line breaks are those of the
/// whole file; [`part_items`] takes them out.
fn format_items(items: Vec<syn::Item>) -> syn::Result<String> {
    let empty = items.is_empty();
    let mut file: syn::File = syn::parse2(quote!(
        mod part {}
    ))?;
    module_items(&mut file)?.extend(items);
    let text = prettyplease::unparse(&file);
    if !empty && part_items(&text).is_empty() {
        return Err(internal("the part module's braces"));
    }
    Ok(text)
}

/// The first line of a formatted part.
const PART_START: &str = "mod part {\n";

/// The items of a part [`format_items`] formatted: its text without the stand-in module's first and last
/// lines (nothing for a part without items).
fn part_items(text: &str) -> &str {
    text.strip_prefix(PART_START)
        .and_then(|t| t.strip_suffix("}\n"))
        .unwrap_or("")
}

/// The module's attributes and `use` items, without the parts.
fn shell(flow: &ir::Flow) -> syn::Result<syn::File> {
    let module = ident(&flow.name);
    let doc = match &flow.description {
        Some(d) => format!(" {d}"),
        None => format!(" The `{}` dialog flow.", flow.name),
    };
    let doc_flow = format!(
        " Generated from flow `{}`: play it with `flowc_runtime::Engine::new(Flow::new(services))`.",
        flow.name
    );
    syn::parse2(quote! {
        #[doc = #doc]
        #[doc = ""]
        #[doc = #doc_flow]
        #[allow(
            dead_code,
            unused_variables,
            unused_mut,
            unused_imports,
            unreachable_patterns,
            non_snake_case,
            non_camel_case_types,
            clippy::all,
            clippy::pedantic,
            clippy::nursery,
            missing_docs
        )]
        pub mod #module {
            use ::flowc_runtime::__private as rt;
            use rt::Step;
        }
    })
}

/// The module's syntax tree: the fixed skeleton quoted and parsed, the parts that grow with the flow built
/// directly (see [`syntax`]).
fn syntax_tree(flow: &ir::Flow) -> syn::Result<syn::File> {
    let names = Names::new(flow);
    let handlers = Handlers::new(flow);
    let mut file = shell(flow)?;
    let mut items = Vec::new();
    for part in Part::ALL {
        items.extend(part.items(flow, &handlers, &names)?);
    }
    module_items(&mut file)?.extend(items);
    Ok(file)
}

/// The items of the module that is the first item of `file`.
fn module_items(file: &mut syn::File) -> syn::Result<&mut Vec<syn::Item>> {
    match file.items.first_mut() {
        Some(syn::Item::Mod(syn::ItemMod {
            content: Some((_, content)),
            ..
        })) => Ok(content),
        _ => Err(internal("the module")),
    }
}

/// The items `tokens` hold.
fn items(tokens: TokenStream) -> syn::Result<Vec<syn::Item>> {
    Ok(syn::parse2::<syn::File>(tokens)?.items)
}

/// An internal error: `what` is not where the generator put it.
fn internal(what: &str) -> syn::Error {
    syn::Error::new(
        proc_macro2::Span::call_site(),
        format!("{what} not found in the generated code"),
    )
}

/// The elements of the array that initialises static `name` among `items`.
fn array_of<'a>(
    items: &'a mut [syn::Item],
    name: &str,
) -> syn::Result<&'a mut syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>> {
    for item in items {
        if let syn::Item::Static(s) = item
            && s.ident == name
            && let syn::Expr::Array(array) = &mut *s.expr
        {
            return Ok(&mut array.elems);
        }
    }
    Err(internal(name))
}

/// Puts `arms` first in the `match` that is the body of method `name` of an `impl` among `items` (the
/// skeleton's `match` holds only the catch-all arm).
fn add_arms(
    items: &mut [syn::Item],
    name: &str,
    arms: impl IntoIterator<Item = syn::Arm>,
) -> syn::Result<()> {
    for item in items {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        for member in &mut block.items {
            if let syn::ImplItem::Fn(f) = member
                && f.sig.ident == name
                && let Some(syn::Stmt::Expr(syn::Expr::Match(m), _)) = f.block.stmts.last_mut()
            {
                m.arms.splice(0..0, arms);
                return Ok(());
            }
        }
    }
    Err(internal(name))
}

fn vars(flow: &ir::Flow, names: &Names) -> TokenStream {
    let fields = flow.variables.iter().zip(&names.vars).map(|(v, field)| {
        let doc = format!(" `{}` ({} lifetime).", v.name, lifetime_name(v.lifetime));
        quote!(#[doc = #doc] pub #field: rt::String,)
    });
    let defaults = flow.variables.iter().zip(&names.vars).map(|(v, field)| {
        let d = &v.default;
        if d.is_empty() {
            quote!(#field: rt::String::new(),)
        } else {
            quote!(#field: rt::String::from(#d),)
        }
    });
    quote! {
        /// The flow's storage variables, in declaration (= transaction) order.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct Vars { #(#fields)* }

        impl Default for Vars {
            fn default() -> Self {
                Vars { #(#defaults)* }
            }
        }
    }
}

fn lifetime_name(l: Lifetime) -> &'static str {
    match l {
        Lifetime::Session => "session",
        Lifetime::User => "user",
    }
}

fn states(flow: &ir::Flow, names: &Names) -> syn::Result<Vec<syn::Item>> {
    let mut items = items(quote! {
        /// The flow's waiting states; `State::index` is the engine's state number.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u32)]
        pub enum State {}

        impl State {
            /// The engine's number of this state.
            pub const fn index(self) -> rt::StateIx {
                self as rt::StateIx
            }

            /// The state with this number.
            pub const fn from_index(index: rt::StateIx) -> Option<State> {
                match index {
                    _ => None,
                }
            }

            /// The state's analytics reference.
            pub fn reference(self) -> &'static rt::StateRef {
                &STATES[self as usize]
            }
        }
    })?;
    let variants = flow
        .states
        .iter()
        .zip(&names.states)
        .enumerate()
        .map(|(i, (s, v))| syn::Variant {
            attrs: vec![syntax::doc(&format!(
                " `{}` in dialog `{}` (id `{}`).",
                s.name, s.dialog_name, s.id
            ))],
            ident: v.clone(),
            fields: syn::Fields::Unit,
            discriminant: Some((Default::default(), lit_int(i as u64))),
        });
    match items.first_mut() {
        Some(syn::Item::Enum(state)) => state.variants.extend(syntax::pairs(variants)),
        _ => return Err(internal("State")),
    }
    let from = names.states.iter().enumerate().map(|(i, v)| {
        let variant = syntax::path_of([syntax::name("State"), v.clone()]);
        arm(int_pat(i as u64), some(syntax::path_expr(variant)))
    });
    add_arms(&mut items, "from_index", from)?;
    Ok(items)
}

fn services(flow: &ir::Flow, names: &Names) -> TokenStream {
    let mut items = Vec::new();
    let mut methods = Vec::new();
    let mut adapters = Vec::new();
    for (index, service) in flow.services.iter().enumerate() {
        let prefix = &names.service_types[index];
        let input = format_ident!("{}Input", prefix);
        let branch = format_ident!("{}Branch", prefix);
        let output = format_ident!("{}Output", prefix);
        let method = &names.services[index];
        let name = &service.name;
        let input_fields: Vec<&Ident> = service.inputs.iter().map(|&v| &names.vars[v]).collect();
        let input_names: Vec<&str> = service
            .inputs
            .iter()
            .map(|&v| flow.variables[v].name.as_str())
            .collect();
        let output_fields: Vec<&Ident> = service.outputs.iter().map(|&v| &names.vars[v]).collect();
        let output_names: Vec<&str> = service
            .outputs
            .iter()
            .map(|&v| flow.variables[v].name.as_str())
            .collect();
        let mut variant_names = names::Unique::default();
        let variants: Vec<Ident> = service
            .branches
            .iter()
            .map(|b| ident(&variant_names.take(pascal(b))))
            .collect();
        let branch_names = &service.branches;
        let branch_docs = service.branches.iter().map(|b| format!(" Branch `{b}`."));
        let doc_input = format!(" Inputs of service `{name}`.");
        let doc_branch = format!(
            " The answers of service `{name}`; a failure is `Err(ServiceError)`, the `error` branch."
        );
        let doc_output =
            format!(" What service `{name}` answered: its branch and the outputs it set.");
        let doc_method =
            format!(" Calls service `{name}`; `context` tells which conversation and turn asks.");
        let input_docs = input_names.iter().map(|n| format!(" Variable `{n}`."));
        let output_docs = output_names
            .iter()
            .map(|n| format!(" New value of variable `{n}`; `None` keeps the old one."));
        let lifetime = if input_fields.is_empty() {
            quote!()
        } else {
            quote!(<'a>)
        };

        items.push(quote! {
            #[doc = #doc_input]
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            pub struct #input #lifetime { #( #[doc = #input_docs] pub #input_fields: &'a str, )* }

            #[doc = #doc_branch]
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            pub enum #branch { #( #[doc = #branch_docs] #variants, )* }

            impl #branch {
                /// The branch's name in the flow.
                pub const fn name(self) -> &'static str {
                    match self { #( #branch::#variants => #branch_names, )* }
                }

                /// The branch with this name.
                pub fn from_name(name: &str) -> Option<Self> {
                    match name { #( #branch_names => Some(#branch::#variants), )* _ => None }
                }
            }

            #[doc = #doc_output]
            #[derive(Debug, Clone, PartialEq, Eq)]
            pub struct #output {
                /// The branch taken.
                pub branch: #branch,
                #( #[doc = #output_docs] pub #output_fields: Option<rt::String>, )*
            }

            impl #output {
                /// An answer on `branch` that sets no outputs.
                pub fn new(branch: #branch) -> Self {
                    #output { branch, #( #output_fields: None, )* }
                }
            }
        });
        let input_type = if input_fields.is_empty() {
            quote!(#input)
        } else {
            quote!(#input<'_>)
        };
        methods.push(quote! {
            #[doc = #doc_method]
            fn #method(&self, input: #input_type, context: &rt::TurnContext) -> Result<#output, rt::ServiceError>;
        });
        adapters.push(quote! {
            fn #method(&self, input: #input_type, context: &rt::TurnContext) -> Result<#output, rt::ServiceError> {
                let reply = self.0.call(#name, &[ #( (#input_names, input.#input_fields), )* ], context)?;
                let Some(branch) = #branch::from_name(&reply.branch) else {
                    return Err(rt::unknown_branch(#name, &reply.branch));
                };
                let mut output = #output::new(branch);
                for (name, value) in reply.outputs {
                    match name.as_str() {
                        #( #output_names => output.#output_fields = Some(value), )*
                        _ => {}
                    }
                }
                Ok(output)
            }
        });
    }
    quote! {
        #(#items)*

        /// The flow's services: implement this trait, one method per service.
        pub trait Services: Send + Sync {
            #(#methods)*
        }

        /// Services called by name (stubs, HTTP, …) serve this flow too.
        impl<D: rt::DynamicServices> Services for rt::Dynamic<D> {
            #(#adapters)*
        }
    }
}

/// `rt::StateRef::from_static(id, name, dialog)`.
fn state_ref(id: &str, name: &str, dialog: &str) -> syn::Expr {
    call(
        "rt::StateRef::from_static",
        [lit_str(id), lit_str(name), lit_str(dialog)],
    )
}

fn statics(flow: &ir::Flow, names: &Names) -> syn::Result<Vec<syn::Item>> {
    let state_count = unsuffixed(flow.states.len() as u64);
    let block_count = unsuffixed(flow.blocks.len() as u64);
    let patterns = &names.pattern_list;
    let pattern_count = unsuffixed(patterns.len() as u64);
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
    let on_error = match flow.global.on_error {
        Some(b) => {
            let b = unsuffixed(b as u64);
            quote!(Some(#b))
        }
        None => quote!(None),
    };
    let global = state_ref(ir::GLOBAL_STATE_ID, &flow.global.name, "main");
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
    let mut items = items(quote! {
        #(#http_headers)*
        /// The HTTP endpoints the flow declares (`http:` on a service), for `flowc_runtime::HttpServices`.
        pub static HTTP_ENDPOINTS: [rt::HttpEndpoint; #http_count] = [ #(#http_endpoints)* ];
        /// Analytics references of the states, by state number.
        pub static STATES: [rt::StateRef; #state_count] = [];
        /// The reference of "no state".
        static NO_STATE: rt::StateRef = rt::StateRef::EMPTY;
        /// Analytics references of all blocks, by block number.
        pub static BLOCKS: [&rt::StateRef; #block_count] = [];
        /// DTMF and `matches()` patterns, checked when the flow was compiled.
        static PATTERNS: rt::LazyLock<[Option<rt::Pattern>; #pattern_count]> =
            rt::LazyLock::new(|| [ #( rt::Pattern::parse(#patterns).ok(), )* ]);
        #(#utterances)*
        static INTENTS: [rt::IntentSamples; #intent_count] = [ #(#intents)* ];
        /// Facts about the flow the engine needs.
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
            global_state: #global,
            intents: rt::Cow::Borrowed(&INTENTS),
        };
    })?;
    let states = flow
        .states
        .iter()
        .map(|s| state_ref(&s.id, &s.name, &s.dialog_name));
    array_of(&mut items, "STATES")?.extend(syntax::pairs(states));
    // A waiting block's reference is its state's: point at it instead of repeating it.
    let blocks = flow.blocks.iter().map(|b| match b.kind {
        BlockKind::Wait(s) => reference(index(path("STATES"), lit_int(s as u64))),
        _ => {
            let dialog = &flow.dialogs[b.dialog].name;
            let id = derived_state_id(&flow.name, dialog, &b.key);
            reference(state_ref(&id, &b.name, dialog))
        }
    });
    array_of(&mut items, "BLOCKS")?.extend(syntax::pairs(blocks));
    Ok(items)
}

/// Handlers numbered like the interpreter: per state its intents, else and DTMF, then the global ones.
struct Handlers<'f> {
    actions: Vec<&'f Action>,
    local: Vec<Vec<(&'f str, u32)>>,
    local_else: Vec<Option<u32>>,
    dtmf: Vec<Vec<(&'f str, u32)>>,
    global: Vec<(&'f str, u32)>,
    global_else: Option<u32>,
    ending: Option<u32>,
}

impl<'f> Handlers<'f> {
    fn new(flow: &'f ir::Flow) -> Self {
        let mut actions: Vec<&Action> = Vec::new();
        let mut add = |a: &'f Action| {
            actions.push(a);
            (actions.len() - 1) as u32
        };
        let mut local = Vec::new();
        let mut local_else = Vec::new();
        let mut dtmf = Vec::new();
        for state in &flow.states {
            local.push(first_per_intent(&state.handlers, &mut add));
            local_else.push(state.otherwise.as_ref().map(&mut add));
            dtmf.push(
                state
                    .dtmf
                    .iter()
                    .map(|(p, a)| (p.as_str(), add(a)))
                    .collect(),
            );
        }
        let global = first_per_intent(&flow.global.handlers, &mut add);
        let global_else = flow.global.otherwise.as_ref().map(&mut add);
        let ending = flow.global.ending.as_ref().map(&mut add);
        Handlers {
            actions,
            local,
            local_else,
            dtmf,
            global,
            global_else,
            ending,
        }
    }
}

/// Numbers every action with `add`; an intent is handled by its first handler (later ones are numbered,
/// like the interpreter numbers them, but never chosen).
fn first_per_intent<'f>(
    handlers: &'f [(String, Action)],
    add: &mut impl FnMut(&'f Action) -> u32,
) -> Vec<(&'f str, u32)> {
    let mut first: Vec<(&'f str, u32)> = Vec::new();
    for (intent, action) in handlers {
        let h = add(action);
        if !first.iter().any(|(i, _)| *i == intent.as_str()) {
            first.push((intent, h));
        }
    }
    first
}

/// `Some(v)` or `None`.
fn option_u32(v: Option<u32>) -> syn::Expr {
    syntax::option_int(v.map(u64::from))
}

/// The statement that says `template` (none without one).
fn say(template: &Option<ir::Template>, names: &Names) -> Vec<syn::Stmt> {
    let Some(t) = template else {
        return Vec::new();
    };
    let said = |m: &str, args: Vec<syn::Expr>| method(fields("scope.said"), m, args);
    // { let start = scope.said.begin(); { let out = scope.said.buffer(); … } scope.said.end(start); }
    let write = std::iter::once(let_("out", said("buffer", vec![])));
    let write = write.chain(expr::write(t, names)).collect();
    vec![stmt(block(vec![
        let_("start", said("begin", vec![])),
        stmt(block(write)),
        semi(said("end", vec![path("start")])),
    ]))]
}

fn assign(assignments: &[(usize, ir::Template)], names: &Names) -> Vec<syn::Stmt> {
    assignments
        .iter()
        .map(|(v, t)| {
            let field = || reference_mut(expr::var(*v, names));
            let reads_itself = t
                .parts
                .iter()
                .any(|p| matches!(p, ir::Part::Expr(e) if reads_var(e, *v)));
            match t.parts.as_slice() {
                // Literals and single values reuse the variable's buffer.
                [] => semi(method(expr::var(*v, names), "clear", [])),
                [ir::Part::Text(text)] => semi(call("rt::set", [field(), lit_str(text)])),
                [ir::Part::Expr(e)] if !reads_itself => {
                    semi(call("rt::set", [field(), expr::str_ref(e, names)]))
                }
                // Otherwise the value is built in the scratch buffer (it may read the variable itself) and
                // swapped in: no allocation once the buffers have grown.
                _ => {
                    // { let out = &mut *scope.scratch; out.clear(); …; ::std::mem::swap(&mut scope.vars.x, out); }
                    let mut stmts = vec![
                        let_("out", reference_mut(deref(fields("scope.scratch")))),
                        semi(method(path("out"), "clear", [])),
                    ];
                    stmts.extend(expr::write(t, names));
                    stmts.push(semi(call("::std::mem::swap", [field(), path("out")])));
                    stmt(block(stmts))
                }
            }
        })
        .collect()
}

/// True when `e` reads variable `v`.
fn reads_var(e: &ir::Expr, v: usize) -> bool {
    match e {
        ir::Expr::Var(x) => *x == v,
        ir::Expr::Not(inner) => reads_var(inner, v),
        ir::Expr::Binary(_, a, b) => reads_var(a, v) || reads_var(b, v),
        ir::Expr::Call(_, args) => args.iter().any(|a| reads_var(a, v)),
        _ => false,
    }
}

fn flow_impl(
    flow: &ir::Flow,
    handlers: &Handlers<'_>,
    names: &Names,
) -> syn::Result<Vec<syn::Item>> {
    let state_count = unsuffixed(flow.states.len() as u64);
    let session_resets = flow
        .variables
        .iter()
        .zip(&names.vars)
        .filter(|(v, _)| v.lifetime == Lifetime::Session)
        .map(|(v, f)| {
            let d = &v.default;
            if d.is_empty() {
                quote!(vars.#f.clear();)
            } else {
                quote!(vars.#f.clear(); vars.#f.push_str(#d);)
            }
        });
    let var_names: Vec<&str> = flow.variables.iter().map(|v| v.name.as_str()).collect();
    let var_count = unsuffixed(var_names.len() as u64);
    let var_fields = &names.vars;
    let user: Vec<&Ident> = flow
        .variables
        .iter()
        .zip(&names.vars)
        .filter(|(v, _)| v.lifetime == Lifetime::User)
        .map(|(_, f)| f)
        .collect();
    let user_index = (0..user.len())
        .map(|i| unsuffixed(i as u64))
        .collect::<Vec<_>>();
    let has_user = !user.is_empty();
    let user_count = unsuffixed(user.len() as u64);
    let state_json: Vec<String> = flow
        .states
        .iter()
        .map(|s| {
            flowc_runtime::json::state_fragment(&flowc_runtime::StateRef::new(
                s.id.clone(),
                s.name.clone(),
                s.dialog_name.clone(),
            ))
        })
        .collect();
    let global_json = flowc_runtime::json::state_fragment(&flowc_runtime::StateRef::new(
        ir::GLOBAL_STATE_ID,
        flow.global.name.clone(),
        "main",
    ));
    let variable_prefixes: Vec<String> = flow
        .variables
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                "{}{}",
                if i == 0 { "[" } else { "}," },
                flowc_runtime::json::variable_prefix(&v.name)
            )
        })
        .collect();
    let variables_end = if flow.variables.is_empty() {
        "[]"
    } else {
        "}]"
    };
    let global_arms = handlers.global.iter().map(|(intent, h)| {
        let h = unsuffixed(u64::from(*h));
        quote!(#intent => Some(#h),)
    });
    let global_else = option_u32(handlers.global_else);
    let ending = option_u32(handlers.ending);
    // The arrays and the `match`es that grow with the flow are filled in below.
    let mut items = items(quote! {
        static PROMPT_COUNTS: [u32; #state_count] = [];
        /// The states' references as pre-escaped JSON, written into transactions as they are.
        static STATE_JSON: [&str; #state_count] = [];

        /// The flow, ready for `flowc_runtime::Engine::new`.
        pub struct Flow<S> {
            services: S,
        }

        impl<S: Services> Flow<S> {
            /// The flow calling `services`.
            pub const fn new(services: S) -> Self {
                Flow { services }
            }

            /// The flow's services.
            pub fn services(&self) -> &S {
                &self.services
            }
        }

        impl<S: Services> rt::Flow for Flow<S> {
            type Vars = Vars;

            fn info(&self) -> &rt::FlowInfo {
                &INFO
            }

            fn new_vars(&self) -> Vars {
                Vars::default()
            }

            fn reset_session(&self, vars: &mut Vars) {
                #(#session_resets)*
            }

            fn write_variables(&self, vars: &Vars, out: &mut rt::Vec<rt::Variable>) {
                out.reserve(#var_count);
                #( out.push(rt::Variable {
                    id: rt::Cow::Borrowed(#var_names),
                    name: rt::Cow::Borrowed(#var_names),
                    value: vars.#var_fields.clone(),
                }); )*
            }

            fn save_user(&self, vars: &Vars, out: &mut rt::Vec<rt::String>) {
                out.resize(#user_count, rt::String::new());
                #( if let Some(slot) = out.get_mut(#user_index) { slot.clone_from(&vars.#user); } )*
            }

            fn load_user(&self, vars: &mut Vars, saved: &[rt::String]) {
                #( if let Some(value) = saved.get(#user_index) { vars.#user.clone_from(value); } )*
            }

            fn has_user_vars(&self) -> bool {
                #has_user
            }

            fn state_json(&self, state: rt::StateIx) -> Option<&str> {
                STATE_JSON.get(state as usize).copied()
            }

            fn global_state_json(&self) -> Option<&str> {
                Some(#global_json)
            }

            fn write_variables_json(&self, vars: &Vars, mask: bool, out: &mut rt::Vec<u8>) -> bool {
                #(
                    out.extend_from_slice(#variable_prefixes.as_bytes());
                    rt::json::personal(out, &vars.#var_fields, mask);
                )*
                out.extend_from_slice(#variables_end.as_bytes());
                true
            }

            fn state(&self, state: rt::StateIx) -> &rt::StateRef {
                STATES.get(state as usize).unwrap_or(&NO_STATE)
            }

            fn block(&self, block: rt::BlockIx) -> &rt::StateRef {
                BLOCKS.get(block as usize).copied().unwrap_or(&NO_STATE)
            }

            fn prompt_count(&self, state: rt::StateIx) -> u32 {
                PROMPT_COUNTS.get(state as usize).copied().unwrap_or(0)
            }

            fn write_prompt(&self, state: rt::StateIx, index: u32, scope: &rt::View<'_, Vars>, out: &mut rt::String) {
                self.prompt(state, index, scope, out)
            }

            fn write_reprompt(&self, state: rt::StateIx, scope: &rt::View<'_, Vars>, out: &mut rt::String) -> bool {
                match state {
                    _ => false,
                }
            }

            fn local_intent(&self, state: rt::StateIx, intent: &str) -> Option<rt::HandlerIx> {
                self.local_handler(state, intent)
            }

            fn local_dtmf(&self, state: rt::StateIx, digits: &str) -> Option<rt::HandlerIx> {
                match state {
                    _ => None,
                }
            }

            fn local_else(&self, state: rt::StateIx) -> Option<rt::HandlerIx> {
                match state {
                    _ => None,
                }
            }

            fn global_intent(&self, intent: &str) -> Option<rt::HandlerIx> {
                match intent {
                    #(#global_arms)*
                    _ => None,
                }
            }

            fn global_else(&self) -> Option<rt::HandlerIx> {
                #global_else
            }

            fn ending(&self) -> Option<rt::HandlerIx> {
                #ending
            }

            fn run_handler(&self, handler: rt::HandlerIx, scope: &mut rt::Scope<'_, Vars>) -> rt::BlockIx {
                self.action(handler, scope)
            }

            fn run_block(&self, block: rt::BlockIx, scope: &mut rt::Scope<'_, Vars>) -> Step {
                self.step(block, scope)
            }
        }
    })?;
    let prompt_counts = flow
        .states
        .iter()
        .map(|s| syntax::lit_number(s.prompts.len() as u64));
    array_of(&mut items, "PROMPT_COUNTS")?.extend(syntax::pairs(prompt_counts));
    array_of(&mut items, "STATE_JSON")?
        .extend(syntax::pairs(state_json.iter().map(|j| lit_str(j))));
    let reprompts = flow.states.iter().enumerate().filter_map(|(s, state)| {
        let t = state.reprompt.as_ref()?;
        let body = block_with(expr::write(t, names), syntax::lit_bool(true));
        Some(arm(int_pat(s as u64), body))
    });
    add_arms(&mut items, "write_reprompt", reprompts)?;
    let dtmf = handlers
        .dtmf
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
        .map(|(s, list)| {
            // if PATTERNS[i].as_ref().is_some_and(|p| p.is_match(digits)) { return Some(h); } … None
            let tests = list.iter().map(|(p, h)| {
                let test = syntax::closure("p", method(path("p"), "is_match", [path("digits")]));
                let found = vec![semi(syntax::ret(some_handler(*h)))];
                stmt(syntax::if_then(
                    expr::pattern_test(names.pattern(p), test),
                    found,
                ))
            });
            arm(int_pat(s as u64), block_with(tests, path("None")))
        });
    add_arms(&mut items, "local_dtmf", dtmf)?;
    let local_else = handlers
        .local_else
        .iter()
        .enumerate()
        .filter_map(|(s, h)| h.map(|h| arm(int_pat(s as u64), some_handler(h))));
    add_arms(&mut items, "local_else", local_else)?;
    Ok(items)
}

/// `Some(h)` for handler number `h`.
fn some_handler(h: u32) -> syn::Expr {
    some(lit_int(u64::from(h)))
}

/// `rt::Flow::write_prompt`: one arm per prompt of each state.
fn prompts(flow: &ir::Flow, names: &Names) -> syn::Result<Vec<syn::Item>> {
    let mut items = items(quote! {
        impl<S: Services> Flow<S> {
            /// Appends prompt number `index` of `state` to `out` (`rt::Flow::write_prompt`).
            fn prompt(&self, state: rt::StateIx, index: u32, scope: &rt::View<'_, Vars>, out: &mut rt::String) {
                match (state, index) {
                    _ => {}
                }
            }
        }
    })?;
    let prompts = flow.states.iter().enumerate().flat_map(|(s, state)| {
        state.prompts.iter().enumerate().map(move |(i, t)| {
            arm(
                syntax::tuple_pat([int_pat(s as u64), int_pat(i as u64)]),
                block(expr::write(t, names)),
            )
        })
    });
    add_arms(&mut items, "prompt", prompts)?;
    Ok(items)
}

/// `rt::Flow::local_intent`: the caller's intent found by hash among the intents the states handle
/// (`rt::dispatch`), then one arm per intent handler of a state, matched by intent number.
fn local_intents(handlers: &Handlers<'_>) -> syn::Result<Vec<syn::Item>> {
    let mut names: Vec<&str> = handlers
        .local
        .iter()
        .flatten()
        .map(|(intent, _)| *intent)
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
    let local = handlers.local.iter().enumerate().flat_map(|(s, list)| {
        list.iter().map(move |(intent, h)| {
            let pattern = syntax::tuple_pat([int_pat(s as u64), int_pat(number(intent))]);
            arm(pattern, some_handler(*h))
        })
    });
    add_arms(&mut items, "local_handler", local)?;
    Ok(items)
}

/// `rt::Flow::run_handler`: one arm per handler.
fn actions(handlers: &Handlers<'_>, names: &Names) -> syn::Result<Vec<syn::Item>> {
    let fallback_block = unsuffixed(0);
    let mut items = items(quote! {
        impl<S: Services> Flow<S> {
            /// Runs the action of `handler`: the block the turn goes on at (`rt::Flow::run_handler`).
            fn action(&self, handler: rt::HandlerIx, scope: &mut rt::Scope<'_, Vars>) -> rt::BlockIx {
                match handler {
                    _ => #fallback_block,
                }
            }
        }
    })?;
    let run_handlers = handlers.actions.iter().enumerate().map(|(h, action)| {
        let stmts = say(&action.say, names)
            .into_iter()
            .chain(assign(&action.set, names));
        arm(
            int_pat(h as u64),
            block_with(stmts, lit_int(action.goto as u64)),
        )
    });
    add_arms(&mut items, "action", run_handlers)?;
    Ok(items)
}

/// `rt::Flow::run_block`: one arm per block.
fn blocks(flow: &ir::Flow, names: &Names) -> syn::Result<Vec<syn::Item>> {
    let mut items = items(quote! {
        impl<S: Services> Flow<S> {
            /// Runs `block` (`rt::Flow::run_block`).
            fn step(&self, block: rt::BlockIx, scope: &mut rt::Scope<'_, Vars>) -> Step {
                match block {
                    _ => Step::Wait(0),
                }
            }
        }
    })?;
    let blocks = flow
        .blocks
        .iter()
        .enumerate()
        .map(|(b, block)| Ok(arm(int_pat(b as u64), block_body(flow, block, names)?)))
        .collect::<syn::Result<Vec<_>>>()?;
    add_arms(&mut items, "step", blocks)?;
    Ok(items)
}

fn block_body(flow: &ir::Flow, block: &ir::Block, names: &Names) -> syn::Result<syn::Expr> {
    let next = |target: usize| call("Step::Next", [lit_int(target as u64)]);
    Ok(match &block.kind {
        BlockKind::Wait(s) => call("Step::Wait", [lit_int(*s as u64)]),
        BlockKind::End { say: words } => block_with(say(words, names), path("Step::End")),
        BlockKind::Back { say: words } => block_with(say(words, names), path("Step::Back")),
        BlockKind::Condition { arms, otherwise } => {
            // { if test { return Step::Next(target); } … Step::Next(otherwise) }
            let tests = arms.iter().map(|(e, target)| {
                let taken = vec![semi(syntax::ret(next(*target)))];
                stmt(syntax::if_then(expr::boolean(e, names), taken))
            });
            block_with(tests, next(*otherwise))
        }
        BlockKind::Set {
            assignments,
            next: to,
        } => block_with(assign(assignments, names), next(*to)),
        BlockKind::Call {
            dialog,
            success,
            failure,
        } => syntax::structure(
            "Step::Call",
            [
                ("entry", lit_int(flow.dialogs[*dialog].entry as u64)),
                ("success", option_u32(success.map(|b| b as u32))),
                ("failure", option_u32(failure.map(|b| b as u32))),
            ],
        ),
        BlockKind::Exit(outcome) => {
            let outcome = match outcome {
                Outcome::Success => "rt::Outcome::Success",
                Outcome::Failure => "rt::Outcome::Failure",
            };
            call("Step::Exit", [path(outcome)])
        }
        // Transfers and service calls are rare and intricate: quoted and parsed one block at a time.
        BlockKind::Transfer {
            say: words,
            refer_to,
            headers,
        } => {
            let said = say(words, names);
            let refer_to = expr::string(refer_to, names);
            let headers = headers.iter().map(|(name, value)| {
                let value = expr::string(value, names);
                quote!(rt::SipHeader { name: rt::String::from(#name), value: #value },)
            });
            syntax::parse_expr(quote!({
                #(#said)*
                let refer_to = #refer_to;
                Step::Transfer { refer_to, headers: vec![ #(#headers)* ] }
            }))?
        }
        BlockKind::Service {
            service,
            branches,
            error,
        } => {
            let decl = &flow.services[*service];
            let prefix = &names.service_types[*service];
            let input = format_ident!("{}Input", prefix);
            let branch_type = format_ident!("{}Branch", prefix);
            let method = &names.services[*service];
            let input_fields: Vec<&Ident> = decl.inputs.iter().map(|&v| &names.vars[v]).collect();
            let output_fields: Vec<&Ident> = decl.outputs.iter().map(|&v| &names.vars[v]).collect();
            let mut variant_names = names::Unique::default();
            let variants: Vec<Ident> = decl
                .branches
                .iter()
                .map(|b| ident(&variant_names.take(pascal(b))))
                .collect();
            let targets = branches.iter().map(|b| unsuffixed(*b as u64));
            let route = option_u32(error.map(|b| b as u32));
            let service_name = &decl.name;
            let block_key = &block.key;
            let call_input = if input_fields.is_empty() {
                quote!(#input {})
            } else {
                quote!(#input { #( #input_fields: scope.vars.#input_fields.as_str(), )* })
            };
            syntax::parse_expr(quote!({
                let answer = self.services.#method(#call_input, scope.context);
                match answer {
                    Ok(output) => {
                        #( if let Some(value) = output.#output_fields { scope.vars.#output_fields = value; } )*
                        let next = match output.branch { #( #branch_type::#variants => #targets, )* };
                        Step::Service(rt::ServiceResult::Answered { next, status: rt::Cow::Borrowed("ok") })
                    }
                    Err(error) => Step::Service(rt::ServiceResult::Failed {
                        message: rt::failure_message(#service_name, #block_key, &error),
                        status: rt::Cow::Owned(error.status),
                        route: #route,
                    }),
                }
            }))?
        }
    })
}

/// An integer literal without a type suffix (`3`, not `3u32`): the context gives the type.
fn unsuffixed(n: u64) -> Literal {
    Literal::u64_unsuffixed(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(source: &str) -> ir::Flow {
        crate::compile_source("flow.yaml", source)
            .unwrap_or_else(|c| panic!("{:?}", c.diagnostics))
            .0
    }

    #[test]
    fn parts_format_like_the_whole_module_on_any_number_of_threads() {
        for source in [
            include_str!("../../../flows/parcel_tracking.yaml"),
            include_str!("../../../flows/appointment_booking.yaml"),
        ] {
            let flow = flow(source);
            let whole = prettyplease::unparse(&syntax_tree(&flow).unwrap());
            for threads in [1, 2, 3, 16] {
                let text = format(&flow, threads, String::new()).unwrap();
                assert_eq!(text, whole, "{threads} threads");
            }
        }
    }
}
