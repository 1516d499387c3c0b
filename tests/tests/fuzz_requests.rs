//! A fuzz target over the request path, run as a property test: real requests (the conversation scripts'
//! own, and bare events) are mutated — fields dropped, duplicated or retyped, huge strings, deep nesting,
//! broken escapes, numbers out of range, wrong event names, truncated text — and played, sessions
//! interleaved and WELCOME / HANGUP storms included, through every entry point (`handle_phone_json`,
//! `handle_chat_json`, `play_phone`, `play_chat`) of the interpreter and of the generated engine of every
//! shipped flow.
//!
//! Property: nothing panics; every call returns `Err` with a message or a turn whose transaction JSON parses
//! with the top-level keys in the documented order and whose response parses; and both engines answer every
//! request alike (the same error, or the same bytes).
//!
//! `FLOWC_FUZZ_CASES` sets the number of cases (up to 23 steps each, a step sometimes repeated as a storm);
//! the default keeps the debug run to a few seconds. Each run prints its seed; `FLOWC_FUZZ_SEED` replays it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use flowc::interpret::Interpreter;
use flowc::script::{Script, StubServices, Stubs};
use flowc_runtime::{
    AnalyticsSink, ChatRequest, Dynamic, Engine, Flow, PhoneRequest, SinkError, Transaction,
    TurnBuffer,
};
use flowc_tests::{appointment_booking, dispatch_heavy, minimal, parcel_tracking, support_chat};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Value, json};

const DEFAULT_CASES: u32 = 96;

/// The documented top-level keys of a transaction, in order; `language` is optional.
const TOP_LEVEL: [&str; 13] = [
    "transactionId",
    "requestTimestamp",
    "responseTime",
    "userContextId",
    "releaseId",
    "requesterId",
    "intent",
    "meta",
    "variables",
    "platform",
    "language",
    "request",
    "response",
];

// ---------------------------------------------------------------------------------------------------------
// Inputs

/// Which entry point a request goes to. `Native*` use the flow's own platform, `Foreign*` the other one.
#[derive(Debug, Clone, Copy)]
enum Entry {
    NativeJson,
    NativePlay,
    ForeignJson,
    ForeignPlay,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

/// One change to a request. `u16` selectors pick a node of the request (taken modulo the node count).
#[derive(Debug, Clone)]
enum Mutation {
    Drop(u16),
    Retype(u16, Kind),
    Set(u16, Value),
    AddKey(u16, usize, Value),
    HugeString(u16, usize, char),
    /// A known key with a huge string value, added to the nearest object.
    AddHuge(u16, usize, usize, char),
    Nest(u16, usize, bool),
    Raw(u16, usize),
    Event(usize),
    // Applied to the text after serialisation.
    DuplicateKey(u16),
    Truncate(u16),
    InsertChar(u16, char),
}

#[derive(Debug, Clone)]
struct Step {
    /// `None`: the next request of the case's script in this session (so that conversations get deep);
    /// `Some`: any seed request of the entry point's platform.
    seed: Option<u16>,
    entry: Entry,
    session: u8,
    repeat: u8,
    mutations: Vec<Mutation>,
}

#[derive(Clone)]
struct Case {
    flow: usize,
    /// A script of the flow: its requests are the seeds, its service stubs answer.
    script: u16,
    steps: Vec<Step>,
}

impl fmt::Debug for Case {
    // The failing input proptest prints: the flow by name and each step.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Case")
            .field("flow", &FLOWS[self.flow % FLOWS.len()])
            .field("script", &self.script)
            .field("steps", &self.steps)
            .finish()
    }
}

const FLOWS: [&str; 5] = [
    "appointment_booking",
    "dispatch_heavy",
    "minimal",
    "parcel_tracking",
    "support_chat",
];

const KEYS: [&str; 22] = [
    "callMeta",
    "event",
    "text",
    "intent",
    "intentRanking",
    "slots",
    "collectedDtmf",
    "name",
    "confidence",
    "value",
    "sessionId",
    "callId",
    "callerId",
    "instanceId",
    "customerId",
    "production",
    "isPrivacyEnabled",
    "apiVersion",
    "requesterId",
    "context",
    "type",
    "key",
];

