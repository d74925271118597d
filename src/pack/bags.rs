//! Term bags: what the lexical ranking needs of each source, computed once per content and
//! cached, so that a warm pack does no stemming and no scan of the sources' text.
//!
//! In: the loaded files and the cache folder (`pack-facts/bags.bin`). Out: [`Bags`], per file
//! the number of subwords of its text and, per distinct stem, how often its text and the
//! names it defines use it (subwords of identifiers split on `_` and camelCase, lowercased,
//! English stems, and the compound stem of each multi-part identifier: the same terms
//! `query.rs` reads from a task's text). Bags are keyed by a 128-bit hash of the file's text;
//! stems are numbered once for the whole cache file, so a bag is a sorted list of
//! `(stem id, text uses, definition uses)`.
//!
//! A bag also lists the functions and methods whose bodies synchronise threads (use a
//! [`SYNC_WORDS`] word: take locks, touch atomics), which outlines keep when they can.
//!
//! A damaged or foreign cache file is a miss, never an error; writes go through a temporary
//! file renamed into place. Past [`MAX_COUNTS`] stem counts the file is started afresh with
//! the current files' bags.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::hash::hash128;
use super::query::{stemmer, subwords};
use crate::codegraph::graph::FastMap;
use crate::codegraph::walk::SourceFile;
use crate::codegraph::SymbolKind;

const MAGIC: &[u8; 4] = b"RBB1";
/// Stem counts (12 bytes each) the cache file holds at most, since every pack with a query
/// reads the whole file (the bases of the catalog's 9 fixtures, 729 distinct sources, take
/// 152k counts, 2 MB).
pub const MAX_COUNTS: usize = 2 << 20;

/// Uses of one stem in one file: (stem id, in its text, in the names it defines).
pub type TermCount = (u32, u32, u32);

/// Words that mark code synchronising threads (matched as whole identifiers or their
/// `_`/camelCase parts, case-insensitively).
pub const SYNC_WORDS: &[&str] = &[
    "lock",
    "locked",
    "rlock",
    "mutex",
    "rwlock",
    "condvar",
    "condition",
    "semaphore",
    "atomic",
    "threading",
    "acquire",
    "release",
    "notify",
    "fetch",
    "compare",
    "barrier",
    "spawn",
];

/// A bag's place in the store: subwords of the text, the range of its counts and the range
/// of its synchronising definitions.
#[derive(Debug, Clone, Copy)]
struct Entry {
    len: u32,
    start: usize,
    end: usize,
    sync_start: usize,
    sync_end: usize,
}

/// Term bags of a pack's files, and of whatever else the cache file held.
#[derive(Debug, Default)]
pub struct Bags {
    /// Stems by id.
    stems: Vec<String>,
    /// Every bag's counts, one run per bag, each sorted by stem id.
    counts: Vec<TermCount>,
    /// Every bag's synchronising definitions (indexes into the file's `facts.defs`).
    sync: Vec<u32>,
    entries: HashMap<[u8; 16], Entry>,
    /// Per file (file order): its bag, if it has text.
    files: Vec<Option<Entry>>,
}

/// A file's bag as computed, stems spelled out.
struct NewBag {
    len: u32,
    terms: Vec<(String, u32, u32)>,
    sync: Vec<u32>,
}

