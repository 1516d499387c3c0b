//! Formatting the module part by part: each [`Part`]'s items are built and formatted on their own, on
//! several threads for large flows, and the texts joined in module order, so the result is the text of
//! the whole module formatted at once, whatever the number of threads.

use std::sync::atomic::{AtomicUsize, Ordering};

use quote::quote;

use super::flow_impl::IMPL;
use super::skeleton::{internal, module_items};
use super::{Built, Names, Part, shell};
use crate::ir;

/// Below this many blocks a flow is formatted on the calling thread alone: starting threads would cost
/// more than they save.
const PARALLEL_BLOCKS: usize = 1_000;

/// The stack of a helper thread: the usual main-thread stack (8 MiB), where a spawned thread gets 2 MiB.
const HELPER_STACK: usize = 8 << 20;

/// `text` followed by the formatted module: its shell (attributes, `use`s) and every part's items, the
/// parts formatted on up to `threads` threads and joined in module order, so the text does not depend on
/// the number of threads.
pub(super) fn format(flow: &ir::Flow, threads: usize, mut text: String) -> Result<String, String> {
    let part_text = |part: Part, names: &Names| {
        part.syntax(flow, names)
            .and_then(|built| match built {
                Built::Items(items) => format_items(items),
                Built::Members(members) => format_members(members),
            })
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
    text.reserve(shell.len() + parts.iter().map(|p| p.len()).sum::<usize>() + IMPL.len() + 8);
    text.push_str(shell);
    for (part, formatted) in Part::ALL.iter().zip(&parts) {
        if *part == Part::Head {
            text.push_str(IMPL);
        }
        text.push_str(formatted);
    }
    // The `impl rt::Flow`'s closing brace, then the module's.
    text.push_str("    }\n}\n");
    Ok(text)
}

/// `items` formatted inside a module of their own, so that indentation and line breaks are those of the
/// whole file, without the stand-in module's lines ([`part_items`]).
fn format_items(items: Vec<syn::Item>) -> syn::Result<String> {
    let empty = items.is_empty();
    let mut file: syn::File = syn::parse2(quote!(
        mod part {}
    ))?;
    module_items(&mut file)?.extend(items);
    let text = prettyplease::unparse(&file);
    let items = part_items(&text);
    if !empty && items.is_empty() {
        return Err(internal("the part module's braces"));
    }
    Ok(items.to_string())
}

/// `members` formatted inside the `impl rt::Flow` inside a module of their own, so that indentation and
/// line breaks are those of the whole file, without the stand-in lines around them.
fn format_members(members: Vec<syn::ImplItem>) -> syn::Result<String> {
    let mut file: syn::File = syn::parse2(quote!(
        mod part {}
    ))?;
    module_items(&mut file)?.push(super::flow_impl::flow_impl(members)?);
    let text = prettyplease::unparse(&file);
    part_items(&text)
        .strip_prefix(IMPL)
        .and_then(|t| t.strip_suffix("    }\n"))
        .map(str::to_string)
        .ok_or_else(|| internal("the `impl rt::Flow` of a part"))
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

/// How many threads format `flow`: one below [`PARALLEL_BLOCKS`] blocks, else as many as the machine has.
pub(super) fn threads(flow: &ir::Flow) -> usize {
    if flow.blocks.len() < PARALLEL_BLOCKS {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}
