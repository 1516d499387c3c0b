//! `GET /metrics`: Prometheus (OpenMetrics) text through `prometheus-client`. Counters a turn touches are
//! looked up once per release at start, so counting a turn is a few atomic adds and no allocation.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::ServedEngine;
use crate::engine::{Expired, TurnSummary};
use crate::transaction::{Handled, Platform};

type Labels = Vec<(&'static str, String)>;

/// The statuses the server refuses requests with, each counted on its own.
pub(super) const REFUSALS: [u16; 10] = [400, 401, 404, 405, 408, 413, 415, 422, 500, 503];

/// Everything `/metrics` shows.
pub(super) struct Metrics {
    registry: Registry,
    releases: HashMap<String, ReleaseMetrics>,
    refused: HashMap<u16, Counter>,
    connections_refused: Counter,
}

/// The counters of one release, looked up once.
struct ReleaseMetrics {
    /// By platform (phone, chat; `None` where the flow does not run), then by who handled the turn
    /// (locally, globally, nothing), with the latency.
    turns: [Option<([Counter; 3], Histogram)>; 2],
    errors: Counter,
    warnings: Counter,
    expired: Counter,
    removed: Counter,
}

fn platform_ix(platform: Platform) -> usize {
    match platform {
        Platform::PhoneV2 => 0,
        Platform::TextchatV2 => 1,
    }
}

const PLATFORMS: [Platform; 2] = [Platform::PhoneV2, Platform::TextchatV2];
const HANDLED: [&str; 3] = ["locally", "globally", "none"];

impl Metrics {
    pub(super) fn new(engines: &[Arc<dyn ServedEngine>], extra: Vec<Box<dyn Collector>>) -> Self {
        let mut registry = Registry::default();
        let turns = Family::<Labels, Counter>::default();
        let latency =
            Family::<Labels, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        let errors = Family::<Labels, Counter>::default();
        let warnings = Family::<Labels, Counter>::default();
        let expired = Family::<Labels, Counter>::default();
        let removed = Family::<Labels, Counter>::default();
        let refused = Family::<Labels, Counter>::default();
        let mut releases = HashMap::new();
        for engine in engines {
            let release = engine.release().to_owned();
            let one = |family: &Family<Labels, Counter>| {
                family
                    .get_or_create(&vec![("release", release.clone())])
                    .clone()
            };
            let by_platform = |platform: Platform| {
                if !engine.serves(platform) {
                    return None;
                }
                let labels = vec![
                    ("release", release.clone()),
                    ("platform", platform.as_str().to_owned()),
                ];
                let turns = HANDLED.map(|handled| {
                    let mut labels = labels.clone();
                    labels.push(("handled", handled.to_owned()));
                    turns.get_or_create(&labels).clone()
                });
                Some((turns, latency.get_or_create(&labels).clone()))
            };
            let metrics = ReleaseMetrics {
                turns: PLATFORMS.map(by_platform),
                errors: one(&errors),
                warnings: one(&warnings),
                expired: one(&expired),
                removed: one(&removed),
            };
            releases.insert(release, metrics);
        }
        let refused_by_status = REFUSALS
            .iter()
            .map(|&status| {
                let labels = vec![("status", status.to_string())];
                (status, refused.get_or_create(&labels).clone())
            })
            .collect();
        registry.register(
            "flowc_turns",
            "Turns played, by release, platform and who handled them (locally, globally, none)",
            turns,
        );
        registry.register(
            "flowc_turn_duration_seconds",
            "Time from a request's arrival to its response, of turns played",
            latency,
        );
        registry.register(
            "flowc_turn_errors",
            "Entries of meta.errors in the transactions of turns played",
            errors,
        );
        registry.register(
            "flowc_turn_warnings",
            "Entries of meta.warnings in the transactions of turns played",
            warnings,
        );
        registry.register(
            "flowc_idle_expired",
            "Open conversations ended after the idle timeout, with a Hangup or quit transaction",
            expired,
        );
        registry.register(
            "flowc_sessions_removed",
            "Sessions forgotten after the idle timeout (open or already ended)",
            removed,
        );
        registry.register(
            "flowc_requests_refused",
            "Requests answered with an error status, by status",
            refused,
        );
        let connections_refused = Counter::default();
        registry.register(
            "flowc_connections_refused",
            "Connections closed at once because max_connections were open",
            connections_refused.clone(),
        );
        registry.register_collector(Box::new(Sessions(engines.to_vec())));
        for collector in extra {
            registry.register_collector(collector);
        }
        Metrics {
            registry,
            releases,
            refused: refused_by_status,
            connections_refused,
        }
    }

    /// Counts a turn of `release` that took `seconds`.
    pub(super) fn turn(
        &self,
        release: &str,
        platform: Platform,
        summary: TurnSummary,
        seconds: f64,
    ) {
        let Some(m) = self.releases.get(release) else {
            return;
        };
        let handled = match summary.handled {
            Some(Handled::Locally) => 0,
            Some(Handled::Globally) => 1,
            None => 2,
        };
        if let Some((turns, latency)) = &m.turns[platform_ix(platform)] {
            turns[handled].inc();
            latency.observe(seconds);
        }
        m.errors.inc_by(u64::from(summary.errors));
        m.warnings.inc_by(u64::from(summary.warnings));
    }

    /// Counts what an idle sweep of `release` did.
    pub(super) fn expired(&self, release: &str, expired: Expired) {
        if let Some(m) = self.releases.get(release) {
            m.expired.inc_by(expired.ended as u64);
            m.removed.inc_by(expired.removed as u64);
        }
    }

    /// Counts a request refused with `status`.
    pub(super) fn refused(&self, status: u16) {
        if let Some(counter) = self.refused.get(&status) {
            counter.inc();
        }
    }

    /// Counts a connection closed because too many were open.
    pub(super) fn connection_refused(&self) {
        self.connections_refused.inc();
    }

    /// The text `/metrics` answers.
    pub(super) fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// 50 µs to about 1.6 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
}

/// `flowc_sessions{release}`, read from the stores at each scrape.
struct Sessions(Vec<Arc<dyn ServedEngine>>);

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sessions")
            .field("releases", &self.0.len())
            .finish()
    }
}

