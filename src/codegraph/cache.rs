//! The packer's on-disk caches, under the refbench cache directory's `pack-facts/`:
//!
//! - parse results by source content hash, in segment files (`*.rbs`): each pack that parsed
//!   something writes one segment holding what it parsed, in a compact binary encoding, after
//!   the load and on a thread of its own so that a cold pack's single-threaded stages overlap
//!   the write. One file per pack, not one per source: creating thousands of small files cost
//!   more than a second of kernel time on ext4 after a cache had been deleted. Past
//!   [`MAX_SEGMENTS`] segments the writer merges them into one, keeping the newest entries up
//!   to [`MAX_SEGMENT_BYTES`], so the cache never grows without bound.
//! - exact o200k_base token counts by text hash (`tokens.bin`): a warm pack that renders the
//!   same sections as before never loads the tokenizer (which takes longer than the rest of a
//!   warm pack).
//!
//! Every read validates what it decodes: a damaged, truncated or foreign file is a miss, never
//! an error. Writes go to a temporary file renamed into place, so concurrent packs see whole
//! files; a segment another process merged away while it was being read is a miss too.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use sha2::{Digest, Sha256};

use super::parse::{self, Def, FileFacts, Import, ImportKind, Ref, RefKind, SymbolKind};
use crate::catalog::Language;

const SEGMENT_MAGIC: &[u8; 4] = b"RBS1";
const FACTS_MAGIC: &[u8; 4] = b"RBF1";
/// The token cache starts over past this many entries (about 24 bytes each).
/// Segments kept before the writer merges them into one.
pub const MAX_SEGMENTS: usize = 8;
/// Encoded facts a merged segment keeps at most (newest segments first).
pub const MAX_SEGMENT_BYTES: u64 = 256 << 20;
/// Bytes of one index record: key, offset, length.
const RECORD: usize = 32 + 8 + 4;

/// A parse-cache key: SHA-256 of the extractor's salt, the language and the source text.
pub type Key = [u8; 32];

/// Where parse results are cached, keyed by content hash. A cache reads the segments present
/// at its first lookup and does not see later writes (its own included): each pack opens one.
#[derive(Debug)]
pub struct ParseCache {
    dir: Option<PathBuf>,
    salt: String,
    /// The segments present when first asked, read on the first lookup.
    index: OnceLock<Index>,
    /// Entries parsed in this process and not written yet.
    pending: Mutex<Vec<(Key, Vec<u8>)>>,
}

#[derive(Debug, Default)]
struct Index {
    segments: Vec<File>,
    /// key -> (segment, offset, length)
    slots: HashMap<Key, (usize, u64, u32)>,
}

impl ParseCache {
    /// A cache under `dir` (created on first write); `None` disables caching.
    pub fn new(dir: Option<PathBuf>) -> ParseCache {
        ParseCache {
            dir,
            salt: parse::cache_salt(),
            index: OnceLock::new(),
            pending: Mutex::new(Vec::new()),
        }
    }

    /// The key of `text` parsed as `lang`.
    pub fn key(&self, lang: Language, text: &str) -> Key {
        let mut h = Sha256::new();
        h.update(self.salt.as_bytes());
        h.update([crate::lang::support(lang).cache_tag()]);
        h.update(text.as_bytes());
        h.finalize().into()
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            let mut index = Index::default();
            let Some(dir) = &self.dir else { return index };
            for (path, _) in segment_paths(dir) {
                let Ok(file) = File::open(&path) else {
                    continue;
                };
                let Some(records) = read_index(&file) else {
                    continue;
                };
                let seg = index.segments.len();
                index.segments.push(file);
                for (key, offset, len) in records {
                    index.slots.insert(key, (seg, offset, len));
                }
            }
            index
        })
    }

    /// The cached facts of `key`, if any.
    pub fn get(&self, key: &Key) -> Option<FileFacts> {
        let index = self.index();
        let &(seg, offset, len) = index.slots.get(key)?;
        let mut bytes = vec![0; len as usize];
        index.segments[seg].read_exact_at(&mut bytes, offset).ok()?;
        decode_facts(&bytes)
    }

    /// Remembers `facts` for `key`; [`ParseCache::flush`] writes it.
    pub fn put(&self, key: Key, facts: &FileFacts) {
        if self.dir.is_some() {
            let bytes = encode_facts(facts);
            self.pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((key, bytes));
        }
    }

    /// Writes the entries [`ParseCache::put`] remembered as one new segment, then merges the
    /// segments if there are more than [`MAX_SEGMENTS`]. Failing to write only costs a
    /// reparse later, so errors are ignored.
    pub fn flush(&self) {
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        let Some(dir) = &self.dir else { return };
        if pending.is_empty() {
            return;
        }
        let entries: BTreeMap<Key, Vec<u8>> = pending.into_iter().collect();
        if write_segment(dir, &entries).is_none() {
            return;
        }
        let segments = segment_paths(dir);
        if segments.len() > MAX_SEGMENTS {
            merge_segments(dir, &segments);
        }
        remove_per_file_entries(dir);
    }
}

