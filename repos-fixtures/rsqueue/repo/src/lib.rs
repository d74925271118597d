//! rsqueue: the background job broker behind the billing and notification
//! services.
//!
//! Producers `submit` jobs to a [`Broker`]; a [`WorkerPool`] (or
//! `Broker::run_next` for batch tools) runs them through the handler
//! registered for their kind. Failed attempts are retried with exponential
//! backoff; jobs that run out of attempts become dead letters that operators
//! can requeue through the admin API.
//!
//! Module map:
//! - `broker`: owns all queues and stores, submit/cancel/status, synchronous execution
//! - `worker`: worker threads and the per-attempt execution path
//! - `job`, `payload`, `ids`: job definitions, payload encoding, job ids
//! - `queue`: ready queue (priority, FIFO within a priority)
//! - `scheduler`: delayed jobs and pending retries
//! - `retry`: backoff policy
//! - `deadletter`: jobs that gave up
//! - `results`: finished job results
//! - `registry`: job handlers per kind
//! - `metrics`: counters for monitoring
//! - `journal`: in-memory event journal
//! - `admin`: line-based admin API; `janitor`: housekeeping
//! - `sync`: concurrency shim (read its docs before adding a lock)

pub mod admin;
pub mod broker;
pub mod clock;
pub mod config;
pub mod deadletter;
pub mod error;
pub mod ids;
pub mod janitor;
pub mod job;
pub mod journal;
pub mod metrics;
pub mod payload;
pub mod queue;
pub mod registry;
pub mod results;
pub mod retry;
pub mod scheduler;
pub mod sync;
pub mod worker;

pub use broker::Broker;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::Config;
pub use error::QueueError;
pub use ids::JobId;
pub use job::{Job, JobSpec, JobState, Priority};
pub use payload::Payload;
pub use registry::{Handler, JobError};
pub use worker::WorkerPool;
