//! Job payloads: a small ordered map of string fields.
//!
//! Payloads travel through the admin API and the journal as one token,
//! `key=value&key2=value2`, with `%`, `&`, `=`, whitespace and non-ASCII bytes
//! percent-encoded. Keys are kept sorted so the encoding is canonical.

use crate::error::QueueError;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Payload {
    fields: BTreeMap<String, String>,
}

/// Percent-encode everything that would break the `k=v&k=v` or the
/// space-separated journal line format.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'%' | b'&' | b'=' | b'+' => out.push_str(&format!("%{byte:02X}")),
            b if b.is_ascii_graphic() => out.push(b as char),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Inverse of [`escape`].
pub fn unescape(text: &str) -> Result<String, QueueError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .ok_or_else(|| QueueError::Malformed(format!("truncated escape in `{text}`")))?;
            let value = u8::from_str_radix(hex, 16)
                .map_err(|_| QueueError::Malformed(format!("bad escape `%{hex}`")))?;
            out.push(value);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| QueueError::Malformed(format!("not utf-8: `{text}`")))
}

impl Payload {
    pub fn new() -> Payload {
        Payload::default()
    }

    /// Builder style insert.
    pub fn with(mut self, key: &str, value: &str) -> Payload {
        self.insert(key, value);
        self
    }

    pub fn insert(&mut self, key: &str, value: &str) -> Option<String> {
        self.fields.insert(key.to_string(), value.to_string())
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }

    /// A numeric field; `None` if missing or not a number.
    pub fn get_u64(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(|v| v.parse().ok())
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Canonical single-token encoding (`-` for an empty payload).
    pub fn encode(&self) -> String {
        if self.fields.is_empty() {
            return "-".to_string();
        }
        self.fields
            .iter()
            .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// Inverse of [`Payload::encode`].
    pub fn decode(text: &str) -> Result<Payload, QueueError> {
        let mut payload = Payload::new();
        if text == "-" || text.is_empty() {
            return Ok(payload);
        }
        for pair in text.split('&') {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| QueueError::Malformed(format!("payload field `{pair}`")))?;
            if key.is_empty() {
                return Err(QueueError::Malformed(format!("payload field `{pair}`")));
            }
            payload.insert(&unescape(key)?, &unescape(value)?);
        }
        Ok(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_is_sorted_and_roundtrips_special_characters() {
        let payload = Payload::new()
            .with("to", "ops@example.com")
            .with("body", "50% off & more = great\nbye")
            .with("name", "Zoë");
        let encoded = payload.encode();
        assert!(encoded.starts_with("body="));
        assert!(!encoded.contains(' '));
        assert!(!encoded.contains('\n'));
        assert_eq!(Payload::decode(&encoded).unwrap(), payload);
    }

    #[test]
    fn empty_payload_encodes_as_dash() {
        assert_eq!(Payload::new().encode(), "-");
        assert!(Payload::decode("-").unwrap().is_empty());
    }

    #[test]
    fn decode_rejects_malformed_input() {
        assert!(Payload::decode("novalue").is_err());
        assert!(Payload::decode("=x").is_err());
        assert!(Payload::decode("a=%4").is_err());
        assert!(Payload::decode("a=%zz").is_err());
    }

    #[test]
    fn numeric_fields() {
        let payload = Payload::new().with("amount", "1250").with("cur", "EUR");
        assert_eq!(payload.get_u64("amount"), Some(1250));
        assert_eq!(payload.get_u64("cur"), None);
        assert_eq!(payload.get_u64("missing"), None);
    }
}
