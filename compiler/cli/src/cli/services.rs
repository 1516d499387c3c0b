//! The services of `flowc run`: a script's stub when there is one, else the flow's HTTP endpoint, else the
//! person at the simulator chooses the branch, or the call fails (the `error` branch) with a hint naming
//! `--stubs`, once per service.

use std::collections::BTreeSet;
use std::io::{BufRead, Write};
use std::sync::Mutex;

use flowc::script::StubServices;
use flowc_runtime::{DynamicServices, HttpServices, ServiceError, ServiceReply, TurnContext};

/// What happens to a service with neither a stub nor an HTTP endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unstubbed {
    /// Ask on stdin which branch to take and which outputs to set (the simulator on a terminal).
    Ask,
    /// Take the `error` branch; say once per service on stdout how to stub it (the simulator on a pipe).
    HintOnStdout,
    /// Take the `error` branch; say once per service on stderr how to stub it (`--requests`, whose stdout
    /// carries transactions).
    HintOnStderr,
}

/// A service's branches and outputs, for the questions.
#[derive(Debug, Clone)]
struct Shape {
    name: String,
    branches: Vec<String>,
    outputs: Vec<String>,
}

/// The services of `flowc run`.
pub struct RunServices {
    stubs: StubServices,
    http: HttpServices,
    shapes: Vec<Shape>,
    unstubbed: Unstubbed,
    hinted: Mutex<BTreeSet<String>>,
}

impl RunServices {
    /// Services for `flow` answered by `stubs`, then `http`, then as `unstubbed` says.
    pub fn new(
        flow: &flowc::ir::Flow,
        stubs: StubServices,
        http: HttpServices,
        unstubbed: Unstubbed,
    ) -> Self {
        let shapes = flow
            .services
            .iter()
            .map(|s| Shape {
                name: s.name.clone(),
                branches: s.branches.clone(),
                outputs: s
                    .outputs
                    .iter()
                    .filter_map(|&v| flow.variables.get(v).map(|v| v.name.clone()))
                    .collect(),
            })
            .collect();
        RunServices {
            stubs,
            http,
            shapes,
            unstubbed,
            hinted: Mutex::new(BTreeSet::new()),
        }
    }

    fn hint(&self, service: &str) {
        let first = self
            .hinted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(service.to_string());
        if !first {
            return;
        }
        let text = format!(
            "service `{service}` has no stub, so it takes the `error` branch; pass `--stubs SCRIPT` to answer \
             it from a conversation script's `services:` (see docs/scripts.md)"
        );
        match self.unstubbed {
            Unstubbed::HintOnStderr => eprintln!("note: {text}"),
            _ => println!(
                "  ! {text}, or run the simulator on a terminal (or with --ask-services) to choose the branch"
            ),
        }
    }

    /// Asks which branch `service` answers and which outputs it sets; EOF or `error` fails the call.
    fn ask(&self, service: &str) -> Result<ServiceReply, ServiceError> {
        let shape = self.shapes.iter().find(|s| s.name == service);
        let branches: Vec<&str> = shape
            .map(|s| s.branches.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let outputs: Vec<&str> = shape
            .map(|s| s.outputs.iter().map(String::as_str).collect())
            .unwrap_or_default();
        println!(
            "  ? service `{service}` has no stub (pass `--stubs SCRIPT` to answer it from a script); which \
             branch does it answer? [{}, error]",
            branches.join(", ")
        );
        let failed =
            || ServiceError::new(format!("no stub for service `{service}`; chose `error`"));
        let branch = loop {
            let Some(answer) = read_answer("branch> ") else {
                return Err(failed());
            };
            match answer.as_str() {
                "error" => return Err(failed()),
                b if branches.contains(&b) => break answer,
                other => println!("  ! `{other}` is not a branch of `{service}`"),
            }
        };
        let mut reply = ServiceReply {
            branch,
            outputs: Vec::new(),
        };
        if outputs.is_empty() {
            return Ok(reply);
        }
        println!(
            "  ? outputs of `{service}` as name=value ({}), or an empty line for none",
            outputs.join(", ")
        );
        loop {
            let Some(answer) = read_answer("outputs> ") else {
                return Ok(reply);
            };
            match parse_outputs(&answer, &outputs) {
                Ok(values) => {
                    reply.outputs = values;
                    return Ok(reply);
                }
                Err(message) => println!("  ! {message}"),
            }
        }
    }
}

impl DynamicServices for RunServices {
    fn call(
        &self,
        service: &str,
        inputs: &[(&str, &str)],
        context: &TurnContext,
    ) -> Result<ServiceReply, ServiceError> {
        if self.stubs.has(service) {
            return self.stubs.call(service, inputs, context);
        }
        if self.http.has(service) {
            return self.http.call(service, inputs, context);
        }
        if self.unstubbed == Unstubbed::Ask {
            return self.ask(service);
        }
        self.hint(service);
        self.stubs.call(service, inputs, context)
    }
}

/// One trimmed line from stdin after a prompt; `None` at the end of input.
fn read_answer(prompt: &str) -> Option<String> {
    print!("{prompt}");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim().to_string()),
    }
}

/// `name=value name=value …`; a value runs until the next `known=`, so it may hold spaces
/// (`parcelStatus=on the truck deliveryDate=Monday`).
fn parse_outputs(line: &str, known: &[&str]) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for word in line.split_whitespace() {
        let starts = word
            .split_once('=')
            .filter(|(name, _)| known.contains(name));
        match (starts, out.last_mut()) {
            (Some((name, value)), _) => out.push((name.to_string(), value.to_string())),
            (None, Some((_, value))) => {
                value.push(' ');
                value.push_str(word);
            }
            (None, None) => {
                return Err(format!(
                    "`{word}` is not name=value with one of: {}",
                    known.join(", ")
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::parse_outputs;

    #[test]
    fn outputs_may_hold_spaces_and_must_name_known_outputs() {
        let known = ["parcelStatus", "deliveryDate"];
        let parsed =
            parse_outputs("parcelStatus=on the truck deliveryDate=Monday", &known).unwrap();
        assert_eq!(
            parsed,
            [
                ("parcelStatus".to_string(), "on the truck".to_string()),
                ("deliveryDate".to_string(), "Monday".to_string())
            ]
        );
        assert_eq!(parse_outputs("", &known).unwrap(), []);
        assert!(parse_outputs("status=late", &known).is_err());
    }
}
