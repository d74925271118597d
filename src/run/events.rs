//! Events of a run and the reporters that consume them (cargo-nextest's runner/reporter
//! split): the run loop never formats output or writes a record itself.
//!
//! In: the run loop's [`RunEvent`]s, in order. Out: whatever each [`Reporter`] does with them.
//! The run hands every event to its reporters in a fixed order: first the store sink (the
//! attempt is committed to SQLite with its artifacts), then the JSONL log, then the caller's
//! observers (the terminal display). A reporter that fails stops the run after the attempts in
//! flight, so nothing is ever shown as done that is not recorded.

use crate::attempt::{Artifact, AttemptKey, AttemptRecord};
use crate::store::{JsonlLog, RunStore, StoreError};

/// What happens in a run, in order.
#[derive(Debug)]
pub enum RunEvent<'a> {
    /// The plan is known.
    Started {
        /// The run id.
        run_id: &'a str,
        /// Attempts in the plan.
        total: usize,
        /// Of those, already recorded (resume).
        done: usize,
    },
    /// Tasks some model is not asked (no hand-written reply for them): not in the plan.
    Skipped {
        /// Which, and why.
        skipped: &'a [crate::plan::Skipped],
    },
    /// One-time setup before the first attempt (a Python environment, a build cache): it may
    /// take minutes the first time, and the user is told so.
    Preparing {
        /// What, for people.
        what: &'a str,
    },
    /// News of a batch (`run --batch`): submitted, progress, collected.
    Batch {
        /// The model.
        model: &'a str,
        /// The provider's batch id.
        batch: &'a str,
        /// What happened, for people.
        status: &'a str,
    },
    /// An attempt begins.
    AttemptStarted {
        /// Which.
        key: &'a AttemptKey,
    },
    /// An attempt ended. Reporters after the store sink hear of it only once it is recorded.
    AttemptFinished {
        /// Its record.
        record: &'a AttemptRecord,
        /// The files kept beside it.
        artifacts: &'a [(Artifact, String)],
    },
    /// Every planned attempt ran (or the run stopped on a failure, reported apart).
    Finished {
        /// Attempts recorded in this run, not counting those of earlier sessions.
        recorded: usize,
    },
}

/// A reporter's failure; it stops the run.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The run store could not record.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing output failed.
    #[error("writing the run's progress: {0}")]
    Io(#[from] std::io::Error),
}

/// Consumes run events.
pub trait Reporter {
    /// Handles one event. Errors stop the run.
    fn report(&mut self, event: &RunEvent<'_>) -> Result<(), ReportError>;
}

/// Commits each finished attempt (record and artifacts) to the run's SQLite store.
pub struct StoreSink<'s> {
    store: &'s mut RunStore,
}

impl<'s> StoreSink<'s> {
    /// A sink recording into `store`.
    pub fn new(store: &'s mut RunStore) -> StoreSink<'s> {
        StoreSink { store }
    }
}

impl Reporter for StoreSink<'_> {
    fn report(&mut self, event: &RunEvent<'_>) -> Result<(), ReportError> {
        if let RunEvent::AttemptFinished { record, artifacts } = event {
            self.store.record(record, artifacts)?;
        }
        Ok(())
    }
}

/// Appends each finished attempt's line to the run's `attempts.jsonl`.
pub struct JsonlSink {
    log: JsonlLog,
}

impl JsonlSink {
    /// A sink appending to `log`.
    pub fn new(log: JsonlLog) -> JsonlSink {
        JsonlSink { log }
    }
}

impl Reporter for JsonlSink {
    fn report(&mut self, event: &RunEvent<'_>) -> Result<(), ReportError> {
        if let RunEvent::AttemptFinished { record, .. } = event {
            self.log.append(record)?;
        }
        Ok(())
    }
}

/// The reporters of a run in their order: the store sink, the JSONL log, then the caller's
/// observers.
pub struct Reporters<'a, 'o> {
    store: StoreSink<'a>,
    jsonl: JsonlSink,
    observers: &'a mut [&'o mut dyn Reporter],
}

impl<'a, 'o> Reporters<'a, 'o> {
    /// The chain for a run recorded in `store` and logged to `jsonl`.
    pub fn new(
        store: &'a mut RunStore,
        jsonl: JsonlLog,
        observers: &'a mut [&'o mut dyn Reporter],
    ) -> Reporters<'a, 'o> {
        Reporters {
            store: StoreSink::new(store),
            jsonl: JsonlSink::new(jsonl),
            observers,
        }
    }

    /// Hands `event` to each reporter in order; the first failure stops the rest.
    pub fn report(&mut self, event: &RunEvent<'_>) -> Result<(), ReportError> {
        self.store.report(event)?;
        self.jsonl.report(event)?;
        for observer in self.observers.iter_mut() {
            observer.report(event)?;
        }
        Ok(())
    }
}
