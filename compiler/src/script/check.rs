//! Checking a script against the flow it plays: every stub, branch, output, intent, state and variable it
//! names must exist there, and its turns must exist on the platform it plays. Without this a misspelt stub
//! or branch quietly takes the `error` path and `flowc test --update` records it as the truth.

use super::{Reference, ReferenceKind, Script};
use crate::diagnostic::{Code, Diagnostic, closest};
use crate::ir;

/// The `PARLOA.*` intents the runtime sends or records besides the flow's own intents.
pub const KNOWN_EVENT_INTENTS: &[&str] = &[
    flowc_runtime::END_CONVERSATION_INTENT,
    flowc_runtime::WELCOME_INTENT,
    flowc_runtime::NO_INPUT_INTENT,
    flowc_runtime::DTMF_INTENT,
    flowc_runtime::FALLBACK_INTENT,
];

/// Looks up every name `script` takes from `flow`; one diagnostic per name the flow does not have.
pub fn check_against(script: &Script, flow: &ir::Flow) -> Vec<Diagnostic> {
    let chat = script.is_chat(flow);
    let mut out = Vec::new();
    for reference in &script.references {
        if let Some(diagnostic) = check_one(reference, flow, chat) {
            out.push(diagnostic);
        }
    }
    out
}

fn check_one(reference: &Reference, flow: &ir::Flow, chat: bool) -> Option<Diagnostic> {
    let name = reference.name.as_str();
    // `owner` names who has the candidates ("the flow", "`placeOrder`"); `none` helps when there are none.
    let missing =
        |code: Code, message: String, candidates: Vec<&str>, owner: &str, none: String| {
            let help = match closest(name, candidates.iter().copied()) {
                Some(near) => format!("did you mean `{near}`?"),
                None if candidates.is_empty() => none,
                None => format!("{owner} has: {}", candidates.join(", ")),
            };
            Some(
                Diagnostic::error(code, reference.span, message)
                    .with_label("not in the flow")
                    .with_help(help),
            )
        };
    match &reference.kind {
        ReferenceKind::FlowFile => None,
        ReferenceKind::Platform => {
            let platform = if name == "textchatV2" {
                crate::ast::Platform::Chat
            } else {
                crate::ast::Platform::Phone
            };
            (!flow.supports(platform)).then(|| {
                Diagnostic::error(
                    Code::ScriptPlatform,
                    reference.span,
                    format!("the flow `{}` does not run on {name}", flow.name),
                )
                .with_label("not a platform of the flow")
                .with_help("drop `platform:` to play the flow's first platform, or add it to the flow's `platforms`")
            })
        }
        ReferenceKind::Service => {
            let services: Vec<&str> = flow.services.iter().map(|s| s.name.as_str()).collect();
            if services.contains(&name) {
                return None;
            }
            missing(
                Code::ScriptUnknownService,
                format!("the flow `{}` has no service `{name}`", flow.name),
                services,
                "the flow",
                "the flow declares no services".into(),
            )
        }
        ReferenceKind::Branch { service } => {
            let service = flow.services.iter().find(|s| s.name == *service)?;
            let mut branches: Vec<&str> = service.branches.iter().map(String::as_str).collect();
            branches.push("error");
            if branches.contains(&name) {
                return None;
            }
            missing(
                Code::ScriptUnknownBranch,
                format!("service `{}` has no branch `{name}`", service.name),
                branches,
                &format!("`{}`", service.name),
                String::new(),
            )
        }
        ReferenceKind::Output { service } => {
            let service = flow.services.iter().find(|s| s.name == *service)?;
            let outputs: Vec<&str> = service
                .outputs
                .iter()
                .filter_map(|&v| flow.variables.get(v).map(|v| v.name.as_str()))
                .collect();
            if outputs.contains(&name) {
                return None;
            }
            missing(
                Code::ScriptUnknownOutput,
                format!("service `{}` has no output `{name}`", service.name),
                outputs,
                &format!("`{}`", service.name),
                format!(
                    "`{}` declares no outputs; add `outputs: [{name}]` to it in the flow",
                    service.name
                ),
            )
        }
        ReferenceKind::Intent => {
            let intents: Vec<&str> = flow
                .intents
                .iter()
                .map(|i| i.name.as_str())
                .chain(KNOWN_EVENT_INTENTS.iter().copied())
                .collect();
            if intents.contains(&name) {
                return None;
            }
            missing(
                Code::ScriptUnknownIntent,
                format!("the flow `{}` has no intent `{name}`", flow.name),
                intents,
                "the flow",
                String::new(),
            )
        }
        ReferenceKind::State => {
            let names = state_names(flow);
            if names.contains(&name) {
                return None;
            }
            let near = closest(name, names.iter().copied())
                .map(|near| format!("did you mean `{near}`? "))
                .unwrap_or_default();
            Some(
                Diagnostic::error(
                    Code::ScriptUnknownState,
                    reference.span,
                    format!("the flow `{}` has no state `{name}`", flow.name),
                )
                .with_label("not in the flow")
                .with_help(format!(
                    "{near}a state is named by its block key, its display name or its id"
                )),
            )
        }
        ReferenceKind::Variable => {
            let variables: Vec<&str> = flow.variables.iter().map(|v| v.name.as_str()).collect();
            if variables.contains(&name) {
                return None;
            }
            missing(
                Code::ScriptUnknownVariable,
                format!("the flow `{}` has no variable `{name}`", flow.name),
                variables,
                "the flow",
                "the flow declares no variables".into(),
            )
        }
        ReferenceKind::PhoneOnly => chat.then(|| {
            Diagnostic::error(
                Code::ScriptPhoneOnlyTurn,
                reference.span,
                format!("`{name}` exists only on phoneV2; this script plays textchatV2"),
            )
            .with_label("phone only")
            .with_help(
                "a chat turn is `launch`, `quit` or `say: <text>` (with optional `slots:`, sent as \
                 context items)",
            )
        }),
    }
}

/// Every way `expect.state` may name a state: display name, id, and the key of its block.
fn state_names(flow: &ir::Flow) -> Vec<&str> {
    let mut names = Vec::with_capacity(flow.states.len() * 3);
    for state in &flow.states {
        if let Some(block) = flow.blocks.get(state.block) {
            names.push(block.reference.name.as_str());
            names.push(block.reference.id.as_str());
            names.push(block.key.as_str());
        }
    }
    names
}
