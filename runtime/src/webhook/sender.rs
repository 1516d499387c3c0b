//! The sender thread: seals batches whose `max_delay` ran out and POSTs
//! sealed batches one at a time, oldest first, except that a batch waiting
//! for a retry lets later ones pass ([`Retries`](super::retry::Retries)
//! decides which comes next and when a batch is given up).

use std::hash::{BuildHasher, RandomState};
use std::time::{Duration, Instant};

use super::client::Attempt;
use super::retry::{Pick, Verdict, Waiting};
use super::{Shared, State, lock, seal, spool};
use std::sync::PoisonError;

/// What the sender takes next.
#[derive(Debug)]
struct Job {
    seq: u64,
    /// Its lines are checked before sending: it was not written by this
    /// process (left by an earlier run), or it is read back for a retry (it
    /// may be such a batch, and a check costs little next to a POST).
    check: bool,
    /// `(buffer, count)` when the batch is in memory; read from disk otherwise.
    mem: Option<(Vec<u8>, u64)>,
    /// Its entry in the retry window, when this is a retry.
    retried: Option<Waiting>,
}

/// The sender thread: batches until shutdown.
pub(super) fn sender_loop(shared: &Shared) {
    let mut random = Jitter::new();
    while let Some(job) = next_job(shared) {
        deliver(shared, job, &mut random);
    }
    let mut st = lock(&shared.state);
    st.in_flight = false;
    st.sender_done = true;
    drop(st);
    shared.progress.notify_all();
}

/// Whether a batch not yet tried is ready: left by an earlier run, or sealed.
fn fresh_ready(st: &State) -> bool {
    !st.replay.is_empty() || st.next_send < st.sealed_end
}

