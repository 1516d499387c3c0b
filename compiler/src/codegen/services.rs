//! The flow's services: per service its input, branch and output types, the `Services` trait the
//! application implements, its adapter for services called by name, and the body of a service block,
//! which calls one.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::names::{self, Names, ident, pascal};
use super::syntax;
use crate::ir;

/// The Rust names of one service's items, shared by its types and the blocks that call it.
struct Service<'a> {
    /// The declaration.
    decl: &'a ir::Service,
    /// `<Prefix>Input`.
    input: Ident,
    /// `<Prefix>Branch`.
    branch: Ident,
    /// `<Prefix>Output`.
    output: Ident,
    /// The method of `Services`.
    method: &'a Ident,
    /// The field of each input variable.
    input_fields: Vec<&'a Ident>,
    /// The field of each output variable.
    output_fields: Vec<&'a Ident>,
    /// The variant of each branch.
    variants: Vec<Ident>,
}

impl<'a> Service<'a> {
    /// The names of service number `index`.
    fn new(flow: &'a ir::Flow, index: ir::ServiceId, names: &'a Names) -> Self {
        let decl = &flow.services[index];
        let prefix = &names.service_types[index];
        let mut variant_names = names::Unique::pascal(&[]);
        Service {
            decl,
            input: format_ident!("{}Input", prefix),
            branch: format_ident!("{}Branch", prefix),
            output: format_ident!("{}Output", prefix),
            method: &names.services[index],
            input_fields: decl.inputs.iter().map(|&v| &names.vars[v]).collect(),
            output_fields: decl.outputs.iter().map(|&v| &names.vars[v]).collect(),
            variants: decl
                .branches
                .iter()
                .map(|b| ident(&variant_names.take(pascal(b))))
                .collect(),
        }
    }

    /// The type of the method's `input` parameter: it borrows the variables when there are some.
    fn input_type(&self) -> TokenStream {
        let input = &self.input;
        if self.input_fields.is_empty() {
            quote!(#input)
        } else {
            quote!(#input<'_>)
        }
    }
}

/// The flow names of `vars`.
fn var_names<'f>(flow: &'f ir::Flow, vars: &[ir::VarId]) -> Vec<&'f str> {
    vars.iter()
        .map(|&v| flow.variables[v].name.as_str())
        .collect()
}

/// Every service's types, then `trait Services` and its adapter for `rt::Dynamic`.
pub(super) fn services(flow: &ir::Flow, names: &Names) -> TokenStream {
    let services: Vec<Service<'_>> = flow
        .services
        .ids()
        .map(|index| Service::new(flow, index, names))
        .collect();
    let items = services.iter().map(|s| {
        let input = input_struct(flow, s);
        let branch = branch_enum(s);
        let output = output_struct(flow, s);
        quote! {
            #input

            #branch

            #output
        }
    });
    let services_trait = services_trait(&services);
    let adapter = dynamic_adapter(flow, &services);
    quote! {
        #(#items)*

        #services_trait

        #adapter
    }
}

