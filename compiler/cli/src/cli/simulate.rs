//! The interactive simulator of `flowc run`: type what the caller says, see what the bot does.

use std::io::{BufRead, Write};

use flowc_runtime::{
    ChatEvent, ChatRequest, ContextItem, ContextValue, Engine, Flow, Handled, IntentGuess,
    PhoneEvent, PhoneRequest, Slot, Slots, Transaction, Variable,
};

use super::Outcome;
use super::run::PlatformArg;

const HELP: &str = "\
type what the caller says (matched to an intent with the sample utterances; `{placeholders}` in a sample
fill the slots: `{size} please` + `large please` → size=large), or:
  /intent Name key=value…   send an intent with slots (phone)
  /dtmf 123                 send keypad digits (phone)
  /silence                  send NO_INPUT (phone)
  /hangup                   the caller hangs up (chat: quit)
  /welcome                  start a new conversation
  /quit                     hang up and leave";

const SESSION: &str = "simulator-session";
const CALLER: &str = "+4915100000001";

/// Runs the simulator on stdin/stdout.
pub fn run<F: Flow>(engine: &Engine<F>, platform: PlatformArg) -> Outcome {
    let chat = platform == PlatformArg::Chat;
    println!(
        "flowc simulator — flow `{}` on {}",
        engine.flow().info().name,
        if chat { "textchatV2" } else { "phoneV2" }
    );
    println!("{HELP}\n");
    let mut previous: Vec<Variable> = Vec::new();
    let mut turn = 0;
    let mut play = |line: &str, previous: &mut Vec<Variable>| {
        let request = match request(engine, chat, line) {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(message) => {
                println!("  ! {message}");
                return;
            }
        };
        match super::run::play_line(engine, platform, &request) {
            Ok(tx) => {
                turn += 1;
                print_turn(turn, &tx, previous);
                *previous = tx.variables.clone();
            }
            Err(message) => println!("  ! {message}"),
        }
    };
    play("/welcome", &mut previous);
    let stdin = std::io::stdin();
    loop {
        print!("caller> ");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        match stdin.lock().read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let line = line.trim();
        match line {
            "" => continue,
            "/help" => println!("{HELP}"),
            "/quit" => {
                play("/hangup", &mut previous);
                break;
            }
            _ => play(line, &mut previous),
        }
    }
    Outcome::Clean
}

fn request<F: Flow>(engine: &Engine<F>, chat: bool, line: &str) -> Result<Option<String>, String> {
    let meta = flowc_runtime::testing::call_meta(SESSION, CALLER);
    let (command, rest) = line.split_once(' ').unwrap_or((line, ""));
    let json = if chat {
        let event = match command {
            "/welcome" => ChatEvent::Launch,
            "/hangup" => ChatEvent::Quit,
            c if c.starts_with('/') => {
                return Err(format!("`{c}` is not available on textchatV2 (see /help)"));
            }
            _ => ChatEvent::Message {
                text: line.to_string(),
            },
        };
        let mut request = ChatRequest::new(CALLER, SESSION, event);
        if !command.starts_with('/') {
            request.context = chat_context(engine, line);
        }
        serde_json::to_string(&request)
    } else {
        let mut request = PhoneRequest::event(meta, PhoneEvent::Welcome);
        match command {
            "/welcome" => {}
            "/hangup" => request.event = Some(PhoneEvent::Hangup),
            "/silence" => request.event = Some(PhoneEvent::NoInput),
            "/dtmf" => {
                request.event = Some(PhoneEvent::Dtmf);
                request.collected_dtmf = Some(rest.trim().to_string());
            }
            "/intent" => {
                let mut words = rest.split_whitespace();
                let name = words.next().ok_or("usage: /intent Name key=value…")?;
                let slots: Vec<Slot> = words
                    .map(|w| {
                        w.split_once('=')
                            .map(|(k, v)| Slot::new(k, v))
                            .ok_or(format!("`{w}` is not key=value"))
                    })
                    .collect::<Result<_, _>>()?;
                request.event = None;
                request.intent = Some(IntentGuess::named(name));
                if !slots.is_empty() {
                    request.slots = Some(Slots::List(slots));
                }
            }
            c if c.starts_with('/') => return Err(format!("unknown command `{c}` (see /help)")),
            _ => {
                request.event = None;
                request.text = Some(line.to_string());
                let intents = &engine.flow().info().intents;
                match flowc::utterance::understand(line, intents) {
                    Some(understood) => {
                        show_slots(&understood);
                        request.intent = Some(IntentGuess::named(understood.intent));
                        if !understood.slots.is_empty() {
                            let slots = understood.slots.into_iter();
                            request.slots =
                                Some(Slots::List(slots.map(|(k, v)| Slot::new(k, v)).collect()));
                        }
                    }
                    None => no_match(line, intents),
                }
            }
        }
        serde_json::to_string(&request)
    };
    json.map(Some).map_err(|e| e.to_string())
}