/// Removes the one-file-per-source entries (`ab/abcd....facts` in two-hex-digit folders) that
/// refbench wrote before segments; nothing reads them any more.
fn remove_per_file_entries(dir: &Path) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in read.flatten() {
        let name = entry.file_name();
        let legacy = name.to_str().is_some_and(|n| {
            n.len() == 2
                && n.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        });
        if legacy && entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The `*.rbs` files of `dir` with their modification times, newest first.
fn segment_paths(dir: &Path) -> Vec<(PathBuf, std::time::SystemTime)> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(PathBuf, std::time::SystemTime)> = read
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.ends_with(".rbs")))
        .filter_map(|e| {
            let modified = e.metadata().ok()?.modified().ok()?;
            Some((e.path(), modified))
        })
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// A segment's index, checked against its length: `None` if damaged or foreign.
///
/// Layout: magic, entry count (u32 LE), that many records sorted by key (key, data offset
/// u64 LE, data length u32 LE), then the data.
fn read_index(file: &File) -> Option<Vec<(Key, u64, u32)>> {
    let size = file.metadata().ok()?.len();
    let mut head = [0u8; 8];
    file.read_exact_at(&mut head, 0).ok()?;
    if &head[..4] != SEGMENT_MAGIC {
        return None;
    }
    let count = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as u64;
    let data_start = 8 + count.checked_mul(RECORD as u64)?;
    if data_start > size {
        return None;
    }
    let mut raw = vec![0u8; (data_start - 8) as usize];
    file.read_exact_at(&mut raw, 8).ok()?;
    raw.chunks_exact(RECORD)
        .map(|r| {
            let key: Key = r[..32].try_into().ok()?;
            let offset = u64::from_le_bytes(r[32..40].try_into().ok()?);
            let len = u32::from_le_bytes(r[40..44].try_into().ok()?);
            let end = offset.checked_add(u64::from(len))?;
            (offset >= data_start && end <= size).then_some((key, offset, len))
        })
        .collect()
}

/// Writes `entries` as one segment named by a hash of its keys; returns its path.
fn write_segment(dir: &Path, entries: &BTreeMap<Key, Vec<u8>>) -> Option<PathBuf> {
    let count = u32::try_from(entries.len()).ok()?;
    let data_start = 8 + entries.len() * RECORD;
    let data_len: usize = entries.values().map(Vec::len).sum();
    let mut bytes = Vec::with_capacity(data_start + data_len);
    bytes.extend_from_slice(SEGMENT_MAGIC);
    bytes.extend_from_slice(&count.to_le_bytes());
    let mut offset = data_start as u64;
    let mut name = Sha256::new();
    for (key, data) in entries {
        bytes.extend_from_slice(key);
        bytes.extend_from_slice(&offset.to_le_bytes());
        bytes.extend_from_slice(&u32::try_from(data.len()).ok()?.to_le_bytes());
        offset += data.len() as u64;
        name.update(key);
    }
    for data in entries.values() {
        bytes.extend_from_slice(data);
    }
    let name = crate::fsutil::hex(&name.finalize()[..12]);
    let path = dir.join(format!("{name}.rbs"));
    crate::fsutil::write_atomic(&path, &bytes).ok()?;
    Some(path)
}

