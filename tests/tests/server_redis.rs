//! Conversations in Redis shared by two instances: alternated turns give the transactions of one in-memory
//! instance, concurrent turns of one session lose no update, a session a dead instance held is taken over,
//! idle conversations are ended once across instances, and a Redis restart gives 503s, no panic, and
//! service again. Needs a real Redis (see `redis/mod.rs`).

mod redis;
mod serving;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use flowc_runtime::server::Server;
use flowc_runtime::{
    Engine, FixedClock, MemorySink, RedisConfig, RedisSessionStore, RedisUserStore, SequentialIds,
    SessionStore, Transaction,
};
use flowc_tests::parcel_tracking;
use serving::{Backend, Client, phone};

type Flow = Arc<parcel_tracking::Flow<Backend>>;
type RedisEngine =
    Engine<Flow, RedisSessionStore<<Flow as flowc_runtime::Flow>::Vars>, RedisUserStore>;

const RELEASE: &str = "parcel-tracking-2026.11";

/// What the instances of one test share, as one deterministic instance would have them: the fixed clock,
/// the ids and the sink. Played one turn after another, they draw as one instance does.
struct Shared {
    clock: Arc<FixedClock>,
    ids: Arc<SequentialIds>,
    sink: Arc<MemorySink>,
}

impl Shared {
    fn new() -> Self {
        Shared {
            clock: Arc::new(FixedClock::default()),
            ids: Arc::new(SequentialIds::new()),
            sink: Arc::new(MemorySink::unbounded()),
        }
    }
}

/// One instance: the parcel bot on Redis.
fn instance(config: RedisConfig, shared: &Shared) -> RedisEngine {
    let flow = Arc::new(parcel_tracking::Flow::new(Backend));
    let store = RedisSessionStore::new(config, Arc::clone(&flow)).unwrap();
    let users = store.user_store();
    Engine::new(flow)
        .with_clock(Arc::clone(&shared.clock))
        .with_ids(Arc::clone(&shared.ids))
        .with_store(store)
        .with_user_store(users)
        .with_shared_sink(Arc::clone(&shared.sink) as Arc<dyn flowc_runtime::AnalyticsSink>)
}

fn serve(engine: impl flowc_runtime::server::ServedEngine) -> flowc_runtime::server::Running {
    Server::new()
        .listen(SocketAddr::from(([127, 0, 0, 1], 0)))
        .log(|_| {})
        .idle_timeout(Duration::from_secs(3600))
        .release(engine)
        .spawn()
        .unwrap()
}

