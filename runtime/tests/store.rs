//! Session and user stores under concurrency.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use flowc_runtime::{InMemoryStore, InMemoryUserStore, SessionStore, UserStore};

#[derive(Debug, Default, Clone, PartialEq)]
struct Conversation {
    owner: usize,
    turns: Vec<usize>,
}

#[test]
fn get_or_create_update_remove() {
    let store: InMemoryStore<Conversation> = InMemoryStore::new();
    assert!(store.is_empty());
    assert_eq!(store.update("s1", |c| c.turns.len()), None);
    let n = store.with_session("s1", Conversation::default, |c| {
        c.turns.push(1);
        c.turns.len()
    });
    assert_eq!(n, 1);
    let n = store.with_session(
        "s1",
        || panic!("must not re-create an existing session"),
        |c| {
            c.turns.push(2);
            c.turns.len()
        },
    );
    assert_eq!(n, 2);
    assert_eq!(store.update("s1", |c| c.turns.clone()), Some(vec![1, 2]));
    assert_eq!(store.len(), 1);
    assert!(store.remove("s1"));
    assert!(!store.remove("s1"));
    assert!(store.is_empty());
}

#[test]
fn eight_threads_no_cross_talk() {
    let store: Arc<InMemoryStore<Conversation>> = Arc::new(InMemoryStore::new());
    const SESSIONS_PER_THREAD: usize = 40;
    const TURNS: usize = 25;
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                for turn in 0..TURNS {
                    for s in 0..SESSIONS_PER_THREAD {
                        let key = format!("t{t}-s{s}");
                        store.with_session(
                            &key,
                            || Conversation {
                                owner: t,
                                turns: Vec::new(),
                            },
                            |c| {
                                assert_eq!(c.owner, t, "session {key} seen by another thread");
                                c.turns.push(turn);
                            },
                        );
                    }
                    // A session all threads share: turns serialize, none lost.
                    store.with_session("shared", Conversation::default, |c| c.turns.push(t));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread finished");
    }
    assert_eq!(store.len(), 8 * SESSIONS_PER_THREAD + 1);
    for t in 0..8 {
        for s in 0..SESSIONS_PER_THREAD {
            let c = store
                .update(&format!("t{t}-s{s}"), |c| c.clone())
                .expect("session exists");
            assert_eq!(c.owner, t);
            assert_eq!(c.turns, (0..TURNS).collect::<Vec<_>>());
        }
    }
    let shared = store.update("shared", |c| c.turns.len()).expect("exists");
    assert_eq!(shared, 8 * TURNS);
}

#[test]
fn a_panicking_turn_does_not_poison_the_store() {
    let store: Arc<InMemoryStore<Conversation>> = Arc::new(InMemoryStore::new());
    let s = Arc::clone(&store);
    let result = thread::spawn(move || {
        s.with_session("s", Conversation::default, |c| {
            c.turns.push(1);
            panic!("turn failed");
        })
    })
    .join();
    assert!(result.is_err());
    assert_eq!(store.update("s", |c| c.turns.clone()), Some(vec![1]));
}

#[test]
fn user_store_keys_by_requester_and_release() {
    let store: InMemoryUserStore<Vec<String>> = InMemoryUserStore::new();
    store.with_user("+49", "r1", Vec::new, |v| v.push("a".into()));
    store.with_user("+49", "r2", Vec::new, |v| v.push("b".into()));
    store.with_user("+33", "r1", Vec::new, |v| v.push("c".into()));
    store.with_user("+49", "r1", Vec::new, |v| v.push("d".into()));
    assert_eq!(store.len(), 3);
    assert_eq!(
        store.get_user("+49", "r1", Vec::clone),
        Some(vec!["a".into(), "d".into()])
    );
    assert_eq!(store.get_user("+49", "r2", Vec::len), Some(1));
    assert_eq!(store.get_user("+33", "r2", Vec::len), None);
    assert!(store.remove_user("+49", "r1"));
    assert!(!store.remove_user("+49", "r1"));
    assert_eq!(store.len(), 2);
}