impl Collector for Sessions {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        let mut family = encoder.encode_descriptor(
            "flowc_sessions",
            "Sessions held in the store: open conversations, and ended ones until their idle timeout",
            None,
            prometheus_client::metrics::MetricType::Gauge,
        )?;
        for engine in &self.0 {
            let labels = [("release", engine.release())];
            let gauge = ConstGauge::new(i64::try_from(engine.sessions()).unwrap_or(i64::MAX));
            gauge.encode(family.encode_family(&labels)?)?;
        }
        Ok(())
    }
}

/// `flowc_webhook_*`: the counters of the Analytics Webhook sinks, read at each scrape.
#[cfg(feature = "http")]
pub(super) struct Webhooks(pub(super) Vec<Arc<crate::webhook::WebhookSink>>);

#[cfg(feature = "http")]
impl fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhooks")
            .field("sinks", &self.0.len())
            .finish()
    }
}

#[cfg(feature = "http")]
impl Collector for Webhooks {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        use prometheus_client::metrics::MetricType;
        use prometheus_client::metrics::counter::ConstCounter;
        let stats: Vec<_> = self.0.iter().map(|w| w.stats()).collect();
        type Read = fn(&crate::webhook::WebhookStats) -> u64;
        let counters: [(&str, &str, Read); 5] = [
            (
                "flowc_webhook_sent",
                "Transactions the webhook acknowledged with 2xx",
                |s| s.sent,
            ),
            (
                "flowc_webhook_retried",
                "POSTs to the webhook that failed and were retried",
                |s| s.retried,
            ),
            (
                "flowc_webhook_spooled",
                "Transactions written to the webhook's spool",
                |s| s.spooled,
            ),
            (
                "flowc_webhook_failed",
                "Transactions the webhook refused (kept in rejected/)",
                |s| s.failed,
            ),
            (
                "flowc_webhook_dead_lettered",
                "Transactions given up after max_attempts (kept in dead-letter/)",
                |s| s.dead_lettered,
            ),
        ];
        for (name, help, read) in counters {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            for (i, s) in stats.iter().enumerate() {
                let labels = [("webhook", i.to_string())];
                ConstCounter::new(read(s)).encode(family.encode_family(&labels)?)?;
            }
        }
        let mut family = encoder.encode_descriptor(
            "flowc_webhook_pending",
            "Transactions in the webhook's spool, not yet delivered",
            None,
            MetricType::Gauge,
        )?;
        for (i, s) in stats.iter().enumerate() {
            let labels = [("webhook", i.to_string())];
            let pending = i64::try_from(s.pending).unwrap_or(i64::MAX);
            ConstGauge::new(pending).encode(family.encode_family(&labels)?)?;
        }
        Ok(())
    }
}