/// The turns of conversation `i`: a whole call, from WELCOME to HANGUP.
fn call(i: usize) -> Vec<String> {
    let session = format!("call-{i}");
    [
        r#""event":"WELCOME""#.to_owned(),
        r#""text":"where is my parcel""#.to_owned(),
        format!(r#""text":"{}""#, 10_000_000 + i),
        r#""text":"no thanks""#.to_owned(),
        r#""event":"HANGUP""#.to_owned(),
    ]
    .iter()
    .map(|rest| phone(&session, rest))
    .collect()
}

fn json(transactions: &[Transaction]) -> Vec<String> {
    transactions
        .iter()
        .map(|t| serde_json::to_string(t).unwrap())
        .collect()
}

#[test]
fn two_instances_sharing_redis_play_200_alternated_conversations_as_one_in_memory_instance() {
    let (url, _own) = redis::redis();
    let config = RedisConfig::new(url, redis::prefix("alternate"));
    let shared = Shared::new();
    let sink = &shared.sink;
    let a = serve(instance(config.clone(), &shared));
    let b = serve(instance(config, &shared));
    let clients = [Client::new(a.addr()), Client::new(b.addr())];

    let reference_sink = Arc::new(MemorySink::unbounded());
    let reference = serve(
        Engine::new(parcel_tracking::Flow::new(Backend))
            .deterministic()
            .with_shared_sink(Arc::clone(&reference_sink) as Arc<dyn flowc_runtime::AnalyticsSink>),
    );
    let one = Client::new(reference.addr());

    let calls: Vec<Vec<String>> = (0..200).map(call).collect();
    for turn in 0..calls[0].len() {
        for (i, call) in calls.iter().enumerate() {
            let (status, body) =
                clients[(i + turn) % 2].turn(RELEASE, "phoneV2", None, &call[turn]);
            let (want_status, want) = one.turn(RELEASE, "phoneV2", None, &call[turn]);
            assert_eq!(
                (status, &body),
                (want_status, &want),
                "call {i}, turn {turn}"
            );
            assert_eq!(status, 200, "{body}");
        }
    }
    let (got, want) = (sink.take(), reference_sink.take());
    assert_eq!(got.len(), 1000);
    for (n, (got, want)) in json(&got).iter().zip(json(&want)).enumerate() {
        assert_eq!(got, &want, "transaction {n}");
    }
    for running in [a, b, reference] {
        running.shutdown().unwrap();
    }
}

#[test]
fn concurrent_turns_of_one_session_on_two_instances_lose_no_update() {
    let (url, _own) = redis::redis();
    let config = RedisConfig::new(url, redis::prefix("concurrent"));
    let shared = Shared::new();
    let sink = &shared.sink;
    let instances = [instance(config.clone(), &shared), instance(config, &shared)];
    let welcome = serde_json::from_str(&phone("shared", r#""event":"WELCOME""#)).unwrap();
    instances[0].handle_phone(welcome).unwrap();
    const EACH: usize = 40;
    std::thread::scope(|s| {
        for engine in &instances {
            s.spawn(move || {
                for _ in 0..EACH {
                    // Silence: the state stays where it is, and every turn counts one more.
                    let request =
                        serde_json::from_str(&phone("shared", r#""text":"where is my parcel""#));
                    engine.handle_phone(request.unwrap()).unwrap();
                }
            });
        }
    });
    let turns = instances[1]
        .store()
        .update("shared", |conv| (conv.turns(), conv.is_active()));
    assert_eq!(turns, Some((1 + 2 * EACH as u32, true)));
    assert_eq!(sink.len(), 1 + 2 * EACH);
}

#[test]
fn a_session_whose_instance_died_mid_turn_is_taken_over_when_its_lease_ends() {
    let (url, _own) = redis::redis();
    let mut config = RedisConfig::new(url.clone(), redis::prefix("died"));
    config.lease = Duration::from_millis(300);
    config.wait = Duration::from_secs(3);
    let shared = Shared::new();
    let sink = &shared.sink;
    let survivor = serve(instance(config.clone(), &shared));
    let client = Client::new(survivor.addr());
    let calls: Vec<Vec<String>> = (0..20).map(call).collect();
    for call in &calls {
        assert_eq!(client.turn(RELEASE, "phoneV2", None, &call[0]).0, 200);
    }
    // The other instance died in the middle of a turn of every conversation: their leases are its.
    for i in 0..20 {
        let lease = format!("{}l:call-{i}", config.prefix);
        let set = redis::command(&url, &["SET", &lease, "dead-instance", "PX", "300"]);
        assert_eq!(set, "+OK");
    }
    for call in &calls {
        for turn in &call[1..] {
            let (status, body) = client.turn(RELEASE, "phoneV2", None, turn);
            assert_eq!(status, 200, "{body}");
        }
    }
    assert_eq!(sink.len(), 20 * 5);
    survivor.shutdown().unwrap();
}

#[test]
fn idle_conversations_are_ended_exactly_once_across_instances() {
    let (url, _own) = redis::redis();
    let config = RedisConfig::new(url, redis::prefix("idle"));
    let shared = Shared::new();
    let sink = &shared.sink;
    let instances = [instance(config.clone(), &shared), instance(config, &shared)];
    for i in 0..30 {
        let request = serde_json::from_str(&phone(&format!("idle-{i}"), r#""event":"WELCOME""#));
        instances[i % 2].handle_phone(request.unwrap()).unwrap();
    }
    assert_eq!(instances[0].store().len(), 30);
    std::thread::sleep(Duration::from_millis(150));
    let ended: usize = std::thread::scope(|s| {
        let sweepers: Vec<_> = instances
            .iter()
            .map(|engine| {
                s.spawn(move || {
                    let mut buffer = flowc_runtime::TurnBuffer::default();
                    (0..10)
                        .map(|_| {
                            engine
                                .expire_idle(Duration::from_millis(100), 4, &mut buffer)
                                .ended
                        })
                        .sum::<usize>()
                })
            })
            .collect();
        sweepers.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(ended, 30);
    let hangups = sink
        .take()
        .iter()
        .filter(|t| serde_json::to_string(t).unwrap().contains("IdleTimeout"))
        .count();
    assert_eq!(hangups, 30);
    assert_eq!(instances[1].store().len(), 0);
}

#[test]
fn a_redis_restart_gives_503s_with_json_then_service_resumes() {
    let mut own = redis::OwnRedis::start();
    let mut config = RedisConfig::new(own.url(), redis::prefix("restart"));
    config.timeout = Duration::from_millis(500);
    let shared = Shared::new();
    let sink = &shared.sink;
    let running = serve(instance(config, &shared));
    let client = Client::new(running.addr());
    let welcome = |i: usize| phone(&format!("r-{i}"), r#""event":"WELCOME""#);
    assert_eq!(client.turn(RELEASE, "phoneV2", None, &welcome(0)).0, 200);
    own.stop();
    for i in 1..4 {
        let (status, body) = client.turn(RELEASE, "phoneV2", None, &welcome(i));
        assert_eq!(status, 503, "{body}");
        let error: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(error["error"].as_str().unwrap().contains("redis"), "{body}");
    }
    own.restart();
    let (status, body) = client.turn(RELEASE, "phoneV2", None, &welcome(9));
    assert_eq!(status, 200, "{body}");
    // What the restart forgot starts afresh.
    let (status, body) = client.turn(RELEASE, "phoneV2", None, &phone("r-0", r#""text":"agent""#));
    assert_eq!(status, 200, "{body}");
    assert_eq!(sink.len(), 3);
    running.shutdown().unwrap();
}

#[test]
fn an_idle_call_whose_claimer_died_is_ended_by_the_other_instance_once_the_lease_ends() {
    let (url, _own) = redis::redis();
    let mut config = RedisConfig::new(url, redis::prefix("claimer"));
    config.lease = Duration::from_millis(300);
    let shared = Shared::new();
    let (dying, survivor) = (instance(config.clone(), &shared), instance(config, &shared));
    let welcome = serde_json::from_str(&phone("abandoned", r#""event":"WELCOME""#)).unwrap();
    dying.handle_phone(welcome).unwrap();
    std::thread::sleep(Duration::from_millis(150));
    let idle = Duration::from_millis(100);
    // The first instance claims the call and dies before it ended it (a panic stands for the crash).
    let died = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        dying
            .store()
            .expire_idle(idle, 10, |_, _| panic!("the instance died"))
    }));
    assert!(died.is_err());
    let mut buffer = flowc_runtime::TurnBuffer::default();
    // While its claim's lease runs, the call is nobody else's; afterwards the survivor ends it, once.
    assert_eq!(survivor.expire_idle(idle, 10, &mut buffer).ended, 0);
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(survivor.expire_idle(idle, 10, &mut buffer).ended, 1);
    assert_eq!(survivor.expire_idle(idle, 10, &mut buffer).ended, 0);
    let transactions = json(&shared.sink.take());
    assert_eq!(transactions.len(), 2);
    assert!(
        transactions[1].contains("IdleTimeout"),
        "{}",
        transactions[1]
    );
    assert_eq!(survivor.store().len(), 0);
}
