//! `/metrics` in the Prometheus text format: ingest counters, request latency per route, and what the engine
//! knows at scrape time (log and engine positions, open exceptions per type).
//!
//! A handful of atomics and one histogram table are all it takes; the exposition format is simple enough that a
//! metrics framework would add more compile time than it saves.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use retex_core::codes::Timestamp;

/// Upper bounds of the request latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
pub struct Metrics {
    pub events_accepted: AtomicU64,
    pub events_duplicate: AtomicU64,
    pub events_rejected: AtomicU64,
    /// Messages taken from NATS, and those with a malformed line (copied to the dead letters).
    pub nats_messages: AtomicU64,
    pub nats_malformed: AtomicU64,
    /// Per route and status class: bucket counts, sum of seconds, count.
    requests: Mutex<BTreeMap<(String, u16), Histogram>>,
}

#[derive(Default)]
struct Histogram {
    buckets: [u64; LATENCY_BUCKETS.len()],
    sum_seconds: f64,
    count: u64,
}

/// What the engine reports at scrape time.
pub struct EngineGauges {
    pub log_seq: u64,
    pub applied_seq: u64,
    /// The engine's clock (its newest event or tick), `None` before any, and this machine's.
    pub engine_clock: Option<Timestamp>,
    pub wall_clock: Timestamp,
    pub open_by_type: BTreeMap<String, u64>,
    /// Whether this replica leads (runs the clock, sends what leaves).
    pub leader: bool,
}

impl Metrics {
    pub fn count_events(&self, accepted: usize, duplicates: usize, rejected: usize) {
        self.events_accepted.fetch_add(accepted as u64, Ordering::Relaxed);
        self.events_duplicate.fetch_add(duplicates as u64, Ordering::Relaxed);
        self.events_rejected.fetch_add(rejected as u64, Ordering::Relaxed);
    }

    pub fn observe_request(&self, route: &str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let mut requests = self.requests.lock().expect("the metrics lock is never poisoned");
        let histogram = requests.entry((route.to_owned(), status)).or_default();
        for (bucket, upper) in histogram.buckets.iter_mut().zip(LATENCY_BUCKETS) {
            *bucket += u64::from(seconds <= upper);
        }
        histogram.sum_seconds += seconds;
        histogram.count += 1;
    }

    pub fn render(&self, engine: &EngineGauges) -> String {
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
        };
        counter(
            &mut out,
            "retex_events_accepted_total",
            "Events appended to the log over HTTP or NATS.",
            self.events_accepted.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "retex_events_duplicate_total",
            "Events ignored as repeats of an idempotency key.",
            self.events_duplicate.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "retex_events_rejected_total",
            "Event lines rejected as malformed.",
            self.events_rejected.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "retex_nats_messages_total",
            "Messages taken from the NATS stream and acknowledged.",
            self.nats_messages.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "retex_nats_malformed_total",
            "NATS messages with a malformed line or no event, copied to the dead-letter subject.",
            self.nats_malformed.load(Ordering::Relaxed),
        );
        let gauge = |out: &mut String, name: &str, help: &str, value: String| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
        };
        gauge(
            &mut out,
            "retex_log_seq",
            "Newest log entry.",
            engine.log_seq.to_string(),
        );
        gauge(
            &mut out,
            "retex_engine_applied_seq",
            "Newest log entry the engine applied.",
            engine.applied_seq.to_string(),
        );
        gauge(
            &mut out,
            "retex_engine_lag_entries",
            "Log entries not yet applied by the engine.",
            engine.log_seq.saturating_sub(engine.applied_seq).to_string(),
        );
        gauge(
            &mut out,
            "retex_leader",
            "1 on the replica that runs the clock and sends notifications, 0 on a follower.",
            u8::from(engine.leader).to_string(),
        );
        gauge(
            &mut out,
            "retex_wall_clock_seconds",
            "This machine's clock, as Unix seconds.",
            format!("{:.3}", seconds(engine.wall_clock)),
        );
        if let Some(clock) = engine.engine_clock {
            gauge(
                &mut out,
                "retex_engine_clock_seconds",
                "The engine's clock (its newest event or tick), as Unix seconds.",
                format!("{:.3}", seconds(clock)),
            );
            gauge(
                &mut out,
                "retex_engine_clock_lag_seconds",
                "How far the engine's clock is behind the wall clock; negative when it runs ahead.",
                format!("{:.3}", seconds(engine.wall_clock) - seconds(clock)),
            );
        }
        let _ = writeln!(
            out,
            "# HELP retex_exceptions_open Open exceptions per type.\n# TYPE retex_exceptions_open gauge"
        );
        for (exception_type, open) in &engine.open_by_type {
            let _ = writeln!(out, "retex_exceptions_open{{type=\"{exception_type}\"}} {open}");
        }
        self.render_requests(&mut out);
        out
    }

    fn render_requests(&self, out: &mut String) {
        let name = "retex_http_request_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} HTTP request latency per route and status.\n# TYPE {name} histogram"
        );
        let requests = self.requests.lock().expect("the metrics lock is never poisoned");
        for ((route, status), histogram) in requests.iter() {
            let labels = format!("route=\"{route}\",status=\"{status}\"");
            for (count, upper) in histogram.buckets.iter().zip(LATENCY_BUCKETS) {
                let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{upper}\"}} {count}");
            }
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", histogram.count);
            let _ = writeln!(out, "{name}_sum{{{labels}}} {}", histogram.sum_seconds);
            let _ = writeln!(out, "{name}_count{{{labels}}} {}", histogram.count);
        }
    }
}

/// An instant as Unix seconds.
fn seconds(at: Timestamp) -> f64 {
    at.0 as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_counts_requests_into_cumulative_buckets() {
        let metrics = Metrics::default();
        metrics.count_events(3, 1, 2);
        metrics.observe_request("/api/v1/exceptions", 200, Duration::from_millis(3));
        metrics.observe_request("/api/v1/exceptions", 200, Duration::from_millis(30));
        let engine = EngineGauges {
            log_seq: 10,
            applied_seq: 7,
            engine_clock: Some(Timestamp(1_000_000)),
            wall_clock: Timestamp(998_500),
            open_by_type: BTreeMap::from([("transfer_overdue".to_string(), 4)]),
            leader: true,
        };
        let text = metrics.render(&engine);
        for line in [
            "retex_events_accepted_total 3",
            "retex_events_duplicate_total 1",
            "retex_events_rejected_total 2",
            "retex_engine_lag_entries 3",
            "retex_leader 1",
            "retex_engine_clock_seconds 1000.000",
            "retex_engine_clock_lag_seconds -1.500",
            "retex_exceptions_open{type=\"transfer_overdue\"} 4",
            "retex_http_request_duration_seconds_bucket{route=\"/api/v1/exceptions\",status=\"200\",le=\"0.0025\"} 0",
            "retex_http_request_duration_seconds_bucket{route=\"/api/v1/exceptions\",status=\"200\",le=\"0.005\"} 1",
            "retex_http_request_duration_seconds_bucket{route=\"/api/v1/exceptions\",status=\"200\",le=\"0.05\"} 2",
            "retex_http_request_duration_seconds_count{route=\"/api/v1/exceptions\",status=\"200\"} 2",
        ] {
            assert!(
                text.lines().any(|candidate| candidate == line),
                "missing {line:?} in\n{text}"
            );
        }
    }
}
