//! The retry policy: how long a failed batch waits, which batch the sender
//! tries next while some wait, and when a batch that keeps failing is given up
//! to `dead-letter/`.
//!
//! A failed batch does not hold up the ones behind it: it waits for its retry
//! in a window of at most [`WINDOW`] batches while later batches are sent.
//! Whether the batch or the receiver is at fault is told by what else
//! happens: a batch is given up only after `max_attempts` failures *and* once
//! the receiver took some other batch since the first of them. While the
//! receiver is down nothing is delivered, so nothing is given up; new batches
//! are then tried at the backoff's pace (not the whole backlog at once), and
//! once the window is full only its batches are retried.

use std::time::{Duration, Instant};

/// Most batches waiting for a retry at once. More failing batches in a row,
/// with nothing delivered in between, look like a receiver that is down: the
/// sender then retries those and tries nothing new.
pub(super) const WINDOW: usize = 64;

/// Exponential backoff with jitter between delivery attempts of one batch.
///
/// Attempt `n` (0-based) waits a random time between half and all of
/// `min(max, initial × 2ⁿ)` ("equal jitter", so concurrent senders spread out
/// but never retry at once). A `Retry-After` header (seconds or an HTTP date)
/// raises the wait to what the receiver asked for, up to `max_retry_after`,
/// and no batch is sent before then. How many attempts a batch gets is
/// [`WebhookConfig::max_attempts`](super::WebhookConfig::max_attempts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Wait before the first retry (before jitter).
    pub initial: Duration,
    /// Upper bound of the exponential wait.
    pub max: Duration,
    /// Upper bound of a wait asked for by `Retry-After`.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 200 ms doubling up to 30 s; `Retry-After` honoured up to 10 minutes.
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(600),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (0-based), given a random `u64`
    /// for the jitter and the receiver's `Retry-After`, if any.
    pub fn delay(&self, attempt: u32, random: u64, retry_after: Option<Duration>) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        let ceiling = self.initial.saturating_mul(factor).min(self.max);
        let half = ceiling / 2;
        let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        let jitter = if nanos == 0 {
            Duration::ZERO
        } else {
            Duration::from_nanos(random % (nanos + 1))
        };
        let backoff = half + jitter;
        match retry_after {
            Some(asked) => backoff.max(asked.min(self.max_retry_after)),
            None => backoff,
        }
    }
}

/// A batch that failed and waits for its next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Waiting {
    /// The batch number.
    pub(super) seq: u64,
    /// Failed attempts: the backoff's exponent.
    failures: u32,
    /// Failed attempts that count toward `max_attempts` (a 429 does not: it
    /// asks to slow down and says nothing about the batch).
    strikes: u32,
    /// [`Retries::delivered`] at the first failure; once it has grown, the
    /// receiver takes other batches and the fault is this batch's.
    delivered_at_first_failure: u64,
    /// When it may be tried again.
    due: Instant,
}

impl Waiting {
    /// Its failed attempts so far.
    pub(super) fn failures(&self) -> u32 {
        self.failures
    }
}

/// What the sender does next.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Pick {
    /// Retry this batch (its due time came; the oldest such first).
    Retry(Waiting),
    /// Send the next new batch.
    Fresh,
    /// Nothing to do before this time (`None`: until new work arrives).
    Wait(Option<Instant>),
}

/// What becomes of a batch after a failed attempt.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// It waits (in the window) and is tried again after this long.
    Later(Duration),
    /// It failed too often while other batches got through: give it up
    /// (or, when it cannot be moved aside, [`Retries::wait_again`]).
    DeadLetter(Waiting),
}

/// The batches waiting for a retry and the pace of new batches.
#[derive(Debug)]
pub(super) struct Retries {
    policy: RetryPolicy,
    max_attempts: u32,
    /// At most [`WINDOW`], in no particular order.
    waiting: Vec<Waiting>,
    /// First attempts that failed in a row. New batches wait
    /// `delay(fresh_failures - 1)` after one, so a receiver that is down sees
    /// the backlog one batch per backoff, not all at once.
    fresh_failures: u32,
    /// New batches are not sent before this.
    fresh_due: Option<Instant>,
    /// Nothing is sent before this (a `Retry-After`).
    hold: Option<Instant>,
    /// Batches delivered so far.
    delivered: u64,
}

