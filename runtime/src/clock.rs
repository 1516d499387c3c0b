//! Time: the other source of non-determinism in a transaction, besides ids.
//!
//! The engine takes a [`Clock`] and an [`IdSource`]; production uses
//! [`SystemClock`] and [`ObjectIdSource`], tests and snapshots use
//! [`FixedClock`] and [`SequentialIds`] so the same conversation gives the
//! same bytes. The id sources live in [`crate::ids`].

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

#[cfg(doc)]
use crate::ids::{IdSource, ObjectIdSource, SequentialIds};

const MS_PER_DAY: u64 = 86_400_000;

/// An opaque point on a clock's monotonic scale, taken with [`Clock::mark`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mark(u64);

/// A source of wall time (for `requestTimestamp`) and of monotonic time (for
/// `responseTime`).
pub trait Clock: Send + Sync {
    /// Wall time now, as milliseconds since 1970-01-01T00:00:00Z.
    fn now_unix_ms(&self) -> u64;

    /// A monotonic mark, to measure the turn from.
    fn mark(&self) -> Mark;

    /// Whole milliseconds elapsed since `since`.
    fn elapsed_ms(&self, since: Mark) -> u64;

    /// Wall time now as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    fn now_iso8601(&self) -> String {
        format_iso8601_ms(self.now_unix_ms())
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now_unix_ms(&self) -> u64 {
        (**self).now_unix_ms()
    }
    fn mark(&self) -> Mark {
        (**self).mark()
    }
    fn elapsed_ms(&self, since: Mark) -> u64 {
        (**self).elapsed_ms(since)
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now_unix_ms(&self) -> u64 {
        (**self).now_unix_ms()
    }
    fn mark(&self) -> Mark {
        (**self).mark()
    }
    fn elapsed_ms(&self, since: Mark) -> u64 {
        (**self).elapsed_ms(since)
    }
}

/// The real clock: `SystemTime` for wall time, `Instant` for elapsed time.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// A system clock whose monotonic scale starts now.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }

    fn nanos_since_origin(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now_unix_ms(&self) -> u64 {
        // A wall clock set before 1970 reads as the epoch rather than failing.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }

    fn mark(&self) -> Mark {
        Mark(self.nanos_since_origin())
    }

    fn elapsed_ms(&self, since: Mark) -> u64 {
        self.nanos_since_origin().saturating_sub(since.0) / 1_000_000
    }
}

/// A deterministic clock for tests and snapshots.
///
/// The first [`Clock::now_unix_ms`] returns `start_ms`; every call after that
/// is `step_ms` later. [`Clock::elapsed_ms`] always reports the configured
/// response time (0 unless set with [`FixedClock::with_response_time`]).
#[derive(Debug)]
pub struct FixedClock {
    start_ms: u64,
    step_ms: u64,
    response_time_ms: u64,
    calls: AtomicU64,
}

impl FixedClock {
    /// A clock starting at `start_ms` (unix ms) advancing `step_ms` per call.
    pub fn new(start_ms: u64, step_ms: u64) -> Self {
        Self {
            start_ms,
            step_ms,
            response_time_ms: 0,
            calls: AtomicU64::new(0),
        }
    }

    /// Report `ms` as every turn's `responseTime`.
    pub fn with_response_time(mut self, ms: u64) -> Self {
        self.response_time_ms = ms;
        self
    }
}

impl Default for FixedClock {
    /// Starts at 2024-01-01T00:00:00.000Z and advances one second per call.
    fn default() -> Self {
        Self::new(1_704_067_200_000, 1_000)
    }
}

impl Clock for FixedClock {
    fn now_unix_ms(&self) -> u64 {
        let n = self.calls.fetch_add(1, Ordering::Relaxed);
        self.start_ms.saturating_add(self.step_ms.saturating_mul(n))
    }

    fn mark(&self) -> Mark {
        Mark(0)
    }

    fn elapsed_ms(&self, _since: Mark) -> u64 {
        self.response_time_ms
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian `(year, month, day)`
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    // The ranges above make both casts lossless.
    (year, month as u32, day as u32)
}

/// `(year, month, day)` to days since 1970-01-01 (`days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400); // [0, 399]
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 }; // [0, 11]
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// A unix-milliseconds instant that displays as `YYYY-MM-DDTHH:MM:SS.mmmZ`
/// without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Iso8601Ms(pub u64);

impl Iso8601Ms {
    /// Appends the timestamp to a byte buffer without going through `fmt` (the engine's hot path).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let ms = self.0;
        let days = i64::try_from(ms / MS_PER_DAY).unwrap_or(i64::MAX / 2);
        let in_day = ms % MS_PER_DAY;
        let (year, month, day) = civil_from_days(days);
        let (hour, rest) = (in_day / 3_600_000, in_day % 3_600_000);
        let (minute, rest) = (rest / 60_000, rest % 60_000);
        let (second, milli) = (rest / 1_000, rest % 1_000);
        let year = u64::try_from(year).unwrap_or(0);
        // Filled in a fixed array and appended at once: one capacity check instead of twenty.
        let mut text = *b"0000-00-00T00:00:00.000Z";
        let pair = crate::json::pair;
        for (at, value) in [
            (0, year / 100),
            (2, year),
            (5, u64::from(month)),
            (8, u64::from(day)),
            (11, hour),
            (14, minute),
            (17, second),
            (21, milli),
        ] {
            text[at..at + 2].copy_from_slice(&pair(value));
        }
        text[20] = b'0' + (milli / 100) as u8;
        out.extend_from_slice(&text);
    }
}

impl fmt::Display for Iso8601Ms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0;
        // u64::MAX / MS_PER_DAY fits an i64 comfortably.
        let days = i64::try_from(ms / MS_PER_DAY).unwrap_or(i64::MAX / 2);
        let in_day = ms % MS_PER_DAY;
        let (year, month, day) = civil_from_days(days);
        let (hour, rest) = (in_day / 3_600_000, in_day % 3_600_000);
        let (minute, rest) = (rest / 60_000, rest % 60_000);
        let (second, milli) = (rest / 1_000, rest % 1_000);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z"
        )
    }
}

/// Format unix milliseconds as ISO-8601 UTC with milliseconds and `Z`,
/// e.g. `2023-03-02T17:11:45.602Z`.
pub fn format_iso8601_ms(unix_ms: u64) -> String {
    Iso8601Ms(unix_ms).to_string()
}

/// Parse exactly the format [`format_iso8601_ms`] writes (years 1970–9999)
/// back to unix milliseconds; `None` for anything else or an invalid date.
pub fn parse_iso8601_ms(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() != 24 {
        return None;
    }
    let punct = [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
        (23, b'Z'),
    ];
    if punct.iter().any(|&(i, c)| b[i] != c) {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u64> {
        b[from..to].iter().try_fold(0u64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u64::from(c - b'0'))
        })
    };
    let year = num(0, 4)?;
    let month = u32::try_from(num(5, 7)?).ok()?;
    let day = u32::try_from(num(8, 10)?).ok()?;
    let (hour, minute, second, milli) = (num(11, 13)?, num(14, 16)?, num(17, 19)?, num(20, 23)?);
    if year < 1970 || !(1..=12).contains(&month) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let year = i64::try_from(year).ok()?;
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let days = u64::try_from(days_from_civil(year, month, day)).ok()?;
    Some(days * MS_PER_DAY + hour * 3_600_000 + minute * 60_000 + second * 1_000 + milli)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}
