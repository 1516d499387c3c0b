//! Deciding a turn: who handles it (T2, T4, T9, T10), running blocks until the turn waits or ends (T3, T11,
//! T13, T14), and what the conversation keeps afterwards (T5, T16).

use super::{
    DTMF_INTENT, END_CONVERSATION_INTENT, Engine, FALLBACK_INTENT, NO_INPUT_INTENT, TurnBuffer,
    WELCOME_INTENT, vars,
};
use crate::conversation::{Conversation, Frame};
use crate::flow::{
    BlockIx, Flow, HandlerIx, Outcome, Scope, ServiceResult, StateIx, Step, TurnContext, TurnInput,
    View,
};
use crate::phone::CallControlMessage;
use crate::store::{SessionStore, UserStore};
use crate::transaction::{AffectedStep, Handled, Meta, Platform, problem};

/// What happened on the platform, reduced to what the turn rules need.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// WELCOME / chat launch (T8).
    Start,
    /// HANGUP / chat quit (T4, T7).
    End,
    /// NO_INPUT (T9).
    Silence,
    /// DTMF with the collected digits (T10).
    Digits(&'a str),
    /// Text, with the intent the NLU (or the matcher) found.
    Said(Option<&'a str>),
}

/// Which handler takes the turn.
enum Decision {
    Start,
    Hangup,
    Silence,
    Run {
        handler: HandlerIx,
        global: bool,
        explicit: bool,
    },
    Unhandled,
}

/// How a turn's walk through the blocks ended.
enum Landing {
    Waiting(StateIx),
    Ended {
        end_talk: bool,
    },
    Transferred(CallControlMessage),
    /// A runaway turn or a dead route: stay where the turn started.
    Stuck,
}

/// Who handled the turn, for `handledByState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum By {
    Nothing,
    Global,
    State(StateIx),
}

/// What the turn decided; [`super::write`] turns it into the transaction.
pub(super) struct Decided<'a> {
    pub intent: &'a str,
    pub initial: StateIx,
    pub by: By,
    pub handled: Handled,
    pub explicit: bool,
    /// The state after the turn (0 when it ended).
    pub next: StateIx,
    pub ended: bool,
    pub end_talk: bool,
    pub control: Option<CallControlMessage>,
    pub meta: Meta,
    pub last_service_error: String,
    pub last_service_status: String,
}

/// The request's parts the turn reads.
struct Request<'t> {
    input: TurnInput<'t>,
    context: TurnContext<'t>,
}

