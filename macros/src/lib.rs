//! `flow!` — compiles a YAML dialog flow into a Rust module while the calling crate compiles.
//!
//! The macro is a thin shell over the `flowc` compiler library: it reads the flow, checks it, and expands to
//! the same module that `flowc::Builder` writes from a build script (`pub mod <flow name> { … }` with the
//! flow's `Vars`, `State`, `Services` and `Flow<S>`): the build-script and the macro front doors share one
//! generator.
//!
//! # Two forms
//!
//! A file, relative to the calling crate's `CARGO_MANIFEST_DIR` (the folder of its Cargo.toml):
//!
//! ```ignore
//! flowc_macros::flow!("flows/parcel_tracking.yaml");
//! ```
//!
//! Inline YAML:
//!
//! ```
//! flowc_macros::flow!(yaml = r#"
//! flow: greeter
//! dialogs:
//!   main:
//!     start:
//!       say: "Hello!"
//!       else: bye
//!     blocks:
//!       bye:
//!         end: { say: "Goodbye!" }
//! "#);
//!
//! use flowc_runtime::{Dynamic, Engine, NoServices};
//!
//! let engine = Engine::new(greeter::Flow::new(Dynamic(NoServices)));
//! let welcome = r#"{"callMeta": {"sessionId": "session-1", "callerId": "+4930000000"}, "event": "WELCOME"}"#;
//! let turn = engine.handle_phone_json(welcome).unwrap();
//! assert_eq!(turn.response.prompt, "Hello!");
//! ```
//!
//! Both expand in item position to `pub mod <flow name> { … }`, the tokens `flowc::codegen::module` makes
//! (the build script writes the same tokens, formatted, to a file); play the flow with
//! `flowc_runtime::Engine::new(<flow name>::Flow::new(services))`, where `services` implements the
//! module's typed `Services` trait (or is `flowc_runtime::Dynamic` over services called by name).
//!
//! # The calling crate depends on `flowc-runtime`
//!
//! Generated code names the runtime by absolute path (`::flowc_runtime::__private`), so every crate that
//! calls `flow!` must list `flowc-runtime` among its own dependencies, next to `flowc-macros`:
//!
//! ```toml
//! [dependencies]
//! flowc-macros = "0.1"
//! flowc-runtime = "0.1"
//! ```
//!
//! # Rebuilds
//!
//! The file form makes cargo recompile the calling crate when the YAML file changes: the expansion holds a
//! hidden `const _: &[u8] = include_bytes!("…");` of the file, which puts the file into the crate's
//! dependency info. The absolute path exists only inside the expansion.
//!
//! # Errors
//!
//! A flow with errors expands to one `compile_error!` per error, pointing at the macro's string literal, and to
//! no module, so rustc adds no follow-on errors:
//!
//! ```text
//! error: flows/parcel.yaml:31:39: error[E010]: no block `lokup` in dialog `main`
//!        help: did you mean `lookup`?
//! ```
//!
//! The file is named as written in the macro call. Inline YAML is named `<inline yaml>`, and its line
//! numbers count lines of the string literal's content (the line right after `r#"` is line 2 when the
//! literal starts with a line break). Bad macro input (not a string literal, a key other than `yaml`, a file
//! that cannot be read) is a `compile_error!` too; the macro never panics.
//!
//! # Warnings
//!
//! A flow's warnings stay warnings, with or without errors beside them. Proc macros cannot emit warnings on
//! stable Rust, so each becomes the use of a deprecated constant whose note is the diagnostic:
//!
//! ```text
//! warning: use of deprecated constant `_::FLOWC_WARNING`: flows/hotline.yaml:4:3: warning[W029]: intent `Complaint` is never handled
//!          help: handle it in a state's or the global block's `on:`, or remove it
//! ```
//!
//! `#![allow(deprecated)]` on the enclosing module silences them; `#![deny(warnings)]` makes them errors, like
//! every warning.

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;
use syn::LitStr;
use syn::parse::{Parse, ParseStream};

/// The name inline YAML carries in diagnostics.
const INLINE_LABEL: &str = "<inline yaml>";