const EVENTS: [&str; 12] = [
    "WELCOME", "HANGUP", "NO_INPUT", "DTMF", "RING", "welcome", "", "launch", "message", "quit",
    "poke", "QUIT",
];

/// Tokens a `serde_json::Value` cannot hold: numbers out of range, broken escapes, lone surrogates.
const RAW: [&str; 16] = [
    "1e400",
    "-1e400",
    "18446744073709551616",
    "-9223372036854775809",
    "1e-400",
    "-0",
    "NaN",
    "Infinity",
    r#""\ud800""#,
    r#""\udc00\ud800""#,
    r#""\x41""#,
    r#""\u00""#,
    r#""\uD83D\uDE00""#,
    "\"\u{0}\"",
    "\"\u{7f}\u{feff}\u{10ffff}\"",
    r#""\"\\\/\b\f\n\r\t""#,
];

const SIZES: [usize; 6] = [0, 1, 1000, 1001, 4096, 65_536];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        ".{0,12}".prop_map(Value::String),
        prop::sample::select(&EVENTS[..]).prop_map(|e| json!(e)),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(&KEYS[..]), inner), 0..4).prop_map(
                |pairs| Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            ),
        ]
    })
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let kind = prop_oneof![
        Just(Kind::Null),
        Just(Kind::Bool),
        Just(Kind::Number),
        Just(Kind::String),
        Just(Kind::Array),
        Just(Kind::Object),
    ];
    prop_oneof![
        3 => any::<u16>().prop_map(Mutation::Drop),
        3 => (any::<u16>(), kind).prop_map(|(at, k)| Mutation::Retype(at, k)),
        2 => (any::<u16>(), json_value()).prop_map(|(at, v)| Mutation::Set(at, v)),
        2 => (any::<u16>(), 0..KEYS.len(), json_value()).prop_map(|(at, k, v)| Mutation::AddKey(at, k, v)),
        1 => (any::<u16>(), prop::sample::select(&SIZES[..]), any::<char>())
            .prop_map(|(at, n, c)| Mutation::HugeString(at, n, c)),
        1 => (any::<u16>(), 0..KEYS.len(), prop::sample::select(&SIZES[..]), any::<char>())
            .prop_map(|(at, k, n, c)| Mutation::AddHuge(at, k, n, c)),
        1 => (any::<u16>(), prop_oneof![1..8usize, 120..140usize, 1000..1001usize], any::<bool>())
            .prop_map(|(at, depth, array)| Mutation::Nest(at, depth, array)),
        2 => (any::<u16>(), 0..RAW.len()).prop_map(|(at, raw)| Mutation::Raw(at, raw)),
        3 => (0..EVENTS.len()).prop_map(Mutation::Event),
        1 => any::<u16>().prop_map(Mutation::DuplicateKey),
        1 => any::<u16>().prop_map(Mutation::Truncate),
        1 => (any::<u16>(), any::<char>()).prop_map(|(at, c)| Mutation::InsertChar(at, c)),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let entry = prop_oneof![
        4 => Just(Entry::NativeJson),
        4 => Just(Entry::NativePlay),
        1 => Just(Entry::ForeignJson),
        1 => Just(Entry::ForeignPlay),
    ];
    // Mostly one request; sometimes a storm of the same one.
    let repeat = prop_oneof![8 => Just(1u8), 1 => 2..12u8];
    // Half the requests are played as recorded, so that conversations get somewhere.
    let mutations = prop_oneof![
        1 => Just(Vec::new()),
        1 => prop::collection::vec(mutation(), 1..4),
    ];
    let seed = prop_oneof![3 => Just(None), 1 => any::<u16>().prop_map(Some)];
    (seed, entry, 0..3u8, repeat, mutations).prop_map(
        |(seed, entry, session, repeat, mutations)| Step {
            seed,
            entry,
            session,
            repeat,
            mutations,
        },
    )
}

fn case() -> impl Strategy<Value = Case> {
    (
        0..FLOWS.len(),
        any::<u16>(),
        prop::collection::vec(step(), 1..24),
    )
        .prop_map(|(flow, script, steps)| Case {
            flow,
            script,
            steps,
        })
}

// ---------------------------------------------------------------------------------------------------------
// Applying mutations

