//! The packer's on-disk caches, under the refbench cache directory's `pack-facts/`:
//!
//! - parse results, one small file per source content hash (`ab/abcd....facts`), in a compact
//!   binary encoding: a JSON encoding took as long to decode on a warm pack as the rest of the
//!   load, and to encode on a cold one. Misses are written after the load, on a thread of
//!   their own, so a cold pack's single-threaded stages overlap the writes.
//! - exact o200k_base token counts by text hash (`tokens.bin`): a warm pack that renders the
//!   same sections as before never loads the tokenizer (which takes longer than the rest of a
//!   warm pack).
//!
//! Every read validates what it decodes: a damaged or foreign file is a miss, never an error.
//! Writes go to a temporary file renamed into place, so concurrent packs see whole files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::parse::{self, Def, FileFacts, Import, ImportKind, Ref, RefKind, SymbolKind};
use super::Lang;

const FACTS_MAGIC: &[u8; 4] = b"RBF1";
const TOKENS_MAGIC: &[u8; 4] = b"RBT1";
/// The token cache starts over past this many entries (about 24 bytes each).
const MAX_TOKEN_ENTRIES: usize = 500_000;

/// Where parse results are cached, keyed by content hash.
#[derive(Debug)]
pub struct ParseCache {
    dir: Option<PathBuf>,
    salt: String,
    /// Entries parsed in this process and not written yet.
    pending: Mutex<Vec<(String, Vec<u8>)>>,
}

impl ParseCache {
    /// A cache under `dir` (created on first write); `None` disables caching.
    pub fn new(dir: Option<PathBuf>) -> ParseCache {
        ParseCache {
            dir,
            salt: parse::cache_salt(),
            pending: Mutex::new(Vec::new()),
        }
    }

    /// The key of `text` parsed as `lang`.
    pub fn key(&self, lang: Lang, text: &str) -> String {
        let mut h = Sha256::new();
        h.update(self.salt.as_bytes());
        h.update([lang as u8]);
        h.update(text.as_bytes());
        crate::materialize::hex(&h.finalize())
    }

    fn entry(&self, key: &str) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|d| d.join(&key[..2]).join(format!("{key}.facts")))
    }

    /// The cached facts of `key`, if any.
    pub fn get(&self, key: &str) -> Option<FileFacts> {
        let bytes = std::fs::read(self.entry(key)?).ok()?;
        decode_facts(&bytes)
    }

    /// Remembers `facts` for `key`; [`ParseCache::flush`] writes it.
    pub fn put(&self, key: String, facts: &FileFacts) {
        if self.dir.is_some() {
            let bytes = encode_facts(facts);
            self.pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((key, bytes));
        }
    }

    /// Writes the entries [`ParseCache::put`] remembered. Failing to write only costs a
    /// reparse later, so errors are ignored.
    pub fn flush(&self) {
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        for (key, bytes) in pending {
            if let Some(path) = self.entry(&key) {
                write_atomically(&path, &bytes);
            }
        }
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) {
    let Some(parent) = path.parent() else { return };
    if std::fs::create_dir_all(parent).is_err() {
        return;
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("entry");
    let tmp = parent.join(format!(".{name}.{}.tmp", std::process::id()));
    if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

// ---- compact encoding: LEB128 integers, length-prefixed UTF-8 strings, u8 enum tags ----

struct Writer(Vec<u8>);

impl Writer {
    fn uint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn str(&mut self, s: &str) {
        self.uint(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }

    fn strs(&mut self, list: &[String]) {
        self.uint(list.len() as u64);
        for s in list {
            self.str(s);
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn uint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(v);
            }
        }
        None
    }

    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.uint()?).ok()
    }

    /// A count of items each at least one byte long (bounds allocations on damaged input).
    fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.uint()?).ok()?;
        (n <= self.0.len()).then_some(n)
    }

    fn str(&mut self) -> Option<String> {
        let n = self.count()?;
        let (s, rest) = self.0.split_at(n);
        self.0 = rest;
        String::from_utf8(s.to_vec()).ok()
    }

    fn strs(&mut self) -> Option<Vec<String>> {
        let n = self.count()?;
        (0..n).map(|_| self.str()).collect()
    }
}

const SYMBOL_KINDS: [SymbolKind; 11] = [
    SymbolKind::Function,
    SymbolKind::Method,
    SymbolKind::Class,
    SymbolKind::Struct,
    SymbolKind::Enum,
    SymbolKind::Trait,
    SymbolKind::Impl,
    SymbolKind::Module,
    SymbolKind::Constant,
    SymbolKind::Type,
    SymbolKind::Macro,
];
const REF_KINDS: [RefKind; 6] = [
    RefKind::Base,
    RefKind::Impl,
    RefKind::Import,
    RefKind::Call,
    RefKind::Type,
    RefKind::Name,
];
const IMPORT_KINDS: [ImportKind; 5] = [
    ImportKind::Use,
    ImportKind::Mod,
    ImportKind::Path,
    ImportKind::Import,
    ImportKind::From,
];

