//! Request handlers, one module per endpoint group.
//!
//! Each handler extracts and checks the caller's credentials itself.

pub mod account;
pub mod admin;
pub mod login;
pub mod tokens;
