//! rsauth — accounts, sessions and API tokens for the internal admin portal.
//!
//! The crate grew out of a single `login` endpoint; most of the request
//! handling lives in `handlers/*`, which talk to the stores directly.
//!
//! Module map:
//! - `app` / `router` / `http`: the tiny request/response layer and routing
//! - `handlers::*`: one file per endpoint group
//! - `users`, `roles`, `hashing`: account records, permissions, password hashes
//! - `sessions`, `session_registry`: browser sessions (the registry is process-wide)
//! - `tokens`: long-lived API tokens for scripts
//! - `ratelimit`: fixed-window throttling of sensitive endpoints
//! - `audit`: in-memory audit trail exposed to admins
//! - `sweeper`: background housekeeping
//! - `sync`: concurrency shim (see the module docs before adding a lock)

pub mod app;
pub mod audit;
pub mod clock;
pub mod config;
pub mod error;
pub mod handlers;
pub mod hashing;
pub mod http;
pub mod ids;
pub mod ratelimit;
pub mod roles;
pub mod router;
pub mod session_registry;
pub mod sessions;
pub mod sweeper;
pub mod sync;
pub mod tokens;
pub mod users;

pub use app::App;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::Config;
pub use error::AuthError;
pub use http::{Method, Request, Response};
pub use roles::{Permission, Role};
