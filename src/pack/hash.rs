//! Content hashes of the packer's own caches (token counts, term bags): bytes in, a 128-bit
//! key out.
//!
//! Two fixed-seed `foldhash` quality hashes side by side, about twenty times cheaper than the
//! SHA-256 these caches used before (a cryptographic digest buys nothing here: the keys
//! come from the user's own files and outputs, and a wrong entry would need a 128-bit
//! collision). Deterministic across runs and processes; foldhash does not promise the same
//! values across its versions, which would only turn cached entries into misses (the cache
//! files carry a magic that changes with the hash).

use std::hash::{BuildHasher, Hasher};

use foldhash::quality::FixedState;

/// Seeds of the two halves (any two different constants).
const SEEDS: [u64; 2] = [0x5265_6662_656e_6368, 0x7061_636b_6b65_7973];

/// The 128-bit key of `bytes`.
pub fn hash128(bytes: &[u8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (half, seed) in out.chunks_exact_mut(8).zip(SEEDS) {
        let mut h = FixedState::with_seed(seed).build_hasher();
        h.write(bytes);
        h.write_usize(bytes.len());
        half.copy_from_slice(&h.finish().to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_deterministic_and_tell_texts_apart() {
        let a = hash128(b"fn main() {}\n");
        assert_eq!(a, hash128(b"fn main() {}\n"));
        assert_ne!(a, hash128(b"fn main() {}"));
        assert_ne!(hash128(b""), hash128(b"\0"));
        // The halves are independent hashes, not one value twice.
        assert_ne!(a[..8], a[8..]);
        // 10,000 short texts differing in one character: no collision.
        let keys: std::collections::BTreeSet<[u8; 16]> = (0..10_000)
            .map(|i| hash128(format!("line {i}\n").as_bytes()))
            .collect();
        assert_eq!(keys.len(), 10_000);
    }
}