/// Compiles a YAML dialog flow into `pub mod <flow name> { … }`.
///
/// `flow!("flows/x.yaml")` reads the file relative to the calling crate's `CARGO_MANIFEST_DIR`;
/// `flow!(yaml = r#"…"#)` takes the flow inline. The calling crate must depend on `flowc-runtime`. A flow
/// with errors becomes one `compile_error!` per diagnostic, each with the YAML `file:line:col`. See the
/// [crate docs](crate) for details.
#[proc_macro]
pub fn flow(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let input = TokenStream::from(input);
    // The compiler never panics on any input by design; should a bug make it do so anyway, report it as an
    // ordinary compile error instead of an opaque "proc macro panicked".
    let expanded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        expand(input, manifest_dir.as_deref())
    }))
    .unwrap_or_else(|_| {
        error(
            Span::call_site(),
            "internal error: the flowc compiler panicked on this flow; please report it with the flow",
        )
    });
    expanded.into()
}

/// What the macro was given.
enum Input {
    /// `flow!("flows/x.yaml")`.
    File(LitStr),
    /// `flow!(yaml = r#"…"#)`.
    Inline(LitStr),
}

const USAGE: &str = "expected a flow file path, `flow!(\"flows/x.yaml\")`, or inline YAML, `flow!(yaml = r#\"…\"#)`";

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let parsed = if input.peek(LitStr) {
            Input::File(input.parse()?)
        } else if input.peek(syn::Ident) && input.peek2(syn::Token![=]) {
            let key: syn::Ident = input.parse()?;
            if key != "yaml" {
                return Err(syn::Error::new(
                    key.span(),
                    format!("unknown key `{key}`: {USAGE}"),
                ));
            }
            input.parse::<syn::Token![=]>()?;
            if !input.peek(LitStr) {
                return Err(
                    input.error("expected a string literal with the flow's YAML after `yaml =`")
                );
            }
            Input::Inline(input.parse()?)
        } else {
            return Err(input.error(USAGE));
        };
        if input.peek(syn::Token![,]) {
            input.parse::<syn::Token![,]>()?;
        }
        if !input.is_empty() {
            return Err(input.error(format!("unexpected input after the flow: {USAGE}")));
        }
        Ok(parsed)
    }
}

/// The whole expansion: the flow's module, or only `compile_error!`s.
fn expand(input: TokenStream, manifest_dir: Option<&Path>) -> TokenStream {
    let input: Input = match syn::parse2(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    match input {
        Input::Inline(lit) => compile(INLINE_LABEL, &lit.value(), lit.span(), None),
        Input::File(lit) => {
            let written = lit.value();
            let span = lit.span();
            if written.trim().is_empty() {
                return error(span, format!("the flow file path is empty: {USAGE}"));
            }
            let Some(dir) = manifest_dir else {
                return error(
                    span,
                    "CARGO_MANIFEST_DIR is not set, so the flow file path cannot be resolved: build with \
                     cargo, or give the flow inline with `flow!(yaml = r#\"…\"#)`",
                );
            };
            let full = dir.join(&written);
            match std::fs::read_to_string(&full) {
                Ok(source) => compile(&written, &source, span, Some(&full)),
                Err(e) => error(
                    span,
                    format!(
                        "cannot read flow file {written}: {e}\nhelp: the path is relative to the calling \
                         crate's CARGO_MANIFEST_DIR (the folder of its Cargo.toml)"
                    ),
                ),
            }
        }
    }
}

/// Compiles one flow: its module (plus the rebuild trigger for a file), or one `compile_error!` per
/// diagnostic.
fn compile(label: &str, source: &str, span: Span, file: Option<&Path>) -> TokenStream {
    match flowc::compile_source(label, source) {
        Ok((ir, checked)) => {
            let mut tokens = flowc::codegen::module(&ir);
            for message in messages(&checked.diagnostics, label) {
                tokens.extend(warning(span, &message));
            }
            if let Some(file) = file {
                let path = file.to_string_lossy();
                tokens.extend(quote_spanned! {span=>
                    const _: &[u8] = ::core::include_bytes!(#path);
                });
            }
            tokens
        }
        Err(checked) => {
            let mut tokens = TokenStream::new();
            let (errors, warnings): (Vec<_>, Vec<_>) = checked
                .diagnostics
                .iter()
                .cloned()
                .partition(flowc::Diagnostic::is_error);
            for message in messages(&errors, label) {
                tokens.extend(error(span, message));
            }
            let errors_found = !tokens.is_empty();
            for message in messages(&warnings, label) {
                tokens.extend(warning(span, &message));
            }
            if !errors_found {
                // Not reachable today (a failed compile always carries a diagnostic); never expand to an
                // empty success for a flow that did not compile.
                tokens = error(span, format!("{label}: the flow could not be compiled"));
            }
            tokens
        }
    }
}

/// One message per diagnostic: `file:line:col: error[E010]: …`, then `help:` and `note:` lines.
fn messages(diagnostics: &[flowc::Diagnostic], label: &str) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| {
            let mut message = flowc::render::one_line(d, label);
            if let Some(help) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            for (span, note) in &d.related {
                message.push_str(&format!(
                    "\nnote: {label}:{}:{}: {note}",
                    span.line, span.column
                ));
            }
            message
        })
        .collect()
}