/// `struct <Prefix>Input`: the service's inputs, borrowed from the variables.
fn input_struct(flow: &ir::Flow, s: &Service<'_>) -> TokenStream {
    let input = &s.input;
    let input_fields = &s.input_fields;
    let doc_input = format!(" Inputs of service `{}`.", s.decl.name);
    let input_docs = var_names(flow, &s.decl.inputs)
        .into_iter()
        .map(|n| format!(" Variable `{n}`."));
    let lifetime = if input_fields.is_empty() {
        quote!()
    } else {
        quote!(<'a>)
    };
    quote! {
        #[doc = #doc_input]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct #input #lifetime { #( #[doc = #input_docs] pub #input_fields: &'a str, )* }
    }
}

/// `enum <Prefix>Branch` and its names.
fn branch_enum(s: &Service<'_>) -> TokenStream {
    let branch = &s.branch;
    let variants = &s.variants;
    let branch_names = &s.decl.branches;
    let branch_docs = branch_names.iter().map(|b| format!(" Branch `{b}`."));
    let doc_branch = format!(
        " The answers of service `{}`; a failure is `Err(ServiceError)`, the `error` branch.",
        s.decl.name
    );
    quote! {
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
    }
}

/// `struct <Prefix>Output`: the branch taken and the outputs set, and its constructor.
fn output_struct(flow: &ir::Flow, s: &Service<'_>) -> TokenStream {
    let (branch, output) = (&s.branch, &s.output);
    let output_fields = &s.output_fields;
    let doc_output = format!(
        " What service `{}` answered: its branch and the outputs it set.",
        s.decl.name
    );
    let output_docs = var_names(flow, &s.decl.outputs)
        .into_iter()
        .map(|n| format!(" New value of variable `{n}`; `None` keeps the old one."));
    quote! {
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
    }
}

/// `trait Services`: a method per service.
fn services_trait(services: &[Service<'_>]) -> TokenStream {
    let methods = services.iter().map(|s| {
        let (method, output) = (s.method, &s.output);
        let input_type = s.input_type();
        let doc_method = format!(
            " Calls service `{}`; `context` tells which conversation and turn asks.",
            s.decl.name
        );
        quote! {
            #[doc = #doc_method]
            fn #method(&self, input: #input_type, context: &rt::TurnContext) -> Result<#output, rt::ServiceError>;
        }
    });
    quote! {
        /// The flow's services: implement this trait, one method per service.
        pub trait Services: Send + Sync {
            #(#methods)*
        }
    }
}

/// `impl Services for rt::Dynamic<D>`: each method calls its service by name.
fn dynamic_adapter(flow: &ir::Flow, services: &[Service<'_>]) -> TokenStream {
    let adapters = services.iter().map(|s| {
        let (method, branch, output) = (s.method, &s.branch, &s.output);
        let (input_fields, output_fields) = (&s.input_fields, &s.output_fields);
        let name = &s.decl.name;
        let input_type = s.input_type();
        let input_names = var_names(flow, &s.decl.inputs);
        let output_names = var_names(flow, &s.decl.outputs);
        // A service without outputs has none to read; of one output, the name is compared (a `match` with one
        // arm is what `clippy::single_match` rejects).
        let answer = if output_fields.is_empty() {
            quote!(Ok(#output::new(branch)))
        } else if let ([field], [name]) = (output_fields.as_slice(), output_names.as_slice()) {
            quote! {
                let mut output = #output::new(branch);
                for (name, value) in reply.outputs {
                    if name == #name {
                        output.#field = Some(value);
                    }
                }
                Ok(output)
            }
        } else {
            quote! {
                let mut output = #output::new(branch);
                for (name, value) in reply.outputs {
                    match name.as_str() {
                        #( #output_names => output.#output_fields = Some(value), )*
                        _ => {}
                    }
                }
                Ok(output)
            }
        };
        let input = if input_fields.is_empty() {
            quote!(_input)
        } else {
            quote!(input)
        };
        quote! {
            fn #method(&self, #input: #input_type, context: &rt::TurnContext) -> Result<#output, rt::ServiceError> {
                let reply = self.0.call(#name, &[ #( (#input_names, input.#input_fields), )* ], context)?;
                let Some(branch) = #branch::from_name(&reply.branch) else {
                    return Err(rt::unknown_branch(#name, &reply.branch));
                };
                #answer
            }
        }
    });
    quote! {
        /// Services called by name (stubs, HTTP, …) serve this flow too.
        impl<D: rt::DynamicServices> Services for rt::Dynamic<D> {
            #(#adapters)*
        }
    }
}

/// The body of a block that calls service number `service`: the answer's outputs are stored, its branch
/// chooses the next block among `branches`, a failure goes to `error` (or the flow's error handling).
/// Service calls are rare and intricate: quoted and parsed one block at a time.
pub(super) fn call_body(
    flow: &ir::Flow,
    block: &ir::Block,
    service: ir::ServiceId,
    branches: &[ir::BlockId],
    error: Option<ir::BlockId>,
    names: &Names,
) -> syn::Result<syn::Expr> {
    let s = Service::new(flow, service, names);
    let (input, branch_type, method) = (&s.input, &s.branch, s.method);
    let (input_fields, output_fields, variants) = (&s.input_fields, &s.output_fields, &s.variants);
    let targets = branches.iter().map(|b| names.block(*b));
    let route = syntax::option(error.map(|b| names.block(b)));
    let service_name = &s.decl.name;
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
    }))
}