/// Merges `segments` (newest first) into one, keeping the newest entries up to
/// [`MAX_SEGMENT_BYTES`], and removes the ones merged.
fn merge_segments(dir: &Path, segments: &[(PathBuf, std::time::SystemTime)]) {
    let mut merged: BTreeMap<Key, Vec<u8>> = BTreeMap::new();
    let mut kept_bytes = 0u64;
    let mut read = Vec::new();
    for (path, _) in segments {
        let Ok(file) = File::open(path) else { continue };
        read.push(path);
        let Some(records) = read_index(&file) else {
            continue;
        };
        for (key, offset, len) in records {
            if merged.contains_key(&key) || kept_bytes + u64::from(len) > MAX_SEGMENT_BYTES {
                continue;
            }
            let mut data = vec![0; len as usize];
            if file.read_exact_at(&mut data, offset).is_ok() {
                kept_bytes += u64::from(len);
                merged.insert(key, data);
            }
        }
    }
    let Some(written) = write_segment(dir, &merged) else {
        return;
    };
    // The merged segment may have the name of one of its inputs (same keys): keep that one.
    for path in read {
        if *path != written {
            let _ = std::fs::remove_file(path);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_round_trip_and_damage_is_a_miss() {
        let rust = parse::extract(
            Language::Rust,
            "use crate::a::{b::C, d as e};\nmod f;\nimpl Tr for S { fn m(&self) -> C { helper(); crate::x::y() } }\n",
        );
        let python = parse::extract(
            Language::Python,
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

    fn facts_of(i: usize) -> FileFacts {
        parse::extract(Language::Python, &format!("def f{i}():\n    g{i}()\n"))
    }

    #[test]
    fn segments_are_written_per_flush_merged_past_the_limit_and_damage_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let open = || ParseCache::new(Some(dir.path().to_path_buf()));
        let key = |c: &ParseCache, i: usize| c.key(Language::Python, &format!("source {i}"));
        let segments = || segment_paths(dir.path()).len();
        // Entries of the one-file-per-source format go at the first flush.
        std::fs::create_dir_all(dir.path().join("ab")).unwrap();
        std::fs::write(dir.path().join("ab/abcd.facts"), b"RBF1").unwrap();
        // One flush, one segment, however many entries.
        let cache = open();
        for i in 0..3 {
            cache.put(key(&cache, i), &facts_of(i));
        }
        cache.flush();
        assert_eq!(segments(), 1);
        assert!(!dir.path().join("ab").exists());
        // Every further flush adds one until the limit, then they merge into one.
        for i in 3..3 + MAX_SEGMENTS {
            let cache = open();
            assert_eq!(cache.get(&key(&cache, i)), None);
            cache.put(key(&cache, i), &facts_of(i));
            cache.flush();
        }
        assert_eq!(segments(), 1, "merged past {MAX_SEGMENTS} segments");
        let cache = open();
        for i in 0..3 + MAX_SEGMENTS {
            assert_eq!(cache.get(&key(&cache, i)), Some(facts_of(i)), "entry {i}");
        }
        // A flush with nothing parsed writes nothing.
        cache.flush();
        assert_eq!(segments(), 1);
        // Truncated or foreign segments are misses, not errors.
        let (path, _) = &segment_paths(dir.path())[0];
        let bytes = std::fs::read(path).unwrap();
        for cut in [0, 4, 9, bytes.len() / 2, bytes.len() - 1] {
            std::fs::write(path, &bytes[..cut]).unwrap();
            let cache = open();
            assert_eq!(cache.get(&key(&cache, 0)), None, "cut at {cut}");
        }
        std::fs::write(path, b"RBS1\xff\xff\xff\xffjunk").unwrap();
        assert_eq!(open().get(&key(&open(), 0)), None);
        // A disabled cache stores nothing.
        let none = ParseCache::new(None);
        none.put(key(&none, 0), &facts_of(0));
        none.flush();
        assert_eq!(none.get(&key(&none, 0)), None);
    }
}
