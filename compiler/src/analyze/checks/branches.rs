//! Checks of the blocks that branch on an answer: service blocks against their service's branches, call
//! blocks against the subdialog's exits.

use super::Checker;
use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic, Span, closest};

impl<'f> Checker<'_, 'f> {
    pub(super) fn service(&mut self, d: usize, block: &Block, service: &Name, on: &[(Name, Name)]) {
        for (_, target) in on {
            self.target(d, target);
        }
        let Some(&index) = self.symbols.services.get(service.as_str()) else {
            let help = match closest(
                &service.text,
                self.flow.services.iter().map(|s| s.name.as_str()),
            ) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "declare it under `services:`, e.g. `{}: {{ branches: [ok] }}`",
                    service.text
                ),
            };
            self.report(
                Diagnostic::error(
                    Code::UnknownService,
                    service.span,
                    format!("service `{}` is not declared", service.text),
                )
                .with_label("unknown service")
                .with_help(help),
            );
            return;
        };
        let decl = &self.flow.services[index];
        for (branch, _) in on {
            if branch.text != "error" && !decl.branches.iter().any(|b| b.text == branch.text) {
                let help = match closest(&branch.text, decl.branches.iter().map(|b| b.as_str())) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("service `{}` answers {}", decl.name.text, branch_list(decl)),
                };
                self.report(
                    Diagnostic::error(
                        Code::UnknownBranch,
                        branch.span,
                        format!(
                            "service `{}` has no branch `{}`",
                            decl.name.text, branch.text
                        ),
                    )
                    .with_label("unknown branch")
                    .with_help(help),
                );
            }
        }
        for branch in &decl.branches {
            if !on.iter().any(|(b, _)| b.text == branch.text) {
                self.report(
                    Diagnostic::error(
                        Code::UnhandledBranch,
                        block.kind_span,
                        format!(
                            "block `{}` does not handle branch `{}` of service `{}`",
                            block.name.text, branch.text, decl.name.text
                        ),
                    )
                    .with_label("missing branch")
                    .with_related(branch.span, "branch declared here")
                    .with_help(format!(
                        "add `{}: <block>` to the block's `on:`",
                        branch.text
                    )),
                );
            }
        }
        let global_on_error = self
            .symbols
            .global_body(self.flow)
            .is_some_and(|g| g.on_error.is_some());
        if !on.iter().any(|(b, _)| b.text == "error") && !global_on_error {
            self.report(
                Diagnostic::new(
                    Code::NoErrorHandler,
                    block.kind_span,
                    format!(
                        "nothing handles a failure of service `{}` in block `{}`",
                        decl.name.text, block.name.text
                    ),
                )
                .with_label("no `error` branch")
                .with_help(
                    "add `error: <block>` to `on:`, or `on_error:` to the global block (T11)",
                ),
            );
        }
    }

    pub(super) fn call(&mut self, d: usize, block: &Block, dialog: &Name, on: &[(Name, Name)]) {
        for (outcome, target) in on {
            if outcome.text != "success" && outcome.text != "failure" {
                self.report(
                    Diagnostic::error(
                        Code::WrongType,
                        outcome.span,
                        format!("`{}` is not a subdialog outcome", outcome.text),
                    )
                    .with_help("a subdialog exits with `success` or `failure`"),
                );
            }
            self.target(d, target);
        }
        let Some(&callee) = self.symbols.dialogs.get(dialog.as_str()) else {
            let help = match closest(
                &dialog.text,
                self.flow.dialogs.iter().map(|x| x.name.as_str()),
            ) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "define the subdialog under `dialogs:`".to_string(),
            };
            self.report(
                Diagnostic::error(
                    Code::UnknownDialog,
                    dialog.span,
                    format!("no dialog `{}`", dialog.text),
                )
                .with_label("unknown dialog")
                .with_help(help),
            );
            return;
        };
        if Some(callee) == self.symbols.main {
            self.report(
                Diagnostic::error(
                    Code::UnknownDialog,
                    dialog.span,
                    "the main dialog cannot be called",
                )
                .with_help("go to `start` to begin again, or call a subdialog"),
            );
            return;
        }
        let mut outcomes: Vec<(Outcome, Span)> = Vec::new();
        for b in &self.flow.dialogs[callee].blocks {
            if let BlockKind::Exit { outcome } = b.kind
                && !outcomes.iter().any(|(o, _)| *o == outcome)
            {
                outcomes.push((outcome, b.kind_span));
            }
        }
        for (outcome, span) in outcomes {
            if !on.iter().any(|(o, _)| o.text == outcome.as_str()) {
                self.report(
                    Diagnostic::error(
                        Code::UnhandledExit,
                        block.kind_span,
                        format!(
                            "subdialog `{}` can exit with `{}`, which block `{}` does not handle",
                            dialog.text,
                            outcome.as_str(),
                            block.name.text
                        ),
                    )
                    .with_label("unhandled exit")
                    .with_related(span, "the subdialog exits here")
                    .with_help(format!(
                        "add `{}: <block>` to the call's `on:`",
                        outcome.as_str()
                    )),
                );
            }
        }
    }
}

fn branch_list(decl: &ServiceDecl) -> String {
    let mut names: Vec<String> = decl
        .branches
        .iter()
        .map(|b| format!("`{}`", b.text))
        .collect();
    names.push("`error`".into());
    names.join(", ")
}