/// Paths of every node of `value` (the root first), object keys and array indexes.
fn paths(value: &Value, here: &mut Vec<PathPart>, out: &mut Vec<Vec<PathPart>>) {
    out.push(here.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                here.push(PathPart::Key(k.clone()));
                paths(v, here, out);
                here.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                here.push(PathPart::Index(i));
                paths(v, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
enum PathPart {
    Key(String),
    Index(usize),
}

fn node<'a>(value: &'a mut Value, path: &[PathPart]) -> &'a mut Value {
    path.iter().fold(value, |v, part| match part {
        PathPart::Key(k) => &mut v[k.as_str()],
        PathPart::Index(i) => &mut v[*i],
    })
}

fn pick(value: &Value, at: u16) -> Vec<PathPart> {
    let mut all = Vec::new();
    paths(value, &mut Vec::new(), &mut all);
    all.swap_remove(at as usize % all.len())
}

/// Puts `raw` (JSON text) where `value` has the marker string, after serialisation.
const MARKER: &str = "\u{1}flowc-fuzz-raw\u{1}";

/// A string of about `bytes` bytes of `c`.
fn huge(bytes: usize, c: char) -> Value {
    Value::String(std::iter::repeat_n(c, bytes / c.len_utf8()).collect())
}

/// Keys of a request's top level: these go there; others go into the nearest object at or above the node
/// `at` picks.
const ROOT_KEYS: [&str; 10] = [
    "callMeta",
    "event",
    "text",
    "intent",
    "intentRanking",
    "slots",
    "collectedDtmf",
    "apiVersion",
    "requesterId",
    "context",
];

/// Sets `key` in the request's top level (a top-level key) or in the nearest object at or above the node
/// `at` picks.
fn add_key(value: &mut Value, at: u16, key: &str, v: Value) {
    let path = if ROOT_KEYS.contains(&key) {
        Vec::new()
    } else {
        pick(value, at)
    };
    let mut path = path.as_slice();
    loop {
        if let Value::Object(map) = node(value, path) {
            map.insert(key.to_string(), v);
            return;
        }
        match path.split_last() {
            Some((_, parent)) => path = parent,
            None => return,
        }
    }
}

/// The request text after the mutations.
fn mutate(mut value: Value, mutations: &[Mutation], chat: bool) -> String {
    let mut raws = Vec::new();
    for m in mutations {
        match m {
            Mutation::Drop(at) => {
                let path = pick(&value, *at);
                if let Some((last, parent)) = path.split_last() {
                    match (node(&mut value, parent), last) {
                        (Value::Object(map), PathPart::Key(k)) => {
                            map.remove(k);
                        }
                        (Value::Array(items), PathPart::Index(i)) if *i < items.len() => {
                            items.remove(*i);
                        }
                        _ => {}
                    }
                }
            }
            Mutation::Retype(at, kind) => {
                let path = pick(&value, *at);
                let target = node(&mut value, &path);
                let text = target.to_string();
                *target = match kind {
                    Kind::Null => Value::Null,
                    Kind::Bool => json!(text.len().is_multiple_of(2)),
                    Kind::Number => json!(text.len()),
                    Kind::String => json!(text),
                    Kind::Array => Value::Array(vec![target.take()]),
                    Kind::Object => json!({ "value": target.take() }),
                };
            }
            Mutation::Set(at, v) => {
                let path = pick(&value, *at);
                *node(&mut value, &path) = v.clone();
            }
            Mutation::AddKey(at, key, v) => add_key(&mut value, *at, KEYS[*key], v.clone()),
            Mutation::AddHuge(at, key, n, c) => add_key(&mut value, *at, KEYS[*key], huge(*n, *c)),
            Mutation::HugeString(at, n, c) => {
                let path = pick(&value, *at);
                *node(&mut value, &path) = huge(*n, *c);
            }
            Mutation::Nest(at, depth, array) => {
                // In the text, not as a `Value`: serialising or dropping a `Value` nested a thousand deep
                // recurses that deep on the test's stack.
                let path = pick(&value, *at);
                let target = node(&mut value, &path);
                let inner = std::mem::replace(target, json!(MARKER)).to_string();
                let (open, close) = if *array {
                    ("[", "]")
                } else {
                    ("{\"value\":", "}")
                };
                raws.push(format!(
                    "{}{inner}{}",
                    open.repeat(*depth),
                    close.repeat(*depth)
                ));
            }
            Mutation::Raw(at, raw) => {
                let path = pick(&value, *at);
                *node(&mut value, &path) = json!(MARKER);
                raws.push(RAW[*raw].to_string());
            }
            Mutation::Event(e) => {
                let name = EVENTS[*e];
                if chat {
                    if let Value::Object(map) = &mut value {
                        map.insert("event".into(), json!({ "type": name, "text": name }));
                    }
                } else if let Value::Object(map) = &mut value {
                    map.insert("event".into(), json!(name));
                }
            }
            Mutation::DuplicateKey(_) | Mutation::Truncate(_) | Mutation::InsertChar(..) => {}
        }
    }
    let mut text = value.to_string();
    let quoted_marker = serde_json::to_string(MARKER).expect("a string serialises");
    for raw in raws {
        text = text.replacen(&quoted_marker, &raw, 1);
    }
    for m in mutations {
        match m {
            Mutation::DuplicateKey(at) => {
                // A copy of one top-level member in front of the others: `{"event":…,"event":…}`.
                if let (Value::Object(map), Some(rest)) = (&value, text.strip_prefix('{'))
                    && !map.is_empty()
                {
                    let (k, v) = map.iter().nth(*at as usize % map.len()).expect("in range");
                    let sep = if rest.starts_with('}') { "" } else { "," };
                    text = format!("{{{}:{v}{sep}{rest}", json!(k));
                }
            }
            Mutation::Truncate(at) => {
                let mut cut = *at as usize % (text.len() + 1);
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
            }
            Mutation::InsertChar(at, c) => {
                let mut at = *at as usize % (text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                text.insert(at, *c);
            }
            _ => {}
        }
    }
    text
}

/// Moves a seed request into session `session` (of one of two callers), so that conversations interleave.
fn in_session(mut request: Value, session: u8, chat: bool) -> Value {
    let id = format!("fuzz-session-{session}");
    let caller = format!("+4915100000{}", session % 2);
    if chat {
        request["sessionId"] = json!(id);
        request["requesterId"] = json!(caller);
    } else {
        let meta = &mut request["callMeta"];
        meta["sessionId"] = json!(id);
        meta["callId"] = json!(id);
        meta["callerId"] = json!(caller);
    }
    request
}

// ---------------------------------------------------------------------------------------------------------
// Playing

/// Keeps the bytes of the last transaction the engine gave to its sink.
#[derive(Default)]
struct LastJson(Mutex<Vec<u8>>);

impl AnalyticsSink for LastJson {
    fn record(&self, tx: &Transaction) -> Result<(), SinkError> {
        *self.0.lock().unwrap() = serde_json::to_vec(tx)?;
        Ok(())
    }
    fn record_json(&self, json: &[u8]) -> Result<(), SinkError> {
        json.clone_into(&mut self.0.lock().unwrap());
        Ok(())
    }
}

/// What one call gave: the error's message, or the transaction and response bytes.
#[derive(Debug, PartialEq)]
enum Outcome {
    Refused(String),
    Played {
        transaction: Vec<u8>,
        response: Vec<u8>,
    },
}

/// One engine, behind the four entry points.
trait Target {
    fn phone_json(&self, text: &str) -> Outcome;
    fn chat_json(&self, text: &str) -> Outcome;
    fn play_phone(&self, request: &PhoneRequest, buffer: &mut TurnBuffer) -> Outcome;
    fn play_chat(&self, request: &ChatRequest, buffer: &mut TurnBuffer) -> Outcome;
}

struct Played<F: Flow> {
    engine: Engine<F>,
    sink: Arc<LastJson>,
}

impl<F: Flow> Played<F> {
    fn new(flow: F) -> Self {
        let sink = Arc::new(LastJson::default());
        let engine = Engine::new(flow)
            .deterministic()
            .with_shared_sink(sink.clone());
        Played { engine, sink }
    }

    fn turn<R: serde::Serialize>(
        &self,
        turn: Result<flowc_runtime::Turn<R>, flowc_runtime::EngineError>,
    ) -> Outcome {
        match turn {
            Err(e) => Outcome::Refused(e.to_string()),
            Ok(turn) => {
                let transaction = self.sink.0.lock().unwrap().clone();
                // The struct the caller got reads the same as the bytes the sink got.
                let parsed: Transaction =
                    serde_json::from_slice(&transaction).expect("the sink's transaction parses");
                assert!(
                    parsed == turn.transaction,
                    "the returned transaction is the recorded one"
                );
                Outcome::Played {
                    transaction,
                    response: serde_json::to_vec(&turn.response).expect("a response serialises"),
                }
            }
        }
    }

    fn buffer(result: Result<(), flowc_runtime::EngineError>, buffer: &TurnBuffer) -> Outcome {
        match result {
            Err(e) => Outcome::Refused(e.to_string()),
            Ok(()) => Outcome::Played {
                transaction: buffer.transaction_json().to_vec(),
                response: buffer.response_json().to_vec(),
            },
        }
    }
}

impl<F: Flow> Target for Played<F> {
    fn phone_json(&self, text: &str) -> Outcome {
        self.turn(self.engine.handle_phone_json(text))
    }
    fn chat_json(&self, text: &str) -> Outcome {
        self.turn(self.engine.handle_chat_json(text))
    }
    fn play_phone(&self, request: &PhoneRequest, buffer: &mut TurnBuffer) -> Outcome {
        Self::buffer(self.engine.play_phone(request, buffer), buffer)
    }
    fn play_chat(&self, request: &ChatRequest, buffer: &mut TurnBuffer) -> Outcome {
        Self::buffer(self.engine.play_chat(request, buffer), buffer)
    }
}

/// The top-level keys of a JSON object, in the order written.
struct Keys(Vec<String>);

impl<'de> serde::Deserialize<'de> for Keys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeysVisitor;
        impl<'de> Visitor<'de> for KeysVisitor {
            type Value = Keys;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some((key, IgnoredAny)) = map.next_entry::<String, IgnoredAny>()? {
                    keys.push(key);
                }
                Ok(Keys(keys))
            }
        }
        deserializer.deserialize_map(KeysVisitor)
    }
}

