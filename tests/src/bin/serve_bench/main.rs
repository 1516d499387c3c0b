//! `cargo run --release -p flowc-tests --bin serve_bench -- [--seconds S] [--rounds N] [--json]`: turns per
//! second and latency of the dialoghook server over HTTP/1.1 keep-alive on loopback, at 1, 64 and 1,000
//! concurrent conversations (one connection each), beside a bare axum handler that answers a JSON body of
//! the same size without any engine: the ceiling of this machine's HTTP stack. Both are measured in the
//! same run, alternating round by round, with the same load generator; only their ratio compares across
//! runs. Nothing here asserts a time.
//!
//! With `--redis URL` it measures a fourth server, the default one with its conversations in that Redis,
//! and prints the round trips to Redis per turn and the bytes a conversation takes there.
//!
//! 1,000 connections need about 2,100 file descriptors (`ulimit -n`).

mod load;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use axum::serve::ListenerExt;
use flowc_runtime::server::Server;
use flowc_runtime::{
    Dynamic, Engine, NoServices, PhoneRequest, RedisConfig, RedisSessionStore, SessionStore,
    TurnBuffer,
};
use flowc_tests::conversations::conversation;
use flowc_tests::dispatch_heavy;
use load::{Load, Measured};
use serde_json::json;

const CONCURRENCY: [usize; 3] = [1, 64, 1000];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str, default: u64| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let seconds = Duration::from_secs(value("--seconds", 3));
    let rounds = value("--rounds", 3) as usize;
    let json_out = args.iter().any(|a| a == "--json");
    let redis = args
        .iter()
        .position(|a| a == "--redis")
        .and_then(|i| args.get(i + 1))
        .cloned();

    let (opening, cycle) = conversation("dispatch_heavy");
    let bodies = |requests: &[PhoneRequest]| -> Vec<String> {
        requests
            .iter()
            .map(|r| serde_json::to_string(r).unwrap())
            .collect()
    };
    let (opening, cycle) = (bodies(&opening), bodies(&cycle));
    // The bare handler answers what a turn of the cycle answers on average, byte for byte in size.
    let size = average_response(&opening, &cycle);
    let canned = Bytes::from(json!({ "prompt": "x".repeat(size.saturating_sub(13)) }).to_string());

    // The server as configured by default (turns on the turn pool), and with `inline_turns` (turns on
    // the connection threads, for services that never block).
    let flowc = |inline: bool| {
        let engine =
            Engine::new(dispatch_heavy::Flow::new(Dynamic(NoServices))).with_release("bench");
        Server::new()
            .listen(SocketAddr::from(([127, 0, 0, 1], 0)))
            .log(|_| {})
            .inline_turns(inline)
            .release(engine)
            .spawn()
            .expect("the flowc server starts")
    };
    let (pooled, inline) = (flowc(false), flowc(true));
    // The default server with its conversations in Redis, under a prefix of this run's own.
    let prefix = format!("flowc-bench:{}:", std::process::id());
    let on_redis = redis.as_ref().map(|url| {
        let flow = Arc::new(dispatch_heavy::Flow::new(Dynamic(NoServices)));
        let store = RedisSessionStore::new(RedisConfig::new(url, &prefix), Arc::clone(&flow))
            .expect("a redis URL");
        let users = store.user_store();
        let engine = Engine::new(flow)
            .with_release("bench")
            .with_store(store)
            .with_user_store(users);
        Server::new()
            .listen(SocketAddr::from(([127, 0, 0, 1], 0)))
            .log(|_| {})
            .release(engine)
            .spawn()
            .expect("the flowc server on redis starts")
    });
    let bare = bare_server(canned.clone());
    let client = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let path = "/dialoghook?dialog=bench&platform=phoneV2";

    let mut rows = Vec::new();
    for &connections in &CONCURRENCY {
        let mut measured: Vec<Measured> = (0..3 + usize::from(on_redis.is_some()))
            .map(|_| Measured::default())
            .collect();
        // A short warm-up of both, then rounds that alternate which goes first.
        for (round, warm) in std::iter::once(true)
            .chain(std::iter::repeat_n(false, rounds))
            .enumerate()
        {
            let time = if warm {
                Duration::from_millis(500)
            } else {
                seconds
            };
            let mut addrs = vec![bare.0, pooled.addr(), inline.addr()];
            addrs.extend(on_redis.as_ref().map(|r| r.addr()));
            let mut targets: Vec<_> = addrs.into_iter().zip(measured.iter_mut()).collect();
            let n = targets.len();
            targets.rotate_left(round % n);
            for (addr, total) in targets {
                let load = Load {
                    addr,
                    path,
                    connections,
                    opening: &opening,
                    cycle: &cycle,
                    time,
                };
                let measured = client.block_on(load.run());
                if !warm {
                    total.add(measured);
                }
            }
        }
        rows.push((connections, measured));
    }
    for server in [pooled, inline].into_iter().chain(on_redis) {
        let stopped = server.shutdown().expect("the flowc server stops");
        assert!(stopped.is_clean(), "{stopped:?}");
    }

    println!("| concurrent conversations | server | turns/s | / bare | p50 | p99 |");
    println!("|---|---|---|---|---|---|");
    let mut json_rows = Vec::new();
    let names = [
        "bare axum handler",
        "flowc (turn pool, default)",
        "flowc (inline_turns)",
        "flowc (turn pool, Redis store)",
    ];
    for (connections, measured) in &rows {
        let ceiling = measured[0].per_second();
        for (name, m) in names.iter().zip(measured) {
            let ratio = m.per_second() / ceiling;
            let (p50, p99) = (m.percentile(50.0), m.percentile(99.0));
            println!(
                "| {connections} | {name} | {:.0} | {ratio:.2} | {p50} µs | {p99} µs |",
                m.per_second()
            );
            json_rows.push(json!({
                "connections": connections, "server": name, "per_second": m.per_second().round(),
                "ratio": (ratio * 100.0).round() / 100.0, "p50_us": p50, "p99_us": p99, "errors": m.errors,
            }));
        }
    }
    let errors: u64 = rows
        .iter()
        .flat_map(|(_, m)| m.iter())
        .map(|m| m.errors)
        .sum();
    println!(
        "response body {size} bytes; {} s per round, {rounds} rounds; {errors} failed requests",
        seconds.as_secs()
    );
    let redis_figures = redis.map(|url| redis_figures(&url, &prefix, &opening, &cycle));
    if let Some((trips, bytes)) = redis_figures {
        println!(
            "Redis: {trips:.2} round trips per turn, {bytes} bytes per conversation (its value in Redis)"
        );
    }
    if json_out {
        println!(
            "{}",
            json!({ "server": json_rows, "response_bytes": size,
                    "redis_round_trips_per_turn": redis_figures.map(|f| f.0),
                    "redis_bytes_per_conversation": redis_figures.map(|f| f.1) })
        );
    }
    drop(bare);
}