/// Waits for the next batch to send, sealing batches whose `max_delay` ran
/// out; `None` when shutting down.
fn next_job(shared: &Shared) -> Option<Job> {
    let mut st = lock(&shared.state);
    loop {
        let now = Instant::now();
        if st.closing.is_some_and(|deadline| now >= deadline) {
            return None;
        }
        if st.open.as_ref().is_some_and(|open| now >= open.due) {
            seal(shared, &mut st);
            continue;
        }
        let fresh = fresh_ready(&st);
        let wake = match st.retries.pick(now, fresh) {
            Pick::Retry(waiting) => {
                st.in_flight = true;
                return Some(Job {
                    seq: waiting.seq,
                    check: true,
                    mem: None,
                    retried: Some(waiting),
                });
            }
            Pick::Fresh => {
                st.in_flight = true;
                return Some(take_fresh(&mut st));
            }
            Pick::Wait(until) => until,
        };
        if st.closing.is_some() && !fresh && st.retries.is_empty() {
            return None;
        }
        let wake = [wake, st.open.as_ref().map(|open| open.due), st.closing]
            .into_iter()
            .flatten()
            .min();
        st = match wake {
            Some(at) => {
                shared
                    .work
                    .wait_timeout(st, at.saturating_duration_since(now))
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
            None => shared.work.wait(st).unwrap_or_else(PoisonError::into_inner),
        };
    }
}

/// The oldest batch not yet tried: an earlier run's first, then this run's.
fn take_fresh(st: &mut State) -> Job {
    if let Some((seq, _)) = st.replay.pop_front() {
        return Job {
            seq,
            check: true,
            mem: None,
            retried: None,
        };
    }
    let seq = st.next_send;
    st.next_send += 1;
    let mem = match st.mem.front() {
        Some(batch) if batch.seq == seq => st.mem.pop_front().map(|b| {
            st.stats.queued -= b.count;
            (b.buf, b.count)
        }),
        _ => None,
    };
    Job {
        seq,
        check: false,
        mem,
        retried: None,
    }
}

/// Reads batch `seq` from the spool as a JSON array with its count; `None`
/// when it is gone, cannot be read by shutdown's deadline, or its bad lines
/// could not be set aside (it then stays in the spool for the next start).
fn load(shared: &Shared, seq: u64, check: bool, random: &mut Jitter) -> Option<(Vec<u8>, u64)> {
    let mut attempt = 0;
    let bytes = loop {
        match shared.spool.read(seq) {
            Ok(bytes) => break bytes,
            Err(e) => {
                let error = format!(
                    "cannot read spooled batch {}: {e}",
                    shared.spool.path(seq).display()
                );
                lock(&shared.state).last_error = Some(error);
                let delay = shared.retry.delay(attempt, random.next(), None);
                attempt += 1;
                if !pause(shared, delay) {
                    return None;
                }
            }
        }
    };
    // `None`: delivered by an earlier sink, or removed by hand.
    let bytes = bytes?;
    if !check {
        // Written by this process, whole lines only (a failed write is rolled back).
        return Some(spool::array_in_place(bytes));
    }
    let batch = spool::check_lines(&bytes);
    if batch.corrupt_count > 0 {
        let kept = shared
            .spool
            .set_aside_corrupt(seq, &batch.corrupt, &batch.lines[1..]);
        let mut st = lock(&shared.state);
        if let Err(e) = kept {
            st.last_error = Some(format!("cannot keep unreadable lines of batch {seq}: {e}"));
            return None;
        }
        let message = format!(
            "{} line(s) of spooled batch {seq} are not JSON",
            batch.corrupt_count
        );
        st.stats.failed += batch.corrupt_count;
        st.stats.pending = st.stats.pending.saturating_sub(batch.corrupt_count);
        st.last_error = Some(message.clone());
        st.last_rejection = Some(message);
    }
    Some(spool::array_in_place(batch.lines))
}

/// Makes one attempt at a batch: delivered (it leaves the spool), refused
/// (`rejected/`), or failed (it waits for a retry, or goes to `dead-letter/`).
fn deliver(shared: &Shared, job: Job, random: &mut Jitter) {
    let seq = job.seq;
    let loaded = match job.mem {
        Some((buf, count)) => Some((spool::array_in_place(buf).0, count)),
        None => load(shared, seq, job.check, random),
    };
    let Some((body, count)) = loaded else {
        return shared.finish(|_| {});
    };
    if count == 0 {
        let _ = shared.spool.remove(seq);
        return shared.finish(|_| {});
    }
    let timeout = match lock(&shared.state).closing {
        Some(deadline) => deadline.saturating_duration_since(Instant::now()),
        None => Duration::MAX,
    };
    if timeout.is_zero() {
        return shared.finish(|_| {});
    }
    match shared.client.post(&body, timeout) {
        Attempt::Delivered => {
            let removed = shared.spool.remove(seq);
            shared.finish(|st| {
                st.retries.delivered();
                st.stats.sent += count;
                st.stats.pending = st.stats.pending.saturating_sub(count);
                if let Err(e) = removed {
                    st.last_error = Some(format!(
                        "delivered batch {} could not be deleted (it will be sent again): {e}",
                        shared.spool.path(seq).display()
                    ));
                }
            });
        }
        Attempt::Retry {
            reason,
            retry_after,
            throttled,
        } => {
            let verdict = {
                let mut st = lock(&shared.state);
                st.stats.retried += 1;
                st.last_error = Some(reason.clone());
                st.retries.failed(
                    seq,
                    job.retried,
                    !throttled,
                    retry_after,
                    random.next(),
                    Instant::now(),
                )
            };
            let Verdict::DeadLetter(batch) = verdict else {
                return shared.finish(|_| {});
            };
            let moved = shared.spool.dead_letter(seq);
            let attempts = batch.failures();
            let jitter = random.next();
            shared.finish(|st| match moved {
                Ok(to) => {
                    let message = format!(
                        "batch of {count} given up after {attempts} failed attempts ({reason}); \
                         kept as {}",
                        to.display()
                    );
                    st.stats.dead_lettered += count;
                    st.stats.pending = st.stats.pending.saturating_sub(count);
                    st.last_error = Some(message.clone());
                    st.last_rejection = Some(message);
                }
                Err(e) => {
                    // Not moved: it stays in the spool and keeps being retried.
                    st.last_error = Some(format!(
                        "batch {} failed {attempts} times and could not be moved to {}: {e}",
                        shared.spool.path(seq).display(),
                        spool::DEAD_LETTER
                    ));
                    st.retries.wait_again(batch, jitter, Instant::now());
                }
            });
        }
        Attempt::Rejected { status, body } => {
            let moved = shared.spool.reject(seq);
            let mut message = format!(
                "batch of {count} refused with HTTP {status}{}{body}",
                if body.is_empty() { "" } else { ": " }
            );
            shared.finish(|st| {
                match moved {
                    Ok(to) => message.push_str(&format!(" (kept as {})", to.display())),
                    Err(e) => message.push_str(&format!(" (could not move it aside: {e})")),
                }
                st.stats.failed += count;
                st.stats.pending = st.stats.pending.saturating_sub(count);
                st.last_error = Some(message.clone());
                st.last_rejection = Some(message);
            });
        }
    }
}

/// Sleeps `delay`, cut short by shutdown's deadline; `false` when the deadline passed.
fn pause(shared: &Shared, delay: Duration) -> bool {
    let until = Instant::now() + delay;
    let mut st = lock(&shared.state);
    loop {
        let now = Instant::now();
        if st.closing.is_some_and(|deadline| now >= deadline) {
            return false;
        }
        if now >= until {
            return true;
        }
        let wake = match st.closing {
            Some(deadline) => until.min(deadline),
            None => until,
        };
        st = shared
            .work
            .wait_timeout(st, wake - now)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
}

/// A small xorshift generator for backoff jitter, seeded from the standard
/// library's per-process random hash keys.
#[derive(Debug)]
struct Jitter(u64);

impl Jitter {
    fn new() -> Self {
        Self(RandomState::new().hash_one(std::thread::current().id()) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}