impl Bags {
    /// The bags of `files`: from `dir`'s `bags.bin` where their text is known, computed (in
    /// parallel) otherwise; `dir`'s file is rewritten when any was computed.
    pub fn load(files: &[SourceFile], dir: Option<&Path>) -> Bags {
        let path: Option<PathBuf> = dir.map(|d| d.join("bags.bin"));
        let mut bags = path
            .as_deref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| decode(&b))
            .unwrap_or_default();
        let keys: Vec<Option<[u8; 16]>> = files
            .par_iter()
            .map(|f| f.text.as_deref().map(|t| hash128(t.as_bytes())))
            .collect();
        let missing = |bags: &Bags| -> Vec<usize> {
            (0..files.len())
                .filter(|&i| keys[i].is_some_and(|k| !bags.entries.contains_key(&k)))
                .collect()
        };
        let mut todo = missing(&bags);
        if !todo.is_empty() {
            let new: Vec<NewBag> = todo
                .par_iter()
                .map_init(Memo::default, |memo, &i| compute(&files[i], memo))
                .collect();
            let added: usize = new.iter().map(|b| b.terms.len()).sum();
            if bags.counts.len() + added > MAX_COUNTS {
                bags = Bags::default();
                todo = missing(&bags);
                let new: Vec<NewBag> = todo
                    .par_iter()
                    .map_init(Memo::default, |memo, &i| compute(&files[i], memo))
                    .collect();
                bags.add(&todo, &keys, new);
            } else {
                bags.add(&todo, &keys, new);
            }
            if let Some(p) = &path {
                let _ = crate::fsutil::write_atomic(p, &bags.encode());
            }
        }
        bags.files = keys
            .iter()
            .map(|k| k.and_then(|k| bags.entries.get(&k).copied()))
            .collect();
        bags
    }

    /// Adds the computed bags `new` of the files `todo` (whose keys are in `keys`).
    fn add(&mut self, todo: &[usize], keys: &[Option<[u8; 16]>], new: Vec<NewBag>) {
        let mut ids: FastMap<String, u32> = FastMap::default();
        for (i, s) in self.stems.iter().enumerate() {
            ids.insert(s.clone(), i as u32);
        }
        for (&file, bag) in todo.iter().zip(new) {
            let Some(key) = keys[file] else { continue };
            if self.entries.contains_key(&key) {
                continue; // two files with the same text
            }
            let start = self.counts.len();
            for (stem, text, defs) in bag.terms {
                let next = self.stems.len() as u32;
                let id = *ids.entry(stem).or_insert_with_key(|s| {
                    self.stems.push(s.clone());
                    next
                });
                self.counts.push((id, text, defs));
            }
            self.counts[start..].sort_unstable();
            let sync_start = self.sync.len();
            self.sync.extend(bag.sync);
            let entry = Entry {
                len: bag.len,
                start,
                end: self.counts.len(),
                sync_start,
                sync_end: self.sync.len(),
            };
            self.entries.insert(key, entry);
        }
    }

    /// The ids of `stems` (`None` for a stem no bag holds), in order.
    pub fn ids_of(&self, stems: &[&str]) -> Vec<Option<u32>> {
        let mut wanted: FastMap<&str, Vec<usize>> = FastMap::default();
        for (i, s) in stems.iter().enumerate() {
            wanted.entry(s).or_default().push(i);
        }
        let mut out = vec![None; stems.len()];
        for (id, s) in self.stems.iter().enumerate() {
            for &i in wanted.get(s.as_str()).into_iter().flatten() {
                out[i] = Some(id as u32);
            }
        }
        out
    }

    /// File `file`'s bag: the subwords of its text and its stem counts sorted by id.
    pub fn of(&self, file: usize) -> Option<(u32, &[TermCount])> {
        let e = self.files.get(file).copied().flatten()?;
        Some((e.len, &self.counts[e.start..e.end]))
    }

    /// The functions and methods of file `file` whose bodies synchronise threads (indexes
    /// into its `facts.defs`, ascending).
    pub fn synchronising(&self, file: usize) -> &[u32] {
        match self.files.get(file).copied().flatten() {
            Some(e) => &self.sync[e.sync_start..e.sync_end],
            None => &[],
        }
    }

    /// Uses of stem `id` in file `file`'s text and definition names.
    pub fn uses(&self, file: usize, id: u32) -> (u32, u32) {
        let Some((_, counts)) = self.of(file) else {
            return (0, 0);
        };
        match counts.binary_search_by_key(&id, |c| c.0) {
            Ok(i) => (counts[i].1, counts[i].2),
            Err(_) => (0, 0),
        }
    }

    fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(16 + self.counts.len() * 12 + self.entries.len() * 24);
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&(self.stems.len() as u32).to_le_bytes());
        for s in &self.stems {
            b.extend_from_slice(&(s.len() as u16).to_le_bytes());
            b.extend_from_slice(s.as_bytes());
        }
        let mut entries: Vec<(&[u8; 16], &Entry)> = self.entries.iter().collect();
        entries.sort_by_key(|e| e.0);
        b.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        for (key, e) in entries {
            b.extend_from_slice(key);
            b.extend_from_slice(&e.len.to_le_bytes());
            b.extend_from_slice(&((e.end - e.start) as u32).to_le_bytes());
            for &(id, text, defs) in &self.counts[e.start..e.end] {
                for v in [id, text, defs] {
                    b.extend_from_slice(&v.to_le_bytes());
                }
            }
            b.extend_from_slice(&((e.sync_end - e.sync_start) as u32).to_le_bytes());
            for d in &self.sync[e.sync_start..e.sync_end] {
                b.extend_from_slice(&d.to_le_bytes());
            }
        }
        b
    }
}

