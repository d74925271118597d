//! The packer's token-count cache, `tokens.bin` under the cache's `pack-facts/`: exact
//! o200k_base token counts by text hash, so that a warm pack that renders the same sections as
//! before never loads the tokenizer (which takes longer than the rest of a warm pack).
//!
//! In: texts to count. Out: their exact counts. A damaged or foreign file is a miss, never an
//! error; writes go through a temporary file renamed into place.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// `RBT1` files were keyed by SHA-256; `RBT2` by [`super::hash::hash128`].
const TOKENS_MAGIC: &[u8; 4] = b"RBT2";
/// Past this many entries the file is started afresh.
const MAX_TOKEN_ENTRIES: usize = 500_000;

/// Exact token counts of texts already counted, by a hash of the text; persisted in
/// `tokens.bin` of the cache folder when there is one.
#[derive(Debug, Default)]
pub struct TokenCache {
    path: Option<PathBuf>,
    counts: HashMap<[u8; 16], u32>,
    added: bool,
}

fn text_hash(text: &str) -> [u8; 16] {
    super::hash::hash128(text.as_bytes())
}

impl TokenCache {
    /// The counts stored under `dir` (none when `dir` is `None` or holds none).
    pub fn load(dir: Option<&Path>) -> TokenCache {
        let path = dir.map(|d| d.join("tokens.bin"));
        let counts = path
            .as_deref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| decode_tokens(&b))
            .unwrap_or_default();
        TokenCache {
            path,
            counts,
            added: false,
        }
    }

    /// The o200k_base token count of `text`: from the cache, else counted (loading the
    /// tokenizer the first time) and remembered.
    pub fn count(&mut self, text: &str) -> usize {
        let h = text_hash(text);
        if let Some(&n) = self.counts.get(&h) {
            return n as usize;
        }
        let n = super::render::count_tokens(text);
        if let Ok(n32) = u32::try_from(n) {
            self.counts.insert(h, n32);
            self.added = true;
        }
        n
    }

    /// Writes the counts back when any were added.
    pub fn save(&self) {
        let Some(path) = &self.path else { return };
        if !self.added {
            return;
        }
        let mut entries: Vec<(&[u8; 16], &u32)> = self.counts.iter().collect();
        if entries.len() > MAX_TOKEN_ENTRIES {
            entries.clear();
        }
        entries.sort();
        let mut bytes = Vec::with_capacity(8 + entries.len() * 20);
        bytes.extend_from_slice(TOKENS_MAGIC);
        for (h, n) in entries {
            bytes.extend_from_slice(h);
            bytes.extend_from_slice(&n.to_le_bytes());
        }
        let _ = crate::fsutil::write_atomic(path, &bytes);
    }
}

fn decode_tokens(bytes: &[u8]) -> Option<HashMap<[u8; 16], u32>> {
    let body = bytes.strip_prefix(TOKENS_MAGIC)?;
    if body.len() % 20 != 0 {
        return None;
    }
    Some(
        body.chunks_exact(20)
            .map(|c| {
                let mut h = [0u8; 16];
                h.copy_from_slice(&c[..16]);
                let n = u32::from_le_bytes([c[16], c[17], c[18], c[19]]);
                (h, n)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_counts_persist_and_match_the_tokenizer() {
        let dir = tempfile::tempdir().unwrap();
        let texts = ["", "fn main() {}\n", "## a/b.py\n\n```python\nx = 1\n```\n"];
        let mut first = TokenCache::load(Some(dir.path()));
        let counted: Vec<usize> = texts.iter().map(|t| first.count(t)).collect();
        first.save();
        let mut second = TokenCache::load(Some(dir.path()));
        assert_eq!(second.counts.len(), texts.len());
        for (t, n) in texts.iter().zip(&counted) {
            assert_eq!(second.count(t), *n);
            assert_eq!(super::super::render::count_tokens(t), *n);
        }
        assert!(!second.added);
        std::fs::write(dir.path().join("tokens.bin"), b"RBT2xyz").unwrap();
        assert!(TokenCache::load(Some(dir.path())).counts.is_empty());
    }
}