/// Round trips to Redis per turn and the bytes of one conversation there, played without HTTP: the opening
/// and one pass of the cycle of 100 conversations.
fn redis_figures(url: &str, prefix: &str, opening: &[String], cycle: &[String]) -> (f64, usize) {
    let flow = Arc::new(dispatch_heavy::Flow::new(Dynamic(NoServices)));
    let store = RedisSessionStore::new(
        RedisConfig::new(url, format!("{prefix}figures:")),
        Arc::clone(&flow),
    )
    .expect("a redis URL");
    let users = store.user_store();
    let engine = Engine::new(flow).with_store(store).with_user_store(users);
    let mut buffer = TurnBuffer::new();
    let mut trips = 0;
    let mut turns = 0;
    let mut bytes = 0;
    for conversation in 0..100 {
        let mut key = String::new();
        let before = engine.store().round_trips();
        for body in opening.iter().chain(cycle) {
            let mut request: PhoneRequest = serde_json::from_str(body).unwrap();
            let session = format!("figures-{conversation}");
            request.call_meta.session_id = Some(session.clone());
            engine.play_phone(&request, &mut buffer).unwrap();
            key = session;
            turns += 1;
        }
        trips += engine.store().round_trips() - before;
        bytes = engine
            .store()
            .update(&key, |conv| engine.store().encoded_len(conv))
            .unwrap_or(0);
        engine.store().remove(&key);
    }
    (trips as f64 / turns as f64, bytes)
}

/// The mean size of the responses to the opening and one pass of the cycle.
fn average_response(opening: &[String], cycle: &[String]) -> usize {
    let engine = Engine::new(dispatch_heavy::Flow::new(Dynamic(NoServices)));
    let mut buffer = TurnBuffer::new();
    let mut total = 0;
    for body in opening.iter().chain(cycle) {
        let request: PhoneRequest = serde_json::from_str(body).unwrap();
        engine.play_phone(&request, &mut buffer).unwrap();
        total += buffer.response_json().len();
    }
    total / (opening.len() + cycle.len())
}

/// The ceiling: a bare axum handler on a runtime of its own that reads the body and answers `canned`.
fn bare_server(
    canned: Bytes,
) -> (
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    std::thread::JoinHandle<()>,
) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(SocketAddr::from((
            [127, 0, 0, 1],
            0,
        ))))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let router = Router::new().route(
        "/dialoghook",
        post(move |body: Bytes| {
            let canned = canned.clone();
            async move {
                std::hint::black_box(body);
                ([("content-type", "application/json")], canned)
            }
        }),
    );
    let thread = std::thread::spawn(move || {
        runtime.block_on(async move {
            // TCP_NODELAY, as the flowc server sets it: without it the ceiling would be slower, not higher.
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
    });
    (addr, stop, thread)
}
