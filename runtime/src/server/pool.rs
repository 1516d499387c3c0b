//! The threads turns run on. Services block, so turns cannot run on the threads that serve connections;
//! but waking a thread per turn (tokio's blocking pool) costs more than a fast turn itself. Here a thread
//! that finishes a turn takes the next one waiting, and looks out for one a little while (50 yields) before
//! it sleeps, so a thread or two drain the queue without being woken, and a submit wakes a thread only when
//! none is at work, looking or coming. A supervisor makes sure a
//! slow turn (a service taking its time) never holds up the others: whenever turns wait and none finished
//! during the last millisecond, it puts a thread on each waiting turn, up to the maximum; and while turns
//! queue up faster than they finish, it adds threads up to the number of cores.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// How long an idle thread waits for work before it ends.
const KEEP_ALIVE: Duration = Duration::from_secs(10);
/// How long waiting turns may see no progress before more threads are put to work.
const TICK: Duration = Duration::from_millis(1);
/// Times a thread yields, looking for a next turn, before it goes idle.
const SPINS: usize = 50;
/// Turns waiting behind each thread at work before another is added for throughput.
const BACKLOG: usize = 8;

/// A pool of at most `max` threads for turns.
pub(super) struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Idle threads wait here for work.
    work: Condvar,
    /// The supervisor waits here.
    watch: Condvar,
    max: usize,
    cores: usize,
    /// `state.queue.len()`, readable without the lock by a spinning thread.
    queued: AtomicUsize,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    threads: usize,
    /// Threads waiting on `work`.
    idle: usize,
    /// Wake-ups sent to idle threads and not yet taken (never more than `idle`).
    wakeups: usize,
    /// Threads started and not yet running.
    starting: usize,
    /// Threads looking out for a next turn a little while before they go idle.
    spinning: usize,
    /// Threads running a turn.
    busy: usize,
    /// Turns finished, for the supervisor to see progress.
    done: u64,
    /// The supervisor sleeps until a turn waits.
    unwatched: bool,
    closed: bool,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Pool {
    pub(super) fn new(max: usize) -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            watch: Condvar::new(),
            max: max.max(1),
            queued: AtomicUsize::new(0),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        });
        let supervisor = Arc::clone(&shared);
        // Should it not start, submit still starts threads; only the guarantee against slow turns is lost.
        let _ = std::thread::Builder::new()
            .name("flowc-turns-watch".into())
            .spawn(move || supervisor.supervise());
        Pool { shared }
    }

    /// Runs `f` on the pool; `Err` if it panicked.
    pub(super) async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, oneshot::error::RecvError> {
        let (done, result) = oneshot::channel();
        self.submit(Box::new(move || {
            let _ = done.send(f());
        }));
        result.await
    }

    fn submit(&self, job: Job) {
        let shared = &self.shared;
        let mut state = lock(&shared.state);
        state.queue.push_back(job);
        shared.queued.fetch_add(1, Ordering::Relaxed);
        if state.busy == 0 && state.wakeups + state.starting + state.spinning == 0 {
            // Nobody at work would come back for it.
            shared.put_to_work(&mut state, 1);
        }
        if state.unwatched {
            state.unwatched = false;
            shared.watch.notify_one();
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        lock(&self.shared.state).closed = true;
        self.shared.work.notify_all();
        self.shared.watch.notify_all();
    }
}

impl Shared {
    /// Wakes idle threads, or starts new ones, for `n` more waiting turns.
    fn put_to_work(self: &Arc<Self>, state: &mut State, n: usize) {
        for _ in 0..n {
            if state.idle > state.wakeups {
                state.wakeups += 1;
                self.work.notify_one();
            } else if state.threads < self.max {
                let shared = Arc::clone(self);
                let started = std::thread::Builder::new()
                    .name("flowc-turns".into())
                    .spawn(move || shared.work_loop());
                if started.is_ok() {
                    state.threads += 1;
                    state.starting += 1;
                }
            }
        }
    }

    fn work_loop(self: Arc<Self>) {
        let mut state = lock(&self.state);
        state.starting -= 1;
        loop {
            if let Some(job) = state.queue.pop_front() {
                self.queued.fetch_sub(1, Ordering::Relaxed);
                state.busy += 1;
                drop(state);
                // A panicking turn drops its result's sender: the request gets a 500, the thread lives on.
                let _ = catch_unwind(AssertUnwindSafe(job));
                state = lock(&self.state);
                state.busy -= 1;
                state.done += 1;
                continue;
            }
            if state.closed {
                break;
            }
            // Requests of a conversation come one after the other: the next often arrives within
            // microseconds, sooner than a thread that went to sleep could be woken for it.
            state.spinning += 1;
            drop(state);
            for _ in 0..SPINS {
                std::thread::yield_now();
                if self.queued.load(Ordering::Relaxed) > 0 {
                    break;
                }
            }
            state = lock(&self.state);
            state.spinning -= 1;
            if !state.queue.is_empty() {
                continue;
            }
            state.idle += 1;
            let (next, waited) = self
                .work
                .wait_timeout(state, KEEP_ALIVE)
                .unwrap_or_else(PoisonError::into_inner);
            state = next;
            state.idle -= 1;
            if state.wakeups > 0 {
                // Whichever thread wakes takes a wake-up and looks at the queue: none is lost.
                state.wakeups -= 1;
            } else if waited.timed_out() && state.queue.is_empty() {
                break;
            }
        }
        state.threads -= 1;
    }

    fn supervise(self: Arc<Self>) {
        let mut state = lock(&self.state);
        let mut seen = state.done;
        while !state.closed {
            if state.queue.is_empty() {
                state.unwatched = true;
                state = self
                    .watch
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                seen = state.done;
                continue;
            }
            state = self
                .watch
                .wait_timeout(state, TICK)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            let coming = state.wakeups + state.starting;
            let waiting = state.queue.len().saturating_sub(coming);
            let working = state.busy + coming;
            if waiting > 0 && state.done == seen {
                // No turn finished for a tick while turns wait: those at work are slow.
                self.put_to_work(&mut state, waiting);
            } else if waiting > BACKLOG * working.max(1) && working < self.cores {
                self.put_to_work(&mut state, 1);
            }
            seen = state.done;
        }
    }
}