#[test]
fn user_store_from_eight_threads() {
    let store: Arc<InMemoryUserStore<u64>> = Arc::new(InMemoryUserStore::new());
    let handles: Vec<_> = (0..8u64)
        .map(|t| {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                for i in 0..100 {
                    let requester = format!("caller{}", i % 10);
                    store.with_user(&requester, "release", || 0, |n| *n += 1);
                    store.with_user(&format!("own{t}"), "release", || t * 1000, |n| *n += 1);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread finished");
    }
    for i in 0..10 {
        assert_eq!(
            store.get_user(&format!("caller{i}"), "release", |n| *n),
            Some(80)
        );
    }
    for t in 0..8u64 {
        assert_eq!(
            store.get_user(&format!("own{t}"), "release", |n| *n),
            Some(t * 1000 + 100)
        );
    }
}

#[test]
fn idle_sessions_are_ended_once_then_forgotten() {
    let store: InMemoryStore<Conversation> = InMemoryStore::new();
    for key in ["a", "b", "c"] {
        store.with_session(key, Conversation::default, |c| c.turns.push(1));
    }
    let mut ended = Vec::new();
    // Not idle for an hour: nothing ends.
    let hour = Duration::from_secs(3600);
    assert_eq!(
        store.expire_idle(hour, 10, |k, _| ended.push(k.to_owned())),
        0
    );
    assert_eq!(store.len(), 3);
    // At most `limit` at a time.
    assert_eq!(
        store.expire_idle(Duration::ZERO, 2, |k, c| ended
            .push(format!("{k}{:?}", c.turns))),
        2
    );
    assert_eq!(store.len(), 1);
    assert_eq!(
        store.expire_idle(Duration::ZERO, 10, |k, c| ended
            .push(format!("{k}{:?}", c.turns))),
        1
    );
    ended.sort();
    assert_eq!(ended, ["a[1]", "b[1]", "c[1]"]);
    assert!(store.is_empty());
    assert_eq!(
        store.expire_idle(Duration::ZERO, 10, |_, _| panic!("ended twice")),
        0
    );
    assert_eq!(store.update("a", |_| ()), None);
}

#[test]
fn a_session_in_use_is_not_idle() {
    let store: Arc<InMemoryStore<Conversation>> = Arc::new(InMemoryStore::new());
    let (started, wait) = mpsc::channel();
    let (release, go) = mpsc::channel::<()>();
    let turn = {
        let store = Arc::clone(&store);
        thread::spawn(move || {
            store.with_session("busy", Conversation::default, |c| {
                started.send(()).unwrap();
                go.recv().unwrap();
                c.turns.push(1);
            })
        })
    };
    wait.recv().unwrap();
    assert_eq!(store.expire_idle(Duration::ZERO, 10, |_, _| {}), 0);
    release.send(()).unwrap();
    turn.join().unwrap();
    let mut seen = Vec::new();
    assert_eq!(
        store.expire_idle(Duration::ZERO, 10, |_, c| seen = c.turns.clone()),
        1
    );
    assert_eq!(seen, [1]);
}

#[test]
fn expiry_racing_turns_loses_no_turn_and_ends_each_session_once() {
    // Each turn counts one in its session; expiry moves a session's count into `ended` and leaves zero.
    // Every turn is then counted exactly once, in `ended` or in a session still held: a turn lost on a
    // detached state, or a session ended twice, breaks the sum.
    let store: Arc<InMemoryStore<u64>> = Arc::new(InMemoryStore::new());
    let stop = Arc::new(AtomicBool::new(false));
    let ended = Arc::new(AtomicU64::new(0));
    let sweeper = {
        let (store, stop, ended) = (Arc::clone(&store), Arc::clone(&stop), Arc::clone(&ended));
        thread::spawn(move || {
            let mut sweeps = 0u64;
            while !stop.load(Ordering::Relaxed) || sweeps == 0 {
                store.expire_idle(Duration::ZERO, usize::MAX, |_, n| {
                    // Slow enough that turns arrive while a session is being ended.
                    thread::yield_now();
                    ended.fetch_add(std::mem::take(n), Ordering::Relaxed);
                });
                sweeps += 1;
            }
            sweeps
        })
    };
    const THREADS: u64 = 4;
    const TURNS: u64 = 20_000;
    let turns: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                for i in 0..TURNS {
                    let key = format!("s{}", (i * 7 + t) % 13);
                    store.with_session(&key, || 0, |n| *n += 1);
                }
            })
        })
        .collect();
    for t in turns {
        t.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    assert!(sweeper.join().unwrap() > 0);
    let mut held = 0;
    for s in 0..13 {
        held += store.update(&format!("s{s}"), |n| *n).unwrap_or(0);
    }
    assert_eq!(ended.load(Ordering::Relaxed) + held, THREADS * TURNS);
    assert!(
        ended.load(Ordering::Relaxed) > 0,
        "the sweeper never ended a session"
    );
}

#[test]
fn a_store_without_idle_tracking_expires_nothing() {
    struct Plain;
    impl SessionStore<u64> for Plain {
        fn with_session<R>(
            &self,
            _: &str,
            i: impl FnOnce() -> u64,
            f: impl FnOnce(&mut u64) -> R,
        ) -> R {
            f(&mut i())
        }
        fn update<R>(&self, _: &str, _: impl FnOnce(&mut u64) -> R) -> Option<R> {
            None
        }
        fn remove(&self, _: &str) -> bool {
            false
        }
        fn len(&self) -> usize {
            1
        }
    }
    assert_eq!(
        Plain.expire_idle(Duration::ZERO, 10, |_, _| panic!("ended")),
        0
    );
}
