//! Counters exported to the monitoring scraper (`stats` admin command).

use crate::sync::{self, AtomicU64, Mutex, Ordering};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Per job kind counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindStats {
    pub succeeded: u64,
    pub failed_attempts: u64,
    pub dead: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    pub submitted: u64,
    pub started: u64,
    pub succeeded: u64,
    pub retried: u64,
    pub dead_lettered: u64,
    pub cancelled: u64,
    pub requeued: u64,
    pub per_kind: BTreeMap<String, KindStats>,
}

#[derive(Default)]
pub struct Metrics {
    submitted: AtomicU64,
    started: AtomicU64,
    succeeded: AtomicU64,
    retried: AtomicU64,
    dead_lettered: AtomicU64,
    cancelled: AtomicU64,
    requeued: AtomicU64,
    per_kind: Mutex<BTreeMap<String, KindStats>>,
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics::default()
    }

    fn kind(&self, kind: &str, update: impl FnOnce(&mut KindStats)) {
        let mut per_kind = sync::lock(&self.per_kind, "metrics");
        update(per_kind.entry(kind.to_string()).or_default());
    }

    pub fn job_submitted(&self) {
        self.submitted.fetch_add(1, Ordering::SeqCst);
    }

    pub fn job_started(&self) {
        self.started.fetch_add(1, Ordering::SeqCst);
    }

    pub fn job_succeeded(&self, kind: &str) {
        self.succeeded.fetch_add(1, Ordering::SeqCst);
        self.kind(kind, |k| k.succeeded += 1);
    }

    /// An attempt failed (whether or not it will be retried).
    pub fn attempt_failed(&self, kind: &str) {
        self.kind(kind, |k| k.failed_attempts += 1);
    }

    pub fn job_retried(&self) {
        self.retried.fetch_add(1, Ordering::SeqCst);
    }

    pub fn job_dead_lettered(&self, kind: &str) {
        self.dead_lettered.fetch_add(1, Ordering::SeqCst);
        self.kind(kind, |k| k.dead += 1);
    }

    pub fn job_cancelled(&self) {
        self.cancelled.fetch_add(1, Ordering::SeqCst);
    }

    pub fn job_requeued(&self) {
        self.requeued.fetch_add(1, Ordering::SeqCst);
    }

    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            submitted: self.submitted.load(Ordering::SeqCst),
            started: self.started.load(Ordering::SeqCst),
            succeeded: self.succeeded.load(Ordering::SeqCst),
            retried: self.retried.load(Ordering::SeqCst),
            dead_lettered: self.dead_lettered.load(Ordering::SeqCst),
            cancelled: self.cancelled.load(Ordering::SeqCst),
            requeued: self.requeued.load(Ordering::SeqCst),
            per_kind: sync::lock(&self.per_kind, "metrics").clone(),
        }
    }
}

impl MetricsSnapshot {
    /// Text exposition format, one `name value` pair per line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, value) in [
            ("submitted", self.submitted),
            ("started", self.started),
            ("succeeded", self.succeeded),
            ("retried", self.retried),
            ("dead_lettered", self.dead_lettered),
            ("cancelled", self.cancelled),
            ("requeued", self.requeued),
        ] {
            let _ = writeln!(out, "rsqueue_jobs_{name}_total {value}");
        }
        for (kind, stats) in &self.per_kind {
            let _ = writeln!(
                out,
                "rsqueue_kind_succeeded_total{{kind=\"{kind}\"}} {}",
                stats.succeeded
            );
            let _ = writeln!(
                out,
                "rsqueue_kind_failed_attempts_total{{kind=\"{kind}\"}} {}",
                stats.failed_attempts
            );
            let _ = writeln!(
                out,
                "rsqueue_kind_dead_total{{kind=\"{kind}\"}} {}",
                stats.dead
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_per_kind_stats() {
        let m = Metrics::new();
        m.job_submitted();
        m.job_submitted();
        m.job_started();
        m.attempt_failed("email");
        m.job_retried();
        m.job_succeeded("email");
        m.job_dead_lettered("sms");
        let snap = m.snapshot();
        assert_eq!(snap.submitted, 2);
        assert_eq!(snap.retried, 1);
        assert_eq!(
            snap.per_kind["email"],
            KindStats {
                succeeded: 1,
                failed_attempts: 1,
                dead: 0
            }
        );
        assert_eq!(snap.per_kind["sms"].dead, 1);
    }

    #[test]
    fn render_lists_totals_and_kinds() {
        let m = Metrics::new();
        m.job_submitted();
        m.job_succeeded("email");
        let text = m.snapshot().render();
        assert!(text.contains("rsqueue_jobs_submitted_total 1\n"));
        assert!(text.contains("rsqueue_kind_succeeded_total{kind=\"email\"} 1\n"));
        assert!(text.contains("rsqueue_jobs_requeued_total 0\n"));
    }
}