/// Checks one outcome: a refusal says why; a turn's transaction has the documented keys in order and the
/// platform of the entry point, and its response parses.
fn check(outcome: &Outcome, chat: bool, request: &str) -> Result<(), TestCaseError> {
    match outcome {
        Outcome::Refused(message) => {
            prop_assert!(!message.trim().is_empty(), "an empty error for {request}");
        }
        Outcome::Played {
            transaction,
            response,
        } => {
            let keys: Keys = serde_json::from_slice(transaction).map_err(|e| {
                TestCaseError::fail(format!(
                    "transaction does not parse ({e}): {}\nrequest: {request}",
                    String::from_utf8_lossy(transaction)
                ))
            })?;
            let expected: Vec<&str> = TOP_LEVEL
                .iter()
                .copied()
                .filter(|k| *k != "language" || keys.0.iter().any(|got| got == "language"))
                .collect();
            prop_assert_eq!(&keys.0, &expected, "request: {}", request);
            let tx: Value = serde_json::from_slice(transaction).expect("parsed above");
            let platform = if chat { "textchatV2" } else { "phoneV2" };
            prop_assert_eq!(&tx["platform"], &json!(platform));
            let parsed: Result<Value, _> = serde_json::from_slice(response);
            prop_assert!(
                matches!(parsed, Ok(Value::Object(_))),
                "response is not a JSON object: {}\nrequest: {request}",
                String::from_utf8_lossy(response)
            );
        }
    }
    Ok(())
}