impl Retries {
    /// No batch waiting; `max_attempts` is at least 1 (checked by the sink).
    pub(super) fn new(policy: RetryPolicy, max_attempts: u32) -> Self {
        Self {
            policy,
            max_attempts,
            waiting: Vec::new(),
            fresh_failures: 0,
            fresh_due: None,
            hold: None,
            delivered: 0,
        }
    }

    /// Whether no batch waits for a retry.
    pub(super) fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// The next thing to do at `now`, given whether a new batch is ready.
    pub(super) fn pick(&mut self, now: Instant, fresh_ready: bool) -> Pick {
        if let Some(hold) = self.hold {
            if now < hold {
                return Pick::Wait(Some(hold));
            }
            self.hold = None;
        }
        let due = self
            .waiting
            .iter()
            .enumerate()
            .filter(|(_, w)| w.due <= now)
            .min_by_key(|(_, w)| w.seq)
            .map(|(i, _)| i);
        if let Some(i) = due {
            return Pick::Retry(self.waiting.swap_remove(i));
        }
        let fresh = fresh_ready && self.waiting.len() < WINDOW;
        if fresh && self.fresh_due.is_none_or(|at| at <= now) {
            return Pick::Fresh;
        }
        let next_retry = self.waiting.iter().map(|w| w.due).min();
        let next_fresh = self.fresh_due.filter(|_| fresh);
        Pick::Wait(match (next_retry, next_fresh) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        })
    }

    /// A batch was delivered: the receiver works.
    pub(super) fn delivered(&mut self) {
        self.delivered += 1;
        self.fresh_failures = 0;
        self.fresh_due = None;
    }

    /// Batch `seq` failed at `now`; `retried` is its [`Waiting`] entry when
    /// this was a retry, `strike` whether the failure counts toward
    /// `max_attempts`, `random` the jitter.
    pub(super) fn failed(
        &mut self,
        seq: u64,
        retried: Option<Waiting>,
        strike: bool,
        retry_after: Option<Duration>,
        random: u64,
        now: Instant,
    ) -> Verdict {
        if retried.is_none() {
            self.fresh_failures = self.fresh_failures.saturating_add(1);
            let pace = self
                .policy
                .delay(self.fresh_failures - 1, random, retry_after);
            self.fresh_due = Some(now + pace);
        }
        if let Some(asked) = retry_after {
            let until = now + asked.min(self.policy.max_retry_after);
            self.hold = Some(self.hold.map_or(until, |hold| hold.max(until)));
        }
        let mut batch = retried.unwrap_or(Waiting {
            seq,
            failures: 0,
            strikes: 0,
            delivered_at_first_failure: self.delivered,
            due: now,
        });
        batch.failures = batch.failures.saturating_add(1);
        if strike {
            batch.strikes = batch.strikes.saturating_add(1);
            if batch.strikes >= self.max_attempts
                && self.delivered > batch.delivered_at_first_failure
            {
                return Verdict::DeadLetter(batch);
            }
        }
        Verdict::Later(self.schedule(batch, random, retry_after, now))
    }

    /// Puts a batch that was to be given up back in the window (it could not
    /// be moved aside), for a retry after the backoff.
    pub(super) fn wait_again(&mut self, batch: Waiting, random: u64, now: Instant) {
        self.schedule(batch, random, None, now);
    }

    /// Puts `batch` in the window, due after the backoff of its failures; returns the wait.
    fn schedule(
        &mut self,
        mut batch: Waiting,
        random: u64,
        retry_after: Option<Duration>,
        now: Instant,
    ) -> Duration {
        let wait = self
            .policy
            .delay(batch.failures.saturating_sub(1), random, retry_after);
        batch.due = now + wait;
        self.waiting.push(batch);
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn retries(max_attempts: u32) -> Retries {
        let policy = RetryPolicy {
            initial: 10 * MS,
            max: 100 * MS,
            max_retry_after: Duration::from_secs(1),
        };
        Retries::new(policy, max_attempts)
    }

    /// Takes the batch `pick` offers for a retry.
    fn retry(r: &mut Retries, now: Instant) -> Waiting {
        match r.pick(now, true) {
            Pick::Retry(w) => w,
            other => panic!("expected a retry, got {other:?}"),
        }
    }

    #[test]
    fn a_failing_batch_lets_later_ones_pass_and_is_given_up_after_the_bound() {
        let mut r = retries(3);
        let t = Instant::now();
        assert_eq!(r.pick(t, true), Pick::Fresh);
        assert!(matches!(
            r.failed(1, None, true, None, 0, t),
            Verdict::Later(_)
        ));
        // Batch 1 waits; the next new batch goes once the pace allows, and is delivered.
        let later = t + Duration::from_secs(1);
        let w = retry(&mut r, later);
        assert_eq!(w.seq, 1);
        r.delivered();
        assert!(matches!(
            r.failed(1, Some(w), true, None, 0, later),
            Verdict::Later(_)
        ));
        assert_eq!(r.pick(later, true), Pick::Fresh, "batch 1 does not block");
        let w = retry(&mut r, later + Duration::from_secs(1));
        let verdict = r.failed(1, Some(w), true, None, 0, later);
        assert!(
            matches!(verdict, Verdict::DeadLetter(w) if w.failures() == 3),
            "{verdict:?}"
        );
        assert!(r.is_empty());
    }

    #[test]
    fn nothing_is_given_up_while_nothing_is_delivered() {
        let mut r = retries(2);
        let mut now = Instant::now();
        for _ in 0..20_000 {
            match r.pick(now, true) {
                Pick::Fresh => {
                    let seq = 100 + r.waiting.len() as u64;
                    assert!(matches!(
                        r.failed(seq, None, true, None, 0, now),
                        Verdict::Later(_)
                    ));
                }
                Pick::Retry(w) => assert!(
                    matches!(
                        r.failed(w.seq, Some(w), true, None, 0, now),
                        Verdict::Later(_)
                    ),
                    "given up during an outage"
                ),
                Pick::Wait(until) => now = until.expect("something is due"),
            }
        }
        assert_eq!(r.waiting.len(), WINDOW, "the window bounds what waits");
    }

    #[test]
    fn new_batches_are_paced_after_a_failure_and_not_after_a_delivery() {
        let mut r = retries(5);
        let t = Instant::now();
        r.failed(1, None, true, None, 0, t);
        // Half the first backoff (no jitter with random 0): 5 ms.
        assert_eq!(r.pick(t, true), Pick::Wait(Some(t + 5 * MS)));
        let first = r.waiting[0];
        assert_eq!(r.pick(t + 5 * MS, true), Pick::Retry(first));
        r.delivered();
        assert_eq!(r.pick(t + 5 * MS, true), Pick::Fresh);
    }

    #[test]
    fn a_429_holds_everything_and_does_not_count() {
        let mut r = retries(1);
        let t = Instant::now();
        let asked = Some(Duration::from_millis(300));
        assert!(matches!(
            r.failed(1, None, false, asked, 0, t),
            Verdict::Later(_)
        ));
        r.delivered();
        assert_eq!(r.pick(t + 100 * MS, true), Pick::Wait(Some(t + 300 * MS)));
        let w = retry(&mut r, t + 300 * MS);
        assert!(matches!(
            r.failed(1, Some(w), false, None, 0, t + 300 * MS),
            Verdict::Later(_)
        ));
        let w = retry(&mut r, t + Duration::from_secs(1));
        let verdict = r.failed(1, Some(w), true, None, 0, t + Duration::from_secs(1));
        assert!(
            matches!(verdict, Verdict::DeadLetter(w) if w.failures() == 3),
            "given up at the first failure that counts: {verdict:?}"
        );
    }

    #[test]
    fn the_oldest_due_batch_is_retried_first() {
        let mut r = retries(5);
        let t = Instant::now();
        r.failed(7, None, true, None, 0, t);
        r.failed(3, None, true, None, 0, t);
        r.failed(5, None, true, None, 0, t);
        let later = t + Duration::from_secs(1);
        let order: Vec<u64> = (0..3).map(|_| retry(&mut r, later).seq).collect();
        assert_eq!(order, [3, 5, 7]);
    }
}
