//! Turn cost of the generated and the interpreted engine on the same conversation, against the cost of
//! serialising an already-built transaction of the same shape with serde_json (the floor) and the cost of
//! the shared engine alone ([`EngineOnly`]: the same requests, every decision free).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use flowc::interpret::Interpreter;
use flowc_runtime::{
    DiscardSink, DynamicServices, Engine, Flow, PhoneRequest, ServiceError, ServiceReply,
    Transaction, TurnBuffer, TurnContext,
};
use flowc_tests::conversations::conversation;
use flowc_tests::{dispatch_heavy, parcel_tracking};

use super::engine_only::EngineOnly;
use serde_json::{Value, json};

/// Figures for one flow.
pub struct Measured {
    pub generated_ns: f64,
    pub interpreted_ns: f64,
    pub floor_ns: f64,
    /// The same turns with every decision answered at no cost ([`EngineOnly`]): the shared engine alone.
    pub engine_only_ns: f64,
    pub turns: usize,
}

impl Measured {
    pub fn to_json(&self) -> Value {
        json!({
            "generated_turn_ns": super::round(self.generated_ns),
            "interpreted_turn_ns": super::round(self.interpreted_ns),
            "serialize_floor_ns": super::round(self.floor_ns),
            "interpreted_over_generated": super::round(self.interpreted_ns / self.generated_ns),
            "generated_over_floor": super::round(self.generated_ns / self.floor_ns),
            "engine_only_turn_ns": super::round(self.engine_only_ns),
            "interpreted_over_engine_only": super::round(self.interpreted_ns / self.engine_only_ns),
            "turns_per_sample": self.turns,
        })
    }
}

/// The parcel services, typed, as a team would write them.
struct ParcelBackend;

impl parcel_tracking::Services for ParcelBackend {
    fn lookup_parcel(
        &self,
        _input: parcel_tracking::LookupParcelInput<'_>,
        _context: &TurnContext,
    ) -> Result<parcel_tracking::LookupParcelOutput, ServiceError> {
        let mut out = parcel_tracking::LookupParcelOutput::new(
            parcel_tracking::LookupParcelBranch::InTransit,
        );
        out.parcel_status = Some("on the truck".into());
        out.delivery_date = Some("tomorrow".into());
        out.crm_ticket_id = Some("T-1".into());
        Ok(out)
    }

    fn close_ticket(
        &self,
        _input: parcel_tracking::CloseTicketInput<'_>,
        _context: &TurnContext,
    ) -> Result<parcel_tracking::CloseTicketOutput, ServiceError> {
        Ok(parcel_tracking::CloseTicketOutput::new(
            parcel_tracking::CloseTicketBranch::Closed,
        ))
    }
}

/// The same answers for the interpreter.
struct DynamicParcelBackend;

impl DynamicServices for DynamicParcelBackend {
    fn call(
        &self,
        service: &str,
        _inputs: &[(&str, &str)],
        _context: &TurnContext,
    ) -> Result<ServiceReply, ServiceError> {
        match service {
            "lookupParcel" => Ok(ServiceReply {
                branch: "inTransit".into(),
                outputs: vec![
                    ("parcelStatus".into(), "on the truck".into()),
                    ("deliveryDate".into(), "tomorrow".into()),
                    ("crmTicketId".into(), "T-1".into()),
                ],
            }),
            _ => Ok(ServiceReply {
                branch: "closed".into(),
                outputs: Vec::new(),
            }),
        }
    }
}

const SAMPLES: usize = 31;
const TURNS_PER_SAMPLE: usize = 2_000;

/// `FLOWC_BENCH_PROFILE=generated|interpreted|engine-only` plays only that engine's dispatch-heavy turns,
/// for profilers.
pub fn profile(which: &str) {
    let (opening, cycle) = conversation("dispatch_heavy");
    let mut buffer = TurnBuffer::new();
    let mut play = |engine: &dyn Fn(&PhoneRequest, &mut TurnBuffer)| {
        for r in &opening {
            engine(r, &mut buffer);
        }
        for i in 0..20_000 {
            engine(&cycle[i % cycle.len()], &mut buffer);
        }
    };
    let generated = || dispatch_heavy::Flow::new(flowc_runtime::Dynamic(flowc_runtime::NoServices));
    match which {
        "interpreted" => {
            let engine = engine(Interpreter::new(
                ir_of("dispatch_heavy.yaml"),
                flowc_runtime::NoServices,
            ));
            play(&|r, b| engine.play_phone(r, b).expect("bench request"));
        }
        "engine-only" => {
            let engine = engine(EngineOnly::new(generated()));
            play(&|r, b| engine.play_phone(r, b).expect("bench request"));
        }
        "generated" => {
            let engine = engine(generated());
            play(&|r, b| engine.play_phone(r, b).expect("bench request"));
        }
        other => {
            eprintln!(
                "FLOWC_BENCH_PROFILE={other:?}: expected generated, interpreted or engine-only"
            );
            std::process::exit(2);
        }
    }
}