/// One script's service stubs and requests.
type ScriptSeeds = (BTreeMap<String, Stubs>, Vec<Value>);

/// A flow's compiled form, its scripts' stubs and the seeds.
struct Fixture {
    ir: BTreeMap<String, flowc::ir::Flow>,
    /// By flow: each script's stubs and requests.
    scripts: BTreeMap<String, Vec<ScriptSeeds>>,
    phone_seeds: Vec<Value>,
    chat_seeds: Vec<Value>,
}

fn fixture() -> Fixture {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../flows/conversations");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("conversations folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    let mut fixture = Fixture {
        ir: BTreeMap::new(),
        scripts: BTreeMap::new(),
        phone_seeds: Vec::new(),
        chat_seeds: Vec::new(),
    };
    for path in paths {
        let script = Script::load(&path).unwrap();
        let source = std::fs::read_to_string(script.flow_path()).unwrap();
        let (ir, _) = flowc::compile_source("flow.yaml", &source).unwrap();
        let chat = !ir.supports(flowc::ast::Platform::Phone);
        let requests: Vec<Value> = flowc::script::requests(&script, chat, &ir)
            .unwrap()
            .iter()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        if chat {
            fixture.chat_seeds.extend(requests.iter().cloned());
        } else {
            fixture.phone_seeds.extend(requests.iter().cloned());
        }
        fixture
            .scripts
            .entry(ir.name.clone())
            .or_default()
            .push((script.services.clone(), requests));
        fixture.ir.insert(ir.name.clone(), ir);
    }
    // Bare events, with privacy on and off, and a DTMF event without digits.
    for event in ["WELCOME", "HANGUP", "NO_INPUT", "DTMF"] {
        for privacy in [false, true] {
            fixture.phone_seeds.push(json!({
                "callMeta": {"sessionId": "s", "callId": "s", "callerId": "+49", "isPrivacyEnabled": privacy},
                "event": event,
            }));
        }
    }
    for event in ["launch", "quit"] {
        fixture.chat_seeds.push(
            json!({"apiVersion": "chat/v1", "requesterId": "u", "sessionId": "s", "event": {"type": event}}),
        );
    }
    for name in FLOWS {
        assert!(fixture.ir.contains_key(name), "no script plays `{name}`");
    }
    fixture
}

