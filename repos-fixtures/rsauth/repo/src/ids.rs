//! Identifier generation for sessions and API tokens.
//!
//! Ids are `prefix_` followed by 32 hex digits derived from a per-generator
//! seed and a counter, so they are unique per generator and reproducible in
//! tests.

use crate::hashing::{fnv1a64, mix64};
use crate::sync::{AtomicU64, Ordering};

#[derive(Debug)]
pub struct IdGenerator {
    prefix: &'static str,
    seed: u64,
    counter: AtomicU64,
}

impl IdGenerator {
    pub fn new(prefix: &'static str, seed: &str) -> IdGenerator {
        IdGenerator {
            prefix,
            seed: fnv1a64(seed.as_bytes()),
            counter: AtomicU64::new(1),
        }
    }

    /// Next id, e.g. `sess_3f0c...`.
    pub fn next_id(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let a = mix64(self.seed ^ n);
        let b = mix64(a ^ n.rotate_left(32));
        format!("{}_{a:016x}{b:016x}", self.prefix)
    }

    /// How many ids have been handed out.
    pub fn issued(&self) -> u64 {
        self.counter.load(Ordering::SeqCst) - 1
    }
}

/// Whether `id` looks like something produced by a generator with `prefix`.
pub fn looks_like(prefix: &str, id: &str) -> bool {
    match id.strip_prefix(prefix).and_then(|rest| rest.strip_prefix('_')) {
        Some(hex) => hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let gen = IdGenerator::new("sess", "unit");
        let a = gen.next_id();
        let b = gen.next_id();
        assert_ne!(a, b);
        assert!(looks_like("sess", &a), "{a}");
        assert!(!looks_like("tok", &a));
        assert_eq!(gen.issued(), 2);
    }

    #[test]
    fn same_seed_same_sequence() {
        let first = IdGenerator::new("x", "seed");
        let second = IdGenerator::new("x", "seed");
        assert_eq!(first.next_id(), second.next_id());
    }
}
