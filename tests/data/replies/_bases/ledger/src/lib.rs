pub mod account;
pub mod journal;
