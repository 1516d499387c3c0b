//! `include_flow!`, re-exported as `flowc_runtime::include_flow!`: includes the module `flowc::Builder`
//! generated into `OUT_DIR` for a flow, named by its `flow:` name or by its file's stem.
//!
//! The builder leaves a manifest beside the modules (`flowc-manifest.tsv`: one `name<TAB>source path` line
//! per flow, `#` lines are comments). The macro reads it at expansion, so a name that is not a built flow is a
//! compile error that lists the flows there are, instead of rustc's "couldn't read …/out/x.rs". Without the
//! manifest (a builder from before it existed) the name is taken as the module's file name, as it always was.

use proc_macro::{Delimiter, Group, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

/// The manifest's file name, as `flowc::builder::MANIFEST_FILE` writes it.
const MANIFEST_FILE: &str = "flowc-manifest.tsv";

/// Includes the Rust module `flowc::Builder` generated into `OUT_DIR` for a flow:
/// `include_flow!("parcel_tracking")` for `flows/parcel_tracking.yaml`, by its `flow:` name or its file stem.
#[proc_macro]
pub fn include_flow(input: TokenStream) -> TokenStream {
    let (name, span) = match name_of(input) {
        Ok(found) => found,
        Err((span, message)) => return compile_error(span, &message),
    };
    let Some(out_dir) = std::env::var_os("OUT_DIR") else {
        return compile_error(
            span,
            "include_flow!: OUT_DIR is not set; it includes the modules flowc::Builder writes from the \
             crate's build.rs",
        );
    };
    let manifest = std::path::Path::new(&out_dir).join(MANIFEST_FILE);
    let module = match std::fs::read_to_string(&manifest) {
        Ok(text) => match resolve(&text, &name) {
            Ok(module) => module,
            Err(message) => return compile_error(span, &message),
        },
        Err(_) => name,
    };
    include(&module, span)
}

/// The flow's name from `"name"` (a trailing comma is fine).
fn name_of(input: TokenStream) -> Result<(String, Span), (Span, String)> {
    const USAGE: &str = "include_flow!: expected the flow's name as a string, e.g. include_flow!(\"parcel_tracking\")";
    let mut tokens = input.into_iter();
    let first = tokens.next();
    let rest: Vec<TokenTree> = tokens.collect();
    let trailing_comma = matches!(rest.as_slice(), [TokenTree::Punct(p)] if p.as_char() == ',');
    match first {
        Some(TokenTree::Literal(lit)) if rest.is_empty() || trailing_comma => {
            let text = lit.to_string();
            match plain_string(&text) {
                Some(name) if !name.is_empty() => Ok((name.to_string(), lit.span())),
                _ => Err((lit.span(), USAGE.to_string())),
            }
        }
        Some(other) => Err((other.span(), USAGE.to_string())),
        None => Err((Span::call_site(), USAGE.to_string())),
    }
}

/// The contents of a plain `"…"` literal without escapes (flow names and file stems need none).
fn plain_string(literal: &str) -> Option<&str> {
    let inner = literal.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains(['\\', '"'])).then_some(inner)
}

/// The module file stem for `name`: a flow of that name, else the one flow whose source file has that stem;
/// otherwise the error listing the flows.
fn resolve(manifest: &str, name: &str) -> Result<String, String> {
    let entries: Vec<(&str, &str)> = manifest
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once('\t'))
        .collect();
    if entries.iter().any(|(flow, _)| *flow == name) {
        return Ok(name.to_string());
    }
    let by_stem: Vec<&str> = entries
        .iter()
        .filter(|(_, source)| stem(source) == Some(name))
        .map(|(flow, _)| *flow)
        .collect();
    if let [flow] = by_stem.as_slice() {
        return Ok(flow.to_string());
    }
    let listed: Vec<String> = entries
        .iter()
        .map(|(flow, source)| format!("`{flow}` ({})", file_name(source)))
        .collect();
    let listed = if listed.is_empty() {
        "none".to_string()
    } else {
        listed.join(", ")
    };
    let why = if by_stem.len() > 1 {
        format!("several flows come from files named `{name}`; name the flow by its `flow:` name")
    } else {
        format!(
            "no flow named `{name}` was built into OUT_DIR; name a flow by its `flow:` name or its file stem"
        )
    };
    Err(format!("include_flow!: {why}. Flows built: {listed}"))
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn stem(path: &str) -> Option<&str> {
    let file = file_name(path);
    Some(file.rsplit_once('.').map_or(file, |(stem, _)| stem))
}