/// Reads the bytes of a cache file; `None` if damaged or foreign.
fn decode(bytes: &[u8]) -> Option<Bags> {
    let mut r = Reader(bytes.strip_prefix(MAGIC)?);
    let n_stems = r.u32()? as usize;
    let mut stems = Vec::with_capacity(n_stems.min(r.0.len() / 3));
    for _ in 0..n_stems {
        let len = u16::from_le_bytes(r.take(2)?.try_into().ok()?) as usize;
        stems.push(std::str::from_utf8(r.take(len)?).ok()?.to_string());
    }
    let n_entries = r.u32()? as usize;
    let mut counts = Vec::new();
    let mut sync = Vec::new();
    let mut entries = HashMap::with_capacity(n_entries.min(r.0.len() / 24));
    for _ in 0..n_entries {
        let key: [u8; 16] = r.take(16)?.try_into().ok()?;
        let len = r.u32()?;
        let n = r.u32()? as usize;
        let start = counts.len();
        for _ in 0..n {
            let (id, text, defs) = (r.u32()?, r.u32()?, r.u32()?);
            if id as usize >= n_stems {
                return None;
            }
            counts.push((id, text, defs));
        }
        let end = counts.len();
        let sync_start = sync.len();
        for _ in 0..r.u32()? {
            sync.push(r.u32()?);
        }
        let entry = Entry {
            len,
            start,
            end,
            sync_start,
            sync_end: sync.len(),
        };
        entries.insert(key, entry);
    }
    r.0.is_empty().then_some(Bags {
        stems,
        counts,
        sync,
        entries,
        files: Vec::new(),
    })
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
}

/// Stems of the lowercase subwords seen so far on one thread, numbered in `stems`.
#[derive(Default)]
struct Memo {
    buf: String,
    /// Lowercase subword -> its stem's id, and whether it is a [`SYNC_WORDS`] word.
    of: FastMap<String, (u32, bool)>,
    /// Stem -> id.
    ids: FastMap<String, u32>,
    stems: Vec<String>,
    /// Per local stem id: (text uses, definition uses) in the file being counted.
    counts: FastMap<u32, (u32, u32)>,
}

impl Memo {
    fn stem_id(&mut self, sub: &str) -> (u32, bool) {
        self.buf.clear();
        self.buf.push_str(sub);
        self.buf.make_ascii_lowercase();
        if let Some(&hit) = self.of.get(self.buf.as_str()) {
            return hit;
        }
        let stem = stemmer().stem(&self.buf).into_owned();
        let next = self.stems.len() as u32;
        let id = *self.ids.entry(stem).or_insert_with_key(|s| {
            self.stems.push(s.clone());
            next
        });
        let sync = SYNC_WORDS.contains(&self.buf.as_str());
        self.of.insert(self.buf.clone(), (id, sync));
        (id, sync)
    }

    /// Counts the subwords of `word` and, when it has several, their compound; returns the
    /// number of subwords and whether one is a [`SYNC_WORDS`] word.
    fn count_word(&mut self, word: &str, defs: bool) -> (u32, bool) {
        let mut parts = 0;
        let mut sync = false;
        let mut compound = String::new();
        subwords(word, |s| {
            parts += 1;
            compound.push_str(s);
            let (id, is_sync) = self.stem_id(s);
            sync |= is_sync;
            let c = self.counts.entry(id).or_default();
            if defs {
                c.1 += 1;
            } else {
                c.0 += 1;
            }
        });
        if parts > 1 {
            let (id, _) = self.stem_id(&compound);
            let c = self.counts.entry(id).or_default();
            if defs {
                c.1 += 1;
            } else {
                c.0 += 1;
            }
        }
        (parts, sync)
    }
}