/// A warning with `message`, at `span`. Proc macros cannot emit warnings on stable Rust; the stable idiom is
/// the use of a deprecated item, whose note rustc prints as a warning (`use of deprecated constant …: <note>`)
/// that `allow(deprecated)` silences and `-D warnings` turns into an error, as with any warning.
fn warning(span: Span, message: &str) -> TokenStream {
    quote_spanned! {span=>
        const _: () = {
            #[deprecated(note = #message)]
            const FLOWC_WARNING: () = ();
            FLOWC_WARNING
        };
    }
}

/// `compile_error!` with `message`, at `span`.
fn error(span: Span, message: impl AsRef<str>) -> TokenStream {
    let message = message.as_ref();
    quote_spanned! {span=> ::core::compile_error! { #message } }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn manifest() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    /// The string arguments of every `compile_error!` in an expansion.
    fn errors(tokens: &TokenStream) -> Vec<String> {
        let file: syn::File = syn::parse2(tokens.clone()).expect("expansion parses as items");
        file.items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Macro(m) if is_compile_error(m) => {
                    Some(m.mac.parse_body::<LitStr>().expect("string").value())
                }
                _ => None,
            })
            .collect()
    }

    fn is_compile_error(m: &syn::ItemMacro) -> bool {
        m.mac
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "compile_error")
    }

    #[test]
    fn a_file_flow_expands_to_its_module_and_a_rebuild_trigger() {
        let out = expand(quote!("tests/flows/ok.yaml"), Some(&manifest()));
        assert!(errors(&out).is_empty(), "{out}");
        let text = out.to_string();
        assert!(text.contains("pub mod ok_flow"), "{text}");
        assert!(text.contains("include_bytes"), "{text}");
    }

    #[test]
    fn file_diagnostics_name_the_path_as_written() {
        let out = expand(quote!("tests/flows/bad_target.yaml"), Some(&manifest()));
        let errors = errors(&out);
        assert!(!errors.is_empty(), "{out}");
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("tests/flows/bad_target.yaml:") && e.contains("error[E010]")),
            "{errors:?}"
        );
        assert!(errors.iter().any(|e| e.contains("\nhelp: ")), "{errors:?}");
        // Nothing but the errors: no module, no rebuild trigger, no absolute path.
        assert!(!out.to_string().contains("pub mod"), "{out}");
        assert!(
            !out.to_string().contains(env!("CARGO_MANIFEST_DIR")),
            "{out}"
        );
    }

    #[test]
    fn a_missing_file_names_the_path_as_written() {
        let out = expand(quote!("tests/flows/nope.yaml"), Some(&manifest()));
        let errors = errors(&out);
        assert_eq!(errors.len(), 1, "{out}");
        assert!(
            errors[0].starts_with("cannot read flow file tests/flows/nope.yaml: "),
            "{errors:?}"
        );
        assert!(
            !errors[0].contains(env!("CARGO_MANIFEST_DIR")),
            "{errors:?}"
        );
    }

    #[test]
    fn without_a_manifest_dir_the_file_form_is_an_error() {
        let errors = errors(&expand(quote!("tests/flows/ok.yaml"), None));
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("CARGO_MANIFEST_DIR"), "{errors:?}");
    }

    #[test]
    fn bad_macro_input_is_a_compile_error() {
        for input in [
            quote!(),
            quote!(42),
            quote!(path = "x.yaml"),
            quote!(yaml = 5),
            quote!(yaml),
            quote!("a.yaml", "b.yaml"),
            quote!(""),
        ] {
            let out = expand(input.clone(), Some(&manifest()));
            let errors = errors(&out);
            assert_eq!(errors.len(), 1, "{input}: {out}");
        }
    }

    /// The notes of every warning item (`#[deprecated(note = …)]`) in an expansion.
    fn warnings(tokens: &TokenStream) -> Vec<String> {
        let file: syn::File = syn::parse2(tokens.clone()).expect("expansion parses as items");
        let mut notes = Vec::new();
        for item in &file.items {
            let syn::Item::Const(outer) = item else {
                continue;
            };
            let syn::Expr::Block(block) = outer.expr.as_ref() else {
                continue;
            };
            for stmt in &block.block.stmts {
                let syn::Stmt::Item(syn::Item::Const(inner)) = stmt else {
                    continue;
                };
                for attr in inner
                    .attrs
                    .iter()
                    .filter(|a| a.path().is_ident("deprecated"))
                {
                    let syn::Meta::List(list) = &attr.meta else {
                        continue;
                    };
                    let nv: syn::MetaNameValue = list.parse_args().expect("note = \"…\"");
                    if let syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) = nv.value
                    {
                        notes.push(s.value());
                    }
                }
            }
        }
        notes
    }

    const WITH_WARNING: &str = "flow: hotline\nintents:\n  Bye: [bye]\n  Complaint: [complain]\ndialogs:\n  main:\n    start:\n      say: Hi\n      on: { Bye: bye }\n      else: bye\n    blocks:\n      bye:\n        end: {}\n";

    #[test]
    fn a_clean_flows_warnings_are_warnings_beside_its_module() {
        let out = expand(quote!(yaml = #WITH_WARNING), None);
        assert!(errors(&out).is_empty(), "{out}");
        assert!(out.to_string().contains("pub mod hotline"), "{out}");
        let warnings = warnings(&out);
        assert_eq!(warnings.len(), 1, "{out}");
        assert!(
            warnings[0].starts_with("<inline yaml>:4:3: warning[W029]: "),
            "{warnings:?}"
        );
        assert!(warnings[0].contains("\nhelp: "), "{warnings:?}");
    }

    #[test]
    fn beside_errors_warnings_stay_warnings() {
        let yaml = WITH_WARNING.replace("else: bye", "else: nowhere");
        let out = expand(quote!(yaml = #yaml), None);
        let errors = errors(&out);
        assert!(
            !errors.is_empty() && errors.iter().all(|e| e.contains("error[")),
            "{errors:?}"
        );
        let warnings = warnings(&out);
        assert_eq!(warnings.len(), 1, "{out}");
        assert!(warnings[0].contains("warning[W029]"), "{warnings:?}");
    }

    #[test]
    fn every_error_becomes_one_compile_error() {
        let yaml = "flow: broken\ndialogs:\n  main:\n    start:\n      say: \"{{ nope }}\"\n      else: nowhere\n";
        let out = expand(quote!(yaml = #yaml), None);
        let errors = errors(&out);
        let checked = flowc::check_source(INLINE_LABEL, yaml);
        assert_eq!(errors.len(), checked.counts().0, "{errors:?}");
        assert!(errors.len() >= 2, "{errors:?}");
        assert!(
            errors.iter().all(|e| e.starts_with("<inline yaml>:")),
            "{errors:?}"
        );
    }

    #[test]
    fn odd_inline_input_never_panics() {
        for yaml in [
            "",
            "\t",
            ":",
            "flow: [",
            "flow: x\ndialogs: 5",
            "- - - -",
            "{{{{",
        ] {
            let out = expand(quote!(yaml = #yaml), None);
            assert!(!errors(&out).is_empty(), "{yaml:?}: {out}");
        }
    }
}