/// Context items for a chat message: the slots its intent's samples fill, when the engine's matcher picks
/// that intent too (the engine, not the simulator, matches chat text).
fn chat_context<F: Flow>(engine: &Engine<F>, text: &str) -> Option<Vec<ContextItem>> {
    let intents = &engine.flow().info().intents;
    let understood = flowc::utterance::understand(text, intents)?;
    let matched = flowc_runtime::__private::matcher::match_intent(text, intents);
    if understood.slots.is_empty() || matched != Some(understood.intent) {
        return None;
    }
    show_slots(&understood);
    let items = understood
        .slots
        .into_iter()
        .map(|(key, value)| ContextItem {
            key,
            value: ContextValue::String(value),
        });
    Some(items.collect())
}

/// Says which sample filled which slots.
fn show_slots(understood: &flowc::utterance::Understood<'_>) {
    if let Some(sample) = understood.sample {
        let slots: Vec<String> = understood
            .slots
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        println!(
            "  (\"{sample}\" of {}: {})",
            understood.intent,
            slots.join(" ")
        );
    }
}

/// Says that nothing matched, and why a sample made only of placeholders did not.
fn no_match(line: &str, intents: &[flowc_runtime::IntentSamples]) {
    println!("  (no intent matched \"{line}\")");
    let only = flowc::utterance::placeholder_only(intents);
    if let Some((intent, sample)) = only.first() {
        let slot = sample.trim_matches(|c| c == '{' || c == '}');
        println!(
            "  (a sample made only of placeholders, like \"{sample}\" of {intent}, fits any text and never \
             chooses an intent: send `/intent {intent} {slot}=…`)"
        );
    }
}

fn print_turn(turn: usize, tx: &Transaction, previous: &[Variable]) {
    let i = &tx.intent;
    println!("── turn {turn} ── {}", i.name);
    println!("  request   {}", request_summary(&tx.request));
    let said = flowc::script::prompt_text(tx);
    println!("  bot       {said:?}");
    if let flowc_runtime::Response::Phone(r) = &tx.response {
        if !r.reprompt.is_empty() {
            println!("  reprompt  {:?}", r.reprompt);
        }
        for control in &r.call_control_messages {
            println!(
                "  control   {}",
                serde_json::to_string(control).unwrap_or_default()
            );
        }
        if r.end_talk {
            println!("  endTalk   true");
        }
    }
    println!(
        "  state     {} → {}",
        i.initial_state.name, i.next_state.name
    );
    let by = if i.handled_by_state.id.is_empty() {
        "nothing".to_string()
    } else {
        i.handled_by_state.name.to_string()
    };
    let how = match i.handled {
        Handled::Locally => "locally",
        Handled::Globally => "globally",
    };
    let explicit = if i.explicitly_handled {
        "explicitly"
    } else {
        "by fallback"
    };
    println!("  handled   by {by}, {how}, {explicit}");
    for v in &tx.variables {
        let before = previous
            .iter()
            .find(|p| p.name == v.name)
            .map(|p| p.value.as_str())
            .unwrap_or("");
        if before != v.value {
            println!("  variable  {}: {before:?} → {:?}", v.name, v.value);
        }
    }
    for step in &tx.meta.errors.affected_steps {
        for problem in &step.errors {
            println!(
                "  error     {}: {} ({})",
                problem.kind, problem.message, step.state_name
            );
        }
    }
    for step in &tx.meta.warnings.affected_steps {
        for problem in &step.warnings {
            println!(
                "  warning   {}: {} ({})",
                problem.kind, problem.message, step.state_name
            );
        }
    }
}

/// One line for what the caller sent: the event, or text, intent and slots.
fn request_summary(request: &flowc_runtime::Request) -> String {
    match request {
        flowc_runtime::Request::Phone(r) => {
            let mut parts = Vec::new();
            if let Some(event) = r.event {
                parts.push(format!("event {}", event.as_str()));
            }
            if let Some(text) = &r.text {
                parts.push(format!("text {text:?}"));
            }
            if let Some(intent) = &r.intent {
                parts.push(format!("intent {}", intent.name));
            }
            if let Some(slots) = &r.slots {
                parts.push(format!(
                    "slots {}",
                    serde_json::to_string(slots).unwrap_or_default()
                ));
            }
            if let Some(digits) = &r.collected_dtmf {
                parts.push(format!("dtmf {digits:?}"));
            }
            parts.join(", ")
        }
        flowc_runtime::Request::Chat(r) => match &r.event {
            flowc_runtime::ChatEvent::Launch => "launch".into(),
            flowc_runtime::ChatEvent::Quit => "quit".into(),
            flowc_runtime::ChatEvent::Message { text } => format!("message {text:?}"),
        },
    }
}
