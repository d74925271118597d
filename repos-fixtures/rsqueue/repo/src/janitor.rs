//! Housekeeping: forget results past `Config::result_ttl_ms` and dead letters
//! older than the same horizon. Run from cron through `rsqueue-admin sweep`
//! or by the embedding service on a timer.

use crate::broker::Broker;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub results_removed: usize,
    pub dead_letters_removed: usize,
}

/// One housekeeping pass at the broker's current time.
pub fn sweep(broker: &Broker) -> SweepReport {
    let cutoff = broker
        .now()
        .saturating_sub(broker.config().result_ttl_ms);
    SweepReport {
        results_removed: broker.results().purge_before(cutoff),
        dead_letters_removed: broker.dead_letters().purge_before(cutoff),
    }
}
