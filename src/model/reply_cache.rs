//! The response cache: model replies kept on disk so a repeated run asks nothing.
//!
//! In: a model entry, the request body ([`super::wire::request_body`]) and the sample index, for
//! the key; a [`Parsed`] reply to keep. Out: the reply kept under that key, if any. Files live at
//! `CACHE/responses/KE/KEY.json` and hold the parsed reply (text, stop reason, unpriced usage)
//! whichever transport brought it (one JSON response, a stream or a batch), so the three share
//! entries and a cached reply is re-priced with the entry's current prices.
//!
//! The key ([`key`]) covers everything that changes the answer: the provider (wire format), the
//! base URL (another server is another model, whatever its id), the model id, the full request
//! body (prompt, output limit, reasoning effort, sampling) and the sample index (samples of one
//! prompt are distinct requests). The transport fields a stream adds (`stream`,
//! `stream_options`) are not in the body it hashes: they change how the answer arrives, not
//! what it is. An entry that does not read back (an older format, a damaged file) is a miss.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

use super::config::ModelEntry;
use super::wire::Parsed;

/// Names the key's layout; changing what goes into the key changes this, so old entries are
/// never read under a new meaning.
pub const KEY_VERSION: &str = "refbench-response-v2";

/// The cache key (64 hex digits) of a request: provider, base URL, model id, the request body
/// and the sample index.
pub fn key(entry: &ModelEntry, body: &serde_json::Value, sample: u32) -> String {
    let mut h = Sha256::new();
    for part in [
        KEY_VERSION,
        entry.provider.as_str(),
        &entry.base_url(),
        entry.model_id(),
        &body.to_string(),
        &sample.to_string(),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    format!("{:x}", h.finalize())
}

/// The `responses/` folder of the cache.
#[derive(Debug, Clone)]
pub struct ReplyCache {
    dir: PathBuf,
}

impl ReplyCache {
    /// The cache in `dir` (created on the first write).
    pub fn new(dir: PathBuf) -> ReplyCache {
        ReplyCache { dir }
    }

    fn file(&self, key: &str) -> PathBuf {
        self.dir.join(&key[..2]).join(format!("{key}.json"))
    }

    /// The reply kept under `key`.
    pub fn get(&self, key: &str) -> Option<Parsed> {
        let raw = std::fs::read_to_string(self.file(key)).ok()?;
        serde_json::from_str(&raw).ok()
    }

    /// Keeps `reply` under `key`. A failure to write is logged, never fatal: the reply is in
    /// hand, only a later run loses the saving.
    pub fn put(&self, key: &str, reply: &Parsed) {
        let file = self.file(key);
        let json = serde_json::to_vec(reply).expect("replies serialize");
        if let Err(e) = crate::fsutil::write_atomic(&file, &json) {
            tracing::warn!("cannot write the response cache {}: {e}", file.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::Config;
    use crate::model::StopReason;

    fn entry(extra: &str) -> ModelEntry {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("refbench.toml");
        std::fs::write(
            &path,
            format!("[[model]]\nname = \"a\"\nprovider = \"openai-chat\"\nmodel = \"m\"\napi_key_env = \"K\"\n{extra}"),
        )
        .unwrap();
        Config::load(&path).unwrap().models.remove(0)
    }

    #[test]
    fn every_part_that_changes_the_answer_changes_the_key() {
        let body = serde_json::json!({"model": "m", "messages": []});
        let base = key(&entry(""), &body, 0);
        assert_eq!(base.len(), 64);
        assert_eq!(base, key(&entry(""), &body, 0), "stable");
        // The name is a label: the same request under another name is the same answer.
        let mut renamed = entry("");
        renamed.name = "b".into();
        assert_eq!(base, key(&renamed, &body, 0));
        let mut other_model = entry("");
        other_model.model = Some("other".into());
        let others = [
            key(
                &entry("base_url = \"https://gateway.example/v1\"\n"),
                &body,
                0,
            ),
            key(&other_model, &body, 0),
            key(
                &entry(""),
                &serde_json::json!({"model": "m", "messages": [1]}),
                0,
            ),
            key(&entry(""), &body, 1),
        ];
        for (i, k) in others.iter().enumerate() {
            assert_ne!(&base, k, "part {i} is not in the key");
        }
        let mut anthropic = entry("");
        anthropic.provider = crate::model::config::Provider::Anthropic;
        anthropic.base_url = Some("https://api.openai.com/v1".into());
        assert_ne!(
            base,
            key(&anthropic, &body, 0),
            "provider is not in the key"
        );
    }

    #[test]
    fn a_reply_reads_back_and_a_damaged_entry_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ReplyCache::new(dir.path().join("responses"));
        let k = key(&entry(""), &serde_json::json!({}), 0);
        assert_eq!(cache.get(&k), None);
        let reply = Parsed {
            text: "hi".into(),
            stop: StopReason::Complete,
            usage: None,
            tool_calls: vec![],
        };
        cache.put(&k, &reply);
        assert_eq!(cache.get(&k), Some(reply));
        std::fs::write(cache.file(&k), "{\"choices\": []}").unwrap();
        assert_eq!(cache.get(&k), None);
    }
}