impl<F: Flow, St: SessionStore<Conversation<F::Vars>>, Us: UserStore<Vec<String>>>
    Engine<F, St, Us>
{
    #[allow(clippy::too_many_arguments)]
    pub(super) fn turn<'a>(
        &self,
        conv: &mut Conversation<F::Vars>,
        key: &'a str,
        requester: &'a str,
        platform: Platform,
        event: Event<'a>,
        mut input: TurnInput<'a>,
        buffer: &mut TurnBuffer,
    ) -> Decided<'a> {
        let flow = &self.flow;
        if matches!(event, Event::Start) || conv.user_context_id.is_empty() {
            conv.user_context_id = self.ids.user_context_id();
        }
        if !conv.active {
            // A conversation (re)starts: user-lifetime variables come back (T16).
            if flow.info().has_user_vars() {
                self.users.get_user(requester, &self.release, |saved| {
                    vars::load_user(flow, &mut conv.vars, saved)
                });
            }
            conv.active = true;
            conv.state = 0;
        }
        conv.turns += 1;
        if !matches!(event, Event::Silence) {
            conv.silent = 0;
        }
        let initial = conv.state;
        let intent: &'a str = match event {
            Event::Start => WELCOME_INTENT,
            Event::End => END_CONVERSATION_INTENT,
            Event::Silence => NO_INPUT_INTENT,
            Event::Digits(_) => DTMF_INTENT,
            Event::Said(Some(intent)) => intent,
            Event::Said(None) => FALLBACK_INTENT,
        };
        input.intent = intent;
        let mut request = Request {
            input,
            context: TurnContext {
                turn_count: conv.turns,
                platform: platform.as_str(),
                caller_id: requester,
                session_id: key,
                dtmf: input.dtmf,
                last_service_error: std::mem::take(&mut conv.last_service_error),
                last_service_status: std::mem::take(&mut conv.last_service_status),
            },
        };
        buffer.said.clear();
        buffer.reprompt.clear();
        let mut meta = Meta::default();
        let (landing, by, handled, explicit) = match self.decide(&event, initial) {
            Decision::Start => {
                self.enter(conv, 0, &request, buffer);
                (Landing::Waiting(0), By::State(0), Handled::Locally, true)
            }
            Decision::Hangup => (
                Landing::Ended { end_talk: false },
                By::Nothing,
                Handled::Locally,
                false,
            ),
            Decision::Silence => {
                conv.silent += 1;
                let landing = match flow.info().no_input_limit {
                    Some(limit) if conv.silent >= limit => Landing::Ended { end_talk: true },
                    _ => {
                        self.replay(conv, initial, &request, buffer, true);
                        Landing::Waiting(initial)
                    }
                };
                (landing, By::State(initial), Handled::Locally, false)
            }
            Decision::Run {
                handler,
                global,
                explicit,
            } => {
                let landing =
                    self.run_handler(conv, handler, initial, &mut request, buffer, &mut meta);
                let (by, handled) = if global {
                    (By::Global, Handled::Globally)
                } else {
                    (By::State(initial), Handled::Locally)
                };
                (landing, by, handled, explicit)
            }
            Decision::Unhandled => {
                let state = flow.info().state(initial);
                meta.warnings.push(AffectedStep::warning(
                    state,
                    state,
                    problem::UNHANDLED_INPUT,
                    format!("no handler for `{intent}` in this state or the global block"),
                ));
                self.replay(conv, initial, &request, buffer, false);
                (
                    Landing::Waiting(initial),
                    By::Nothing,
                    Handled::Locally,
                    false,
                )
            }
        };
        let (ended, end_talk, control) = match landing {
            Landing::Waiting(state) => {
                conv.state = state;
                let view = View {
                    vars: &conv.vars,
                    input: &request.input,
                    context: &request.context,
                };
                flow.write_reprompt(state, &view, &mut buffer.reprompt);
                (false, false, None)
            }
            Landing::Stuck => {
                conv.state = initial;
                (false, false, None)
            }
            Landing::Ended { end_talk } => (true, end_talk, None),
            Landing::Transferred(message) => (true, false, Some(message)),
        };
        // Hang-up, end, transfer, chat quit, no-input limit: the conversation is over (T5). After a hang-up
        // there is nobody left to end the talk for.
        let hung_up = matches!(event, Event::End);
        let ended = ended || hung_up;
        Decided {
            intent,
            initial,
            by,
            handled,
            explicit,
            next: if ended { 0 } else { conv.state },
            ended,
            end_talk: end_talk && !hung_up,
            control,
            meta,
            last_service_error: request.context.last_service_error,
            last_service_status: request.context.last_service_status,
        }
    }

    /// After the transaction is written: keep user-lifetime values and reset an ended conversation (T5, T16).
    pub(super) fn finish(
        &self,
        conv: &mut Conversation<F::Vars>,
        decided: Decided<'_>,
        requester: &str,
        buffer: &mut TurnBuffer,
    ) {
        let flow = &self.flow;
        // User-lifetime values are kept when the conversation ends (the next one of this requester loads
        // them, T16); during a call the conversation's own copy is the truth, so turns touch no shared store.
        if decided.ended && flow.info().has_user_vars() {
            vars::save_user(flow, &conv.vars, &mut buffer.saved);
            let saved = &buffer.saved;
            self.users
                .with_user(requester, &self.release, Vec::new, |values| {
                    values.clone_from(saved)
                });
        }
        if decided.ended {
            vars::reset_session(flow, &mut conv.vars);
            conv.end();
        } else {
            // Moved back, not copied: the context took them out of the conversation at the turn's start.
            conv.last_service_error = decided.last_service_error;
            conv.last_service_status = decided.last_service_status;
        }
    }

    /// T2 / T4 / T10: which handler takes the turn.
    fn decide(&self, event: &Event<'_>, state: StateIx) -> Decision {
        let flow = &self.flow;
        let info = flow.info();
        let local = |handler, explicit| Decision::Run {
            handler,
            global: false,
            explicit,
        };
        let global = |handler, explicit| Decision::Run {
            handler,
            global: true,
            explicit,
        };
        let fallback = || {
            info.local_else(state)
                .map(|h| local(h, false))
                .or_else(|| info.global_else.map(|h| global(h, false)))
                .unwrap_or(Decision::Unhandled)
        };
        match event {
            Event::Start => Decision::Start,
            Event::End => info
                .ending
                .map(|h| global(h, true))
                .unwrap_or(Decision::Hangup),
            Event::Silence => Decision::Silence,
            Event::Digits(digits) => flow
                .local_dtmf(state, digits)
                .map(|h| local(h, true))
                .unwrap_or_else(fallback),
            Event::Said(Some(intent)) => flow
                .local_intent(state, intent)
                .map(|h| local(h, true))
                .or_else(|| flow.global_intent(intent).map(|h| global(h, true)))
                .unwrap_or_else(fallback),
            Event::Said(None) => fallback(),
        }
    }

    fn run_handler(
        &self,
        conv: &mut Conversation<F::Vars>,
        handler: HandlerIx,
        initial: StateIx,
        request: &mut Request<'_>,
        buffer: &mut TurnBuffer,
        meta: &mut Meta,
    ) -> Landing {
        let info = self.flow.info();
        let Some(target) = info.target(handler) else {
            meta.errors.push(AffectedStep::error(
                info.state(initial),
                info.state(initial),
                problem::INTERNAL_ERROR,
                format!("the flow has no handler {handler}: a bug of flowc, please report it"),
            ));
            return Landing::Stuck;
        };
        let mut scope = Scope {
            vars: &mut conv.vars,
            input: &request.input,
            context: &request.context,
            said: &mut buffer.said,
            scratch: &mut buffer.scratch,
        };
        self.flow.run_handler(handler, &mut scope);
        self.walk(conv, target, initial, request, buffer, meta)
    }

    /// Runs blocks from `block` until the turn waits, ends or transfers (T3), within the step budget.
    fn walk(
        &self,
        conv: &mut Conversation<F::Vars>,
        mut block: BlockIx,
        initial: StateIx,
        request: &mut Request<'_>,
        buffer: &mut TurnBuffer,
        meta: &mut Meta,
    ) -> Landing {
        let flow = &self.flow;
        let info = flow.info();
        for _ in 0..self.step_budget {
            let step = {
                let mut scope = Scope {
                    vars: &mut conv.vars,
                    input: &request.input,
                    context: &request.context,
                    said: &mut buffer.said,
                    scratch: &mut buffer.scratch,
                };
                flow.run_block(block, &mut scope)
            };
            block = match step {
                Step::Wait(state) => {
                    self.enter(conv, state, request, buffer);
                    return Landing::Waiting(state);
                }
                Step::Next(next) => next,
                Step::End => return Landing::Ended { end_talk: true },
                Step::Transfer { refer_to, headers } => {
                    return Landing::Transferred(CallControlMessage::SipRefer {
                        refer_to,
                        sip_headers: headers,
                    });
                }
                Step::Call {
                    entry,
                    success,
                    failure,
                } => {
                    conv.stack.push(Frame { success, failure });
                    entry
                }
                Step::Exit(outcome) => {
                    let target = conv.stack.pop().and_then(|f| match outcome {
                        Outcome::Success => f.success,
                        Outcome::Failure => f.failure,
                    });
                    match target {
                        Some(next) => next,
                        None => {
                            meta.errors.push(AffectedStep::error(
                                info.block(block),
                                info.state(initial),
                                problem::SUBDIALOG_EXIT,
                                "subdialog exit with nowhere to return to",
                            ));
                            return Landing::Stuck;
                        }
                    }
                }
                Step::Back => {
                    // To Previous State replays what the caller last heard there; it does not rotate.
                    self.replay(conv, initial, request, buffer, false);
                    return Landing::Waiting(initial);
                }
                Step::Service(ServiceResult::Answered { next, status }) => {
                    request.context.last_service_error.clear();
                    request.context.last_service_status.clear();
                    request.context.last_service_status.push_str(&status);
                    next
                }
                Step::Service(ServiceResult::Failed {
                    message,
                    status,
                    route,
                }) => {
                    meta.errors.push(AffectedStep::error(
                        info.block(block),
                        info.state(initial),
                        problem::SERVICE_ERROR,
                        message.clone(),
                    ));
                    request.context.last_service_error = message;
                    request.context.last_service_status = status.into_owned();
                    match route.or(info.on_error) {
                        Some(next) => next,
                        None => return Landing::Stuck,
                    }
                }
                Step::NoSuchBlock => {
                    meta.errors.push(AffectedStep::error(
                        info.state(initial),
                        info.state(initial),
                        problem::INTERNAL_ERROR,
                        format!("the flow has no block {block}: a bug of flowc, please report it"),
                    ));
                    return Landing::Stuck;
                }
            };
        }
        meta.errors.push(AffectedStep::error(
            info.block(block),
            info.state(initial),
            problem::STEP_BUDGET_EXCEEDED,
            format!(
                "the turn ran {} blocks without waiting and was stopped",
                self.step_budget
            ),
        ));
        Landing::Stuck
    }

    /// Enters a state: counts the entry for rotation and says its prompt (T12).
    fn enter(
        &self,
        conv: &mut Conversation<F::Vars>,
        state: StateIx,
        request: &Request<'_>,
        buffer: &mut TurnBuffer,
    ) {
        let index = conv.enter(state, self.flow.info().prompt_count(state));
        self.say_prompt(conv, state, index, request, buffer);
    }

    /// Says a state's current prompt again without rotating; on no-input its reprompt first (T9).
    fn replay(
        &self,
        conv: &mut Conversation<F::Vars>,
        state: StateIx,
        request: &Request<'_>,
        buffer: &mut TurnBuffer,
        prefer_reprompt: bool,
    ) {
        if prefer_reprompt {
            let view = View {
                vars: &conv.vars,
                input: &request.input,
                context: &request.context,
            };
            let start = buffer.said.begin();
            if self.flow.write_reprompt(state, &view, buffer.said.buffer())
                && buffer.said.begin() > start
            {
                buffer.said.end(start);
                return;
            }
        }
        let index = conv.current_prompt(state, self.flow.info().prompt_count(state));
        self.say_prompt(conv, state, index, request, buffer);
    }

    fn say_prompt(
        &self,
        conv: &Conversation<F::Vars>,
        state: StateIx,
        index: u32,
        request: &Request<'_>,
        buffer: &mut TurnBuffer,
    ) {
        let view = View {
            vars: &conv.vars,
            input: &request.input,
            context: &request.context,
        };
        let start = buffer.said.begin();
        self.flow
            .write_prompt(state, index, &view, buffer.said.buffer());
        buffer.said.end(start);
    }
}