fn tag<T: PartialEq>(table: &[T], v: &T) -> u64 {
    table
        .iter()
        .position(|t| t == v)
        .expect("every variant is listed") as u64
}

fn untag<T: Copy>(table: &[T], r: &mut Reader<'_>) -> Option<T> {
    table.get(usize::try_from(r.uint()?).ok()?).copied()
}

/// `facts` in the cache's binary encoding.
pub fn encode_facts(facts: &FileFacts) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(64 + facts.refs.len() * 12));
    w.0.extend_from_slice(FACTS_MAGIC);
    w.uint(facts.defs.len() as u64);
    for d in &facts.defs {
        w.str(&d.name);
        w.strs(&d.scope);
        w.uint(tag(&SYMBOL_KINDS, &d.kind));
        w.uint(d.line.into());
        w.uint(d.sig_end.into());
        w.uint(d.end_line.into());
    }
    w.uint(facts.refs.len() as u64);
    for r in &facts.refs {
        w.str(&r.name);
        w.uint(tag(&REF_KINDS, &r.kind));
        w.uint(r.line.into());
    }
    w.uint(facts.imports.len() as u64);
    for i in &facts.imports {
        w.uint(tag(&IMPORT_KINDS, &i.kind));
        w.uint(i.line.into());
        w.strs(&i.path);
        w.uint(i.level.into());
        w.strs(&i.names);
    }
    w.0
}

/// Facts from [`encode_facts`]' bytes; `None` when they are not exactly that.
pub fn decode_facts(bytes: &[u8]) -> Option<FileFacts> {
    let mut r = Reader(bytes.strip_prefix(FACTS_MAGIC)?);
    let n = r.count()?;
    let mut defs = Vec::with_capacity(n);
    for _ in 0..n {
        defs.push(Def {
            name: r.str()?,
            scope: r.strs()?,
            kind: untag(&SYMBOL_KINDS, &mut r)?,
            line: r.u32()?,
            sig_end: r.u32()?,
            end_line: r.u32()?,
        });
    }
    let n = r.count()?;
    let mut refs = Vec::with_capacity(n);
    for _ in 0..n {
        refs.push(Ref {
            name: r.str()?,
            kind: untag(&REF_KINDS, &mut r)?,
            line: r.u32()?,
        });
    }
    let n = r.count()?;
    let mut imports = Vec::with_capacity(n);
    for _ in 0..n {
        imports.push(Import {
            kind: untag(&IMPORT_KINDS, &mut r)?,
            line: r.u32()?,
            path: r.strs()?,
            level: r.u32()?,
            names: r.strs()?,
        });
    }
    r.0.is_empty().then_some(FileFacts {
        defs,
        refs,
        imports,
    })
}

/// Exact token counts of texts already counted, by a hash of the text; persisted in
/// `tokens.bin` of the cache folder when there is one.
#[derive(Debug, Default)]
pub struct TokenCache {
    path: Option<PathBuf>,
    counts: HashMap<[u8; 16], u32>,
    added: bool,
}

fn text_hash(text: &str) -> [u8; 16] {
    let digest = Sha256::digest(text.as_bytes());
    let mut h = [0u8; 16];
    h.copy_from_slice(&digest[..16]);
    h
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
        let n = super::count_tokens(text);
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
        write_atomically(path, &bytes);
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
    fn facts_round_trip_and_damage_is_a_miss() {
        let rust = parse::extract(
            Lang::Rust,
            "use crate::a::{b::C, d as e};\nmod f;\nimpl Tr for S { fn m(&self) -> C { helper(); crate::x::y() } }\n",
        );
        let python = parse::extract(
            Lang::Python,
            "from ..p import A, B as C\nfrom m import *\nclass K(Base):\n    def f(self, x: \"Thé\") -> None:\n        return g(x)\n",
        );
        for facts in [rust, python, FileFacts::default()] {
            let bytes = encode_facts(&facts);
            assert_eq!(decode_facts(&bytes), Some(facts.clone()));
            // Truncated, extended or foreign bytes never decode.
            for cut in 0..bytes.len() {
                assert_eq!(decode_facts(&bytes[..cut]), None, "cut at {cut}");
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert_eq!(decode_facts(&longer), None);
        }
        assert_eq!(decode_facts(b"{\"defs\":[]}"), None);
    }

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
            assert_eq!(super::super::count_tokens(t), *n);
        }
        assert!(!second.added);
        std::fs::write(dir.path().join("tokens.bin"), b"RBT1xyz").unwrap();
        assert!(TokenCache::load(Some(dir.path())).counts.is_empty());
    }
}