fn target(
    name: &str,
    ir: &flowc::ir::Flow,
    stubs: &BTreeMap<String, Stubs>,
) -> [Box<dyn Target>; 2] {
    let interpreted: Box<dyn Target> = Box::new(Played::new(Interpreter::new(
        ir.clone(),
        StubServices::new(stubs.clone()),
    )));
    let services = Dynamic(Arc::new(StubServices::new(stubs.clone())));
    let generated: Box<dyn Target> = match name {
        "appointment_booking" => Box::new(Played::new(appointment_booking::Flow::new(services))),
        "dispatch_heavy" => Box::new(Played::new(dispatch_heavy::Flow::new(services))),
        "minimal" => Box::new(Played::new(minimal::Flow::new(services))),
        "parcel_tracking" => Box::new(Played::new(parcel_tracking::Flow::new(services))),
        "support_chat" => Box::new(Played::new(support_chat::Flow::new(services))),
        other => panic!("no generated module for flow `{other}`: add it to tests/src/lib.rs"),
    };
    [interpreted, generated]
}

/// Requests played through each engine, and how many of them were refused.
#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    refused: AtomicU64,
}

/// Plays one case through both engines of its flow.
fn play_case(fixture: &Fixture, case: &Case, counts: &Counts) -> Result<(), TestCaseError> {
    let name = FLOWS[case.flow % FLOWS.len()];
    let ir = &fixture.ir[name];
    let scripts = &fixture.scripts[name];
    let (stubs, script) = &scripts[case.script as usize % scripts.len()];
    let engines = target(name, ir, stubs);
    let mut cursors = [0usize; 3];
    let native_chat = !ir.supports(flowc::ast::Platform::Phone);
    let mut buffers = [TurnBuffer::new(), TurnBuffer::new()];
    for step in &case.steps {
        let (chat, play) = match step.entry {
            Entry::NativeJson => (native_chat, false),
            Entry::NativePlay => (native_chat, true),
            Entry::ForeignJson => (!native_chat, false),
            Entry::ForeignPlay => (!native_chat, true),
        };
        let seeds = if chat {
            &fixture.chat_seeds
        } else {
            &fixture.phone_seeds
        };
        let seed = match step.seed {
            None if chat == native_chat => {
                let cursor = &mut cursors[step.session as usize % cursors.len()];
                *cursor += 1;
                script[(*cursor - 1) % script.len()].clone()
            }
            None => seeds[0].clone(),
            Some(n) => seeds[n as usize % seeds.len()].clone(),
        };
        let text = mutate(in_session(seed, step.session, chat), &step.mutations, chat);
        for _ in 0..step.repeat {
            let mut outcomes = Vec::with_capacity(2);
            for (engine, buffer) in engines.iter().zip(&mut buffers) {
                let outcome = match (chat, play) {
                    (false, false) => engine.phone_json(&text),
                    (true, false) => engine.chat_json(&text),
                    (false, true) => match serde_json::from_str::<PhoneRequest>(&text) {
                        Ok(request) => engine.play_phone(&request, buffer),
                        Err(e) => Outcome::Refused(e.to_string()),
                    },
                    (true, true) => match serde_json::from_str::<ChatRequest>(&text) {
                        Ok(request) => engine.play_chat(&request, buffer),
                        Err(e) => Outcome::Refused(e.to_string()),
                    },
                };
                check(&outcome, chat, &text)?;
                outcomes.push(outcome);
            }
            prop_assert!(
                outcomes[0] == outcomes[1],
                "interpreted and generated engines differ on {text}:\n{}\n{}",
                show(&outcomes[0]),
                show(&outcomes[1])
            );
            counts.requests.fetch_add(1, Ordering::Relaxed);
            if matches!(outcomes[0], Outcome::Refused(_)) {
                counts.refused.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    Ok(())
}

fn show(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Refused(message) => format!("refused: {message}"),
        Outcome::Played { transaction, .. } => String::from_utf8_lossy(transaction).into_owned(),
    }
}

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    Some(
        text.parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, got {text:?}")),
    )
}

#[test]
fn mutated_requests_never_panic_and_both_engines_agree() {
    let fixture = fixture();
    let cases = env_number("FLOWC_FUZZ_CASES").map_or(DEFAULT_CASES, |n| n as u32);
    let config = Config {
        cases,
        // A failure prints its minimal input and the seed; no regression files in the tree.
        failure_persistence: None,
        ..Config::default()
    };
    // A seed of our own, printed first, so that any run (even one that dies of a stack overflow) can be
    // replayed with FLOWC_FUZZ_SEED.
    let seed = env_number("FLOWC_FUZZ_SEED").unwrap_or_else(|| {
        use std::hash::BuildHasher;
        std::collections::hash_map::RandomState::new().hash_one(0u8)
    });
    eprintln!("fuzz: FLOWC_FUZZ_SEED={seed} FLOWC_FUZZ_CASES={cases}");
    let mut runner = TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(seed)),
    );
    let counts = Counts::default();
    let result = runner.run(&case(), |case| play_case(&fixture, &case, &counts));
    // Shrinking replays failing cases: the counts include those.
    eprintln!(
        "fuzz: {cases} cases, {} requests through each of two engines, {} refused",
        counts.requests.load(Ordering::Relaxed),
        counts.refused.load(Ordering::Relaxed)
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut bytes = [0; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes
}

#[test]
fn the_mutations_do_what_they_say() {
    // The fuzzer is only as good as its mutations: each one changes a real request as described.
    let seed = json!({"callMeta": {"sessionId": "s"}, "event": "WELCOME"});
    let one = |m: Mutation| mutate(seed.clone(), &[m], false);
    assert_eq!(
        one(Mutation::Drop(2)),
        r#"{"callMeta":{},"event":"WELCOME"}"#
    );
    assert_eq!(one(Mutation::Drop(3)), r#"{"callMeta":{"sessionId":"s"}}"#);
    assert_eq!(
        one(Mutation::Raw(3, 0)),
        r#"{"callMeta":{"sessionId":"s"},"event":1e400}"#
    );
    assert_eq!(
        one(Mutation::DuplicateKey(1)),
        r#"{"event":"WELCOME","callMeta":{"sessionId":"s"},"event":"WELCOME"}"#
    );
    assert_eq!(
        one(Mutation::Event(4)),
        r#"{"callMeta":{"sessionId":"s"},"event":"RING"}"#
    );
    assert_eq!(one(Mutation::Truncate(5)), r#"{"cal"#);
    let nested = one(Mutation::Nest(3, 130, true));
    assert!(nested.contains(&format!(
        "{}\"WELCOME\"{}",
        "[".repeat(130),
        "]".repeat(130)
    )));
    assert_eq!(
        one(Mutation::HugeString(2, 65_536, 'é')).len(),
        seed.to_string().len() - 1 + 65_536
    );
}
