//! Session and user stores under concurrency.

use std::sync::Arc;
use std::thread;

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