/// One engine playing the benchmark conversation into its own reused turn buffer.
struct Player<'e, F: Flow> {
    engine: &'e Engine<F>,
    cycle: &'e [PhoneRequest],
    buffer: TurnBuffer,
    next: usize,
}

impl<'e, F: Flow> Player<'e, F> {
    fn new(engine: &'e Engine<F>, opening: &[PhoneRequest], cycle: &'e [PhoneRequest]) -> Self {
        let mut buffer = TurnBuffer::new();
        for r in opening {
            engine.play_phone(r, &mut buffer).expect("bench request");
        }
        let mut player = Player {
            engine,
            cycle,
            buffer,
            next: 0,
        };
        player.sample(); // warm up
        player
    }

    /// ns per turn over `TURNS_PER_SAMPLE` turns; each turn decides, builds and writes its transaction
    /// into the reused turn buffer (and hands it to the sink).
    fn sample(&mut self) -> f64 {
        let start = Instant::now();
        for _ in 0..TURNS_PER_SAMPLE {
            let request = &self.cycle[self.next % self.cycle.len()];
            self.next += 1;
            self.engine
                .play_phone(request, &mut self.buffer)
                .expect("bench request");
            black_box(self.buffer.transaction_json());
        }
        start.elapsed().as_nanos() as f64 / TURNS_PER_SAMPLE as f64
    }

    fn last_transaction(&self) -> Transaction {
        serde_json::from_slice(self.buffer.transaction_json()).expect("a transaction")
    }
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// ns to serialise an already-built transaction, over `TURNS_PER_SAMPLE` serialisations.
fn floor_sample(tx: &Transaction, buffer: &mut Vec<u8>) -> f64 {
    let start = Instant::now();
    for _ in 0..TURNS_PER_SAMPLE {
        buffer.clear();
        serde_json::to_writer(&mut *buffer, black_box(tx)).expect("serialise");
        black_box(&buffer);
    }
    start.elapsed().as_nanos() as f64 / TURNS_PER_SAMPLE as f64
}

/// The engine every measurement plays: test clock and ids (the same bytes every run), no sink work.
fn engine<F: Flow>(flow: F) -> Engine<F> {
    Engine::new(flow).deterministic().with_sink(DiscardSink)
}

fn ir_of(file: &str) -> flowc::ir::Flow {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../flows/");
    let source = std::fs::read_to_string(format!("{path}{file}")).expect("flow file");
    flowc::compile_source(file, &source).expect("clean flow").0
}

fn measure<G: Flow, I: Flow, E: Flow>(
    name: &str,
    generated: G,
    interpreted: I,
    engine_only: EngineOnly<E>,
) -> Measured {
    let (opening, cycle) = conversation(name);
    let (generated, interpreted, engine_only) =
        (engine(generated), engine(interpreted), engine(engine_only));
    let mut generated = Player::new(&generated, &opening, &cycle);
    let mut interpreted = Player::new(&interpreted, &opening, &cycle);
    let mut engine_only = Player::new(&engine_only, &opening, &cycle);
    let tx = generated.last_transaction();
    // Samples alternate between the engines (and the floor), so a slow spell of a shared machine hits
    // all of them alike instead of skewing their ratios.
    let mut samples = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
    let mut floor_buffer = Vec::with_capacity(8192);
    for _ in 0..SAMPLES {
        samples[0].push(generated.sample());
        samples[1].push(interpreted.sample());
        samples[2].push(floor_sample(&tx, &mut floor_buffer));
        samples[3].push(engine_only.sample());
    }
    let [generated_ns, interpreted_ns, floor_ns, engine_only_ns] = samples.map(median);
    Measured {
        generated_ns,
        interpreted_ns,
        floor_ns,
        engine_only_ns,
        turns: TURNS_PER_SAMPLE,
    }
}

/// Every flow of the benchmark.
pub fn measure_all() -> BTreeMap<&'static str, Measured> {
    let mut out = BTreeMap::new();
    out.insert(
        "dispatch_heavy",
        measure(
            "dispatch_heavy",
            dispatch_heavy::Flow::new(flowc_runtime::Dynamic(flowc_runtime::NoServices)),
            Interpreter::new(ir_of("dispatch_heavy.yaml"), flowc_runtime::NoServices),
            EngineOnly::new(dispatch_heavy::Flow::new(flowc_runtime::Dynamic(
                flowc_runtime::NoServices,
            ))),
        ),
    );
    out.insert(
        "parcel_tracking",
        measure(
            "parcel_tracking",
            parcel_tracking::Flow::new(ParcelBackend),
            Interpreter::new(ir_of("parcel_tracking.yaml"), DynamicParcelBackend),
            EngineOnly::new(parcel_tracking::Flow::new(ParcelBackend)),
        ),
    );
    out
}