/// `include!(concat!(env!("OUT_DIR"), "/<module>.rs"));`
fn include(module: &str, span: Span) -> TokenStream {
    let env = call(
        "env",
        [TokenTree::Literal(Literal::string("OUT_DIR"))],
        span,
    );
    let mut concat_args: Vec<TokenTree> = env.into_iter().collect();
    concat_args.push(TokenTree::Punct(Punct::new(',', Spacing::Alone)));
    let mut file = Literal::string(&format!("/{module}.rs"));
    file.set_span(span);
    concat_args.push(TokenTree::Literal(file));
    let concat = call("concat", concat_args, span);
    let mut out: Vec<TokenTree> = call("include", concat, span).into_iter().collect();
    out.push(TokenTree::Punct(Punct::new(';', Spacing::Alone)));
    out.into_iter().collect()
}

/// `::core::compile_error!("…");`
fn compile_error(span: Span, message: &str) -> TokenStream {
    let mut lit = Literal::string(message);
    lit.set_span(span);
    let mut out: Vec<TokenTree> = call("compile_error", [TokenTree::Literal(lit)], span)
        .into_iter()
        .collect();
    out.push(TokenTree::Punct(Punct::new(';', Spacing::Alone)));
    out.into_iter().collect()
}

/// `::core::<name>!(<args>)`
fn call(name: &str, args: impl IntoIterator<Item = TokenTree>, span: Span) -> TokenStream {
    let mut path = String::from("::core::");
    path.push_str(name);
    let mut out: Vec<TokenTree> = path
        .parse::<TokenStream>()
        .unwrap_or_default()
        .into_iter()
        .map(|mut t| {
            t.set_span(span);
            t
        })
        .collect();
    let mut bang = Punct::new('!', Spacing::Alone);
    bang.set_span(span);
    out.push(TokenTree::Punct(bang));
    let mut group = Group::new(Delimiter::Parenthesis, args.into_iter().collect());
    group.set_span(span);
    out.push(TokenTree::Group(group));
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "# @generated\npizza\tflows/pizza_bot.yaml\nb\tflows/b.yaml\n";

    #[test]
    fn a_flow_is_found_by_name_or_by_file_stem() {
        assert_eq!(resolve(MANIFEST, "pizza").unwrap(), "pizza");
        assert_eq!(resolve(MANIFEST, "pizza_bot").unwrap(), "pizza");
        assert_eq!(resolve(MANIFEST, "b").unwrap(), "b");
    }

    #[test]
    fn an_unknown_name_lists_the_flows() {
        let error = resolve(MANIFEST, "piza").unwrap_err();
        assert!(error.contains("no flow named `piza`"), "{error}");
        assert!(
            error.contains("Flows built: `pizza` (pizza_bot.yaml), `b` (b.yaml)"),
            "{error}"
        );
        let none = resolve("# @generated\n", "x").unwrap_err();
        assert!(none.ends_with("Flows built: none"), "{none}");
    }

    #[test]
    fn a_stem_two_flows_share_is_refused() {
        let manifest = "a\tflows/x.yaml\nb\tmore/x.yml\n";
        let error = resolve(manifest, "x").unwrap_err();
        assert!(error.contains("several flows"), "{error}");
    }

    #[test]
    fn only_plain_string_literals_name_a_flow() {
        assert_eq!(plain_string("\"pizza\""), Some("pizza"));
        assert_eq!(plain_string("r\"pizza\""), None);
        assert_eq!(plain_string("\"a\\nb\""), None);
        assert_eq!(plain_string("42"), None);
    }
}
