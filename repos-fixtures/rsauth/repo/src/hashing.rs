//! Password hashing.
//!
//! Format of a stored hash: `fnv1a64$<iterations>$<salt>$<32 hex digits>`.
//! Accounts imported from the old PHP portal still carry `v0$<16 hex digits>`
//! (unsalted, single pass); those are accepted once and re-hashed on the next
//! successful login.
//!
//! NOTE: this is an iterated FNV-1a/splitmix construction, not a real KDF. It
//! is deterministic on purpose so that fixtures and replays are reproducible.

pub const SCHEME: &str = "fnv1a64";
pub const LEGACY_SCHEME: &str = "v0";

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Continue an FNV-1a 64 computation from `state`.
pub fn fnv1a64_extend(mut state: u64, data: &[u8]) -> u64 {
    for byte in data {
        state ^= u64::from(*byte);
        state = state.wrapping_mul(FNV_PRIME);
    }
    state
}

/// Plain FNV-1a 64 of `data`.
pub fn fnv1a64(data: &[u8]) -> u64 {
    fnv1a64_extend(FNV_OFFSET, data)
}

/// splitmix64 finaliser, used to spread FNV output over all bits.
pub fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Compare two byte strings without an early exit on the first difference.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b.iter()) {
        diff |= x ^ y;
    }
    diff == 0
}

/// Unsalted single-pass hash used by the old portal. Only kept so imported
/// accounts can still log in (and get upgraded).
pub fn legacy_v0_hash(password: &str) -> String {
    format!("{LEGACY_SCHEME}${:016x}", fnv1a64(password.as_bytes()))
}

/// Derive a salt for `username`. `nonce` makes re-hashes of the same password differ.
pub fn salt_for(username: &str, nonce: u64) -> String {
    format!("{:016x}", mix64(fnv1a64(username.as_bytes()) ^ nonce))
}

/// A parsed stored hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredHash<'a> {
    Current {
        iterations: u32,
        salt: &'a str,
        digest: &'a str,
    },
    Legacy {
        digest: &'a str,
    },
}

pub fn parse_stored(encoded: &str) -> Option<StoredHash<'_>> {
    let parts: Vec<&str> = encoded.split('$').collect();
    match parts.as_slice() {
        [scheme, iterations, salt, digest] if *scheme == SCHEME => {
            let iterations = iterations.parse().ok()?;
            if salt.is_empty() || digest.len() != 32 {
                return None;
            }
            Some(StoredHash::Current {
                iterations,
                salt,
                digest,
            })
        }
        [scheme, digest] if *scheme == LEGACY_SCHEME && digest.len() == 16 => {
            Some(StoredHash::Legacy { digest })
        }
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordHasher {
    iterations: u32,
}

impl PasswordHasher {
    pub fn new(iterations: u32) -> PasswordHasher {
        PasswordHasher {
            iterations: iterations.max(1),
        }
    }

    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    fn digest(iterations: u32, password: &str, salt: &str) -> String {
        let seed = fnv1a64_extend(fnv1a64_extend(fnv1a64(salt.as_bytes()), b"$"), password.as_bytes());
        let mut lo = seed;
        let mut hi = mix64(seed);
        for round in 0..iterations {
            lo = fnv1a64_extend(lo ^ u64::from(round), password.as_bytes());
            hi = mix64(hi ^ lo);
        }
        format!("{hi:016x}{lo:016x}")
    }

    /// Hash `password` with `salt` using the configured number of iterations.
    pub fn hash(&self, password: &str, salt: &str) -> String {
        format!(
            "{SCHEME}${}${salt}${}",
            self.iterations,
            Self::digest(self.iterations, password, salt)
        )
    }

    /// Check `password` against a stored hash (current or legacy format).
    pub fn verify(&self, password: &str, encoded: &str) -> bool {
        match parse_stored(encoded) {
            Some(StoredHash::Current {
                iterations,
                salt,
                digest,
            }) => {
                let computed = Self::digest(iterations, password, salt);
                constant_time_eq(computed.as_bytes(), digest.as_bytes())
            }
            Some(StoredHash::Legacy { .. }) => {
                constant_time_eq(legacy_v0_hash(password).as_bytes(), encoded.as_bytes())
            }
            None => false,
        }
    }

    /// Whether a stored hash should be replaced after the next successful login.
    pub fn needs_rehash(&self, encoded: &str) -> bool {
        match parse_stored(encoded) {
            Some(StoredHash::Current { iterations, .. }) => iterations != self.iterations,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn hash_is_deterministic_and_salted() {
        let hasher = PasswordHasher::new(16);
        let a = hasher.hash("correct horse", "salt1");
        assert_eq!(a, hasher.hash("correct horse", "salt1"));
        assert_ne!(a, hasher.hash("correct horse", "salt2"));
        assert!(a.starts_with("fnv1a64$16$salt1$"));
    }

    #[test]
    fn verify_roundtrip_and_wrong_password() {
        let hasher = PasswordHasher::new(8);
        let stored = hasher.hash("s3cret-pass", &salt_for("alice", 1));
        assert!(hasher.verify("s3cret-pass", &stored));
        assert!(!hasher.verify("s3cret-pasS", &stored));
        assert!(!hasher.verify("s3cret-pass", "garbage"));
    }

    #[test]
    fn legacy_hashes_verify_and_need_rehash() {
        let hasher = PasswordHasher::new(8);
        let old = legacy_v0_hash("hunter22");
        assert!(hasher.verify("hunter22", &old));
        assert!(!hasher.verify("hunter23", &old));
        assert!(hasher.needs_rehash(&old));
        assert!(!hasher.needs_rehash(&hasher.hash("hunter22", "x")));
        assert!(PasswordHasher::new(9).needs_rehash(&hasher.hash("hunter22", "x")));
    }

    #[test]
    fn constant_time_eq_compares_lengths() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