/// The bag of one file: every identifier run of its text (ASCII letters, digits, `_`) and
/// every name it defines.
fn compute(file: &SourceFile, memo: &mut Memo) -> NewBag {
    memo.counts.clear();
    let mut len = 0u32;
    if let Some(facts) = &file.facts {
        for d in &facts.defs {
            memo.count_word(&d.name, true);
        }
    }
    // Lines (1-based, ascending) that use a synchronisation word.
    let mut sync_lines: Vec<u32> = Vec::new();
    if let Some(text) = &file.text {
        let bytes = text.as_bytes();
        let (mut i, mut line) = (0, 1u32);
        while i < bytes.len() {
            if !(bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                line += u32::from(bytes[i] == b'\n');
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let (parts, sync) = memo.count_word(&text[start..i], false);
            len += parts;
            if sync && sync_lines.last() != Some(&line) {
                sync_lines.push(line);
            }
        }
    }
    let sync = match &file.facts {
        Some(facts) => facts
            .defs
            .iter()
            .enumerate()
            .filter(|(_, d)| {
                matches!(d.kind, SymbolKind::Function | SymbolKind::Method) && {
                    let from = sync_lines.partition_point(|&l| l < d.line);
                    sync_lines.get(from).is_some_and(|&l| l <= d.end_line)
                }
            })
            .map(|(i, _)| i as u32)
            .collect(),
        None => Vec::new(),
    };
    let mut terms: Vec<(String, u32, u32)> = memo
        .counts
        .iter()
        .map(|(&id, &(t, d))| (memo.stems[id as usize].clone(), t, d))
        .collect();
    terms.sort_unstable();
    NewBag { len, terms, sync }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::lexical::tests::file;

    fn uses(bags: &Bags, file: usize, stem: &str) -> (u32, u32) {
        match bags.ids_of(&[stem])[0] {
            Some(id) => bags.uses(file, id),
            None => (0, 0),
        }
    }

    #[test]
    fn bags_count_stems_of_subwords_compounds_and_definitions() {
        let files = vec![
            file(
                "a.py",
                "class RateLimiter:\n    def limits(self):\n        return self.rate_limit\n",
            ),
            file("b.rs", "fn other() {}\n"),
            SourceFile {
                path: "README".into(),
                lang: None,
                bytes: 0,
                text: None,
                facts: None,
            },
        ];
        let bags = Bags::load(&files, None);
        // `RateLimiter` (a definition and a use), `limits`, `rate_limit`.
        assert_eq!(uses(&bags, 0, "limit"), (3, 2));
        assert_eq!(uses(&bags, 0, "ratelimit"), (2, 1));
        assert_eq!(uses(&bags, 0, "rate"), (2, 1));
        assert_eq!(uses(&bags, 1, "limit"), (0, 0));
        assert_eq!(uses(&bags, 0, "nowhere"), (0, 0));
        let rate = bags.ids_of(&["rate"])[0];
        assert!(rate.is_some());
        assert_eq!(
            bags.ids_of(&["rate", "nowhere", "rate"]),
            [rate, None, rate]
        );
        // Subwords of the text: class, Rate, Limiter, def, limits, self, return, self, rate, limit.
        assert_eq!(bags.of(0).unwrap().0, 10);
        assert!(bags.of(2).is_none());
    }

    #[test]
    fn bags_list_the_functions_whose_bodies_synchronise() {
        let src = "import threading\n\n\ndef plain(x):\n    return x\n\n\ndef guarded(self):\n    with self._lock:\n        pass\n\n\nclass Pool:\n    def take(self):\n        self.sem.acquire()\n\n    def size(self):\n        return 1\n";
        let files = vec![file("p.py", src)];
        let bags = Bags::load(&files, None);
        let defs = &files[0].facts.as_ref().unwrap().defs;
        let names: Vec<&str> = bags
            .synchronising(0)
            .iter()
            .map(|&d| defs[d as usize].name.as_str())
            .collect();
        assert_eq!(
            names,
            ["guarded", "take"],
            "classes and plain functions are not listed"
        );
    }

    #[test]
    fn bags_persist_by_content_and_a_damaged_file_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let one = vec![file("a.py", "def tick(clock):\n    clock.advance()\n")];
        let first = Bags::load(&one, Some(dir.path()));
        let written = std::fs::read(dir.path().join("bags.bin")).unwrap();
        // Another tree: the old entry stays, the new one is added.
        let two = vec![
            file("b.py", "def tock():\n    pass\n"),
            file("c/a.py", "def tick(clock):\n    clock.advance()\n"),
        ];
        let second = Bags::load(&two, Some(dir.path()));
        assert_eq!(uses(&second, 1, "clock"), uses(&first, 0, "clock"));
        assert_eq!(uses(&second, 1, "clock"), (2, 0));
        assert_eq!(uses(&second, 0, "tock"), (1, 1));
        // A warm load computes nothing: the file is not rewritten.
        let before = std::fs::read(dir.path().join("bags.bin")).unwrap();
        assert!(before.len() > written.len());
        let again = Bags::load(&two, Some(dir.path()));
        assert_eq!(std::fs::read(dir.path().join("bags.bin")).unwrap(), before);
        assert_eq!(uses(&again, 0, "tock"), (1, 1));
        let locked = vec![file("d.py", "def f(m):\n    m.lock()\n")];
        Bags::load(&locked, Some(dir.path()));
        assert_eq!(Bags::load(&locked, Some(dir.path())).synchronising(0), [0]);
        for damaged in [
            &before[..before.len() - 1],
            b"RBB1\xff\xff\xff\xff",
            b"nope",
        ] {
            assert!(decode(damaged).is_none());
        }
    }
}
