//! The dialoghook server under many conversations at once, and conversations it ends itself after the idle
//! timeout, over real HTTP on 127.0.0.1.

mod serving;

use std::net::SocketAddr;
use std::sync::{Arc, Barrier, Mutex, mpsc};
use std::time::Duration;

use flowc_runtime::server::Server;
use flowc_runtime::{
    Dynamic, Engine, MemorySink, NoServices, Request, ServiceError, Transaction, TurnContext,
};
use flowc_tests::parcel_tracking::{
    CloseTicketInput, CloseTicketOutput, LookupParcelInput, LookupParcelOutput,
};
use flowc_tests::{parcel_tracking, support_chat};
use serde_json::Value;
use serving::{Backend, Client, chat, phone, wait_for};

const THREADS: usize = 50;
const PER_THREAD: usize = 20;

fn session_of(tx: &Transaction) -> String {
    match &tx.request {
        Request::Phone(r) => r.call_meta.session_id.clone().unwrap_or_default(),
        Request::Chat(r) => r.session_id.clone(),
    }
}

#[test]
fn a_thousand_concurrent_conversations_without_cross_talk() {
    let sink = Arc::new(MemorySink::unbounded());
    let engine = Engine::new(parcel_tracking::Flow::new(Backend))
        .with_release("parcel")
        .with_shared_sink(sink.clone());
    let running = Server::new()
        .listen(SocketAddr::from(([127, 0, 0, 1], 0)))
        .log(|_| {})
        .release(engine)
        .spawn()
        .unwrap();
    let addr = running.addr();
    // Every thread opens its conversations, then all 1,000 are open at once before any goes on.
    let opened = Arc::new(Barrier::new(THREADS + 1));
    let counted = Arc::new(Barrier::new(THREADS + 1));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (opened, counted) = (Arc::clone(&opened), Arc::clone(&counted));
            std::thread::spawn(move || {
                let client = Client::new(addr);
                let sessions: Vec<(String, String)> = (0..PER_THREAD)
                    .map(|i| {
                        (
                            format!("call-{t}-{i}"),
                            format!("{:08}", 10_000_000 + t * 1000 + i),
                        )
                    })
                    .collect();
                let turn = |session: &str, rest: &str| {
                    let (status, body) =
                        client.turn("parcel", "phoneV2", None, &phone(session, rest));
                    assert_eq!(status, 200, "{body}");
                    let body: Value = serde_json::from_str(&body).unwrap();
                    assert_eq!(
                        body["callMeta"]["sessionId"], session,
                        "another call's answer"
                    );
                    body["prompt"].as_str().unwrap().to_owned()
                };
                for (session, _) in &sessions {
                    turn(session, r#""event":"WELCOME""#);
                }
                opened.wait();
                counted.wait();
                // Turns interleave across this thread's calls, and across threads.
                for (session, _) in &sessions {
                    turn(
                        session,
                        r#""text":"where is my parcel","intent":{"name":"TrackParcel"}"#,
                    );
                }
                for (session, number) in &sessions {
                    let rest = format!(r#""event":"DTMF","collectedDtmf":"{number}""#);
                    let prompt = turn(session, &rest);
                    assert!(
                        prompt.contains(&format!("Your parcel {number} is on the truck")),
                        "{session}: {prompt}"
                    );
                }
                for (session, _) in &sessions {
                    turn(session, r#""event":"HANGUP""#);
                }
            })
        })
        .collect();
    opened.wait();
    let client = Client::new(addr);
    assert_eq!(client.metric(r#"flowc_sessions{release="parcel"}"#), 1000.0);
    counted.wait();
    for thread in threads {
        thread.join().expect("a conversation went wrong");
    }
    assert!(running.shutdown().unwrap().is_clean());
    let transactions = sink.take();
    assert_eq!(transactions.len(), 4 * THREADS * PER_THREAD);
    let mut by_session = std::collections::HashMap::<String, Vec<&Transaction>>::new();
    for tx in &transactions {
        by_session.entry(session_of(tx)).or_default().push(tx);
    }
    assert_eq!(by_session.len(), THREADS * PER_THREAD);
    for (session, txs) in by_session {
        let intents: Vec<&str> = txs.iter().map(|t| t.intent.name.as_ref()).collect();
        assert_eq!(
            intents,
            [
                "PARLOA.Welcome",
                "TrackParcel",
                "PARLOA.DTMF",
                "PARLOA.EndConversation"
            ],
            "{session}"
        );
        // Each conversation has its own analytics id, and its own number in its variables.
        assert!(
            txs.iter()
                .all(|t| t.user_context_id == txs[0].user_context_id),
            "{session}"
        );
        let (t, i) = session.trim_start_matches("call-").split_once('-').unwrap();
        let number = format!(
            "{:08}",
            10_000_000 + t.parse::<usize>().unwrap() * 1000 + i.parse::<usize>().unwrap()
        );
        let tracking = txs[2]
            .variables
            .iter()
            .find(|v| v.name == "trackingNumber")
            .unwrap();
        assert_eq!(tracking.value, number, "{session}");
    }
}

#[test]
fn idle_conversations_are_ended_recorded_and_forgotten() {
    let sink = Arc::new(MemorySink::unbounded());
    let parcel = Engine::new(parcel_tracking::Flow::new(Backend))
        .with_release("parcel")
        .with_shared_sink(sink.clone());
    let support = Engine::new(support_chat::Flow::new(Dynamic(NoServices)))
        .with_release("support")
        .with_shared_sink(sink.clone());
    let running = Server::new()
        .listen(SocketAddr::from(([127, 0, 0, 1], 0)))
        .log(|_| {})
        .idle_timeout(Duration::from_millis(300))
        .chat_idle_timeout(Duration::from_millis(300))
        .release(parcel)
        .release(support)
        .spawn()
        .unwrap();
    let client = Client::new(running.addr());
    for session in ["p1", "p2"] {
        assert_eq!(
            client
                .turn(
                    "parcel",
                    "phoneV2",
                    None,
                    &phone(session, r#""event":"WELCOME""#)
                )
                .0,
            200
        );
    }
    let said = r#""text":"where is my parcel","intent":{"name":"TrackParcel"}"#;
    assert_eq!(
        client.turn("parcel", "phoneV2", None, &phone("p2", said)).0,
        200
    );
    assert_eq!(
        client
            .turn(
                "support",
                "textchatV2",
                None,
                &chat("c1", r#"{"type":"launch"}"#)
            )
            .0,
        200
    );
    // A call that hung up is forgotten too, without a second transaction.
    assert_eq!(
        client
            .turn(
                "parcel",
                "phoneV2",
                None,
                &phone("p3", r#""event":"WELCOME""#)
            )
            .0,
        200
    );
    assert_eq!(
        client
            .turn(
                "parcel",
                "phoneV2",
                None,
                &phone("p3", r#""event":"HANGUP""#)
            )
            .0,
        200
    );
    wait_for(
        "the idle conversations to end",
        Duration::from_secs(20),
        || {
            client.metric(r#"flowc_sessions{release="parcel"}"#) == 0.0
                && client.metric(r#"flowc_sessions{release="support"}"#) == 0.0
        },
    );
    assert_eq!(
        client.metric(r#"flowc_idle_expired_total{release="parcel"}"#),
        2.0
    );
    assert_eq!(
        client.metric(r#"flowc_sessions_removed_total{release="parcel"}"#),
        3.0
    );
    assert_eq!(
        client.metric(r#"flowc_idle_expired_total{release="support"}"#),
        1.0
    );
    let transactions = sink.take();
    let ended: Vec<&Transaction> = transactions
        .iter()
        .filter(|t| {
            t.meta
                .warnings
                .affected_steps
                .iter()
                .any(|s| s.warnings.iter().any(|p| p.kind == "IdleTimeout"))
        })
        .collect();
    assert_eq!(ended.len(), 3, "{ended:#?}");
    for tx in &ended {
        let message = &tx.meta.warnings.affected_steps[0].warnings[0].message;
        assert!(
            message.contains("for 300 ms (the idle timeout)"),
            "{message}"
        );
        assert_eq!(tx.intent.name, "PARLOA.EndConversation");
        assert_eq!(tx.intent.next_state.id, "STATE.base");
        let json = serde_json::to_value(&tx.request).unwrap();
        match session_of(tx).as_str() {
            // The HANGUP flowc made up carries the callMeta the call started with; the flow's Global
            // PARLOA.EndConversation handler ran.
            "p1" | "p2" => {
                assert_eq!(json["event"], "HANGUP");
                assert_eq!(json["callMeta"]["customerId"], "test");
                assert_eq!(tx.intent.handled_by_state.id, "STATE.global");
            }
            "c1" => {
                assert_eq!(json["event"]["type"], "quit");
                assert_eq!(json["requesterId"], "user-c1");
            }
            other => panic!("session {other} ended by idle expiry"),
        }
    }
    // A request after expiry starts afresh on the same session: no synthetic hang-up for the old one.
    assert_eq!(
        client
            .turn(
                "parcel",
                "phoneV2",
                None,
                &phone("p1", r#""event":"WELCOME""#)
            )
            .0,
        200
    );
    let again = sink.take();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].meta.warnings.occurrences, 0);
    assert!(running.shutdown().unwrap().is_clean());
}

/// The parcel bot's backend, except that number 99999999 waits until the test lets it go and 66666666
/// panics.
struct Gated(Mutex<mpsc::Receiver<()>>, mpsc::Sender<()>);

impl parcel_tracking::Services for Gated {
    fn lookup_parcel(
        &self,
        input: LookupParcelInput<'_>,
        context: &TurnContext,
    ) -> Result<LookupParcelOutput, ServiceError> {
        match input.tracking_number {
            "99999999" => {
                self.1.send(()).unwrap();
                self.0.lock().unwrap().recv().unwrap();
            }
            "66666666" => panic!("the backend fell over"),
            _ => {}
        }
        Backend.lookup_parcel(input, context)
    }

    fn close_ticket(
        &self,
        input: CloseTicketInput<'_>,
        context: &TurnContext,
    ) -> Result<CloseTicketOutput, ServiceError> {
        Backend.close_ticket(input, context)
    }
}

#[test]
fn a_slow_service_holds_up_only_its_own_conversation() {
    let (release, gate) = mpsc::channel();
    let (entered, inside) = mpsc::channel();
    let engine = Engine::new(parcel_tracking::Flow::new(Gated(Mutex::new(gate), entered)))
        .with_release("parcel");
    let running = Server::new()
        .listen(SocketAddr::from(([127, 0, 0, 1], 0)))
        .log(|_| {})
        .release(engine)
        .spawn()
        .unwrap();
    let addr = running.addr();
    let dtmf = |number: &str| format!(r#""event":"DTMF","collectedDtmf":"{number}""#);
    let open = |client: &Client, session: &str| {
        for rest in [
            r#""event":"WELCOME""#,
            r#""text":"track","intent":{"name":"TrackParcel"}"#,
        ] {
            assert_eq!(
                client
                    .turn("parcel", "phoneV2", None, &phone(session, rest))
                    .0,
                200
            );
        }
    };
    // Two calls whose lookups hang, so that every thread at work so far is held.
    let slow: Vec<_> = (0..2)
        .map(|i| {
            let client = Client::new(addr);
            open(&client, &format!("slow-{i}"));
            let slow = std::thread::spawn(move || {
                client.turn(
                    "parcel",
                    "phoneV2",
                    None,
                    &phone(&format!("slow-{i}"), &dtmf("99999999")),
                )
            });
            inside
                .recv_timeout(Duration::from_secs(20))
                .expect("the slow lookup started");
            slow
        })
        .collect();
    // Meanwhile other calls go through, lookups included.
    let client = Client::new(addr);
    for i in 0..20 {
        let session = format!("fast-{i}");
        open(&client, &session);
        let (status, body) = client.turn(
            "parcel",
            "phoneV2",
            None,
            &phone(&session, &dtmf("12345678")),
        );
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("on the truck"), "{body}");
    }
    assert!(slow.iter().all(|s| !s.is_finished()));
    // A service that panics costs its request a 500, nothing more.
    open(&client, "broken");
    let (status, body) = client.turn(
        "parcel",
        "phoneV2",
        None,
        &phone("broken", &dtmf("66666666")),
    );
    assert_eq!(status, 500, "{body}");
    let (status, _) = client.turn(
        "parcel",
        "phoneV2",
        None,
        &phone("after", r#""event":"WELCOME""#),
    );
    assert_eq!(status, 200);
    for slow in slow {
        release.send(()).unwrap();
        let (status, body) = slow.join().unwrap();
        assert_eq!(status, 200, "{body}");
    }
    assert!(running.shutdown().unwrap().is_clean());
}
