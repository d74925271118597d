//! Lexical relevance: the query's terms (from `query.rs`) and the walked files in; a BM25F
//! score per file out, with IDF computed over the repository, and per-definition scores for
//! the outlines that keep relevant bodies.
//!
//! Each file is a document of three fields: its path (split on `/ _ - .` and camelCase,
//! case-insensitive), the names it defines, and its text (identifiers, comments, docstrings,
//! strings). A term's frequency is `path weight * in path + definition weight * in
//! definitions + in text / length norm` ([`FieldWeights`]), saturated BM25-style (`k1`), times the term's IDF
//! `ln(1 + (N - df + 0.5) / (df + 0.5))` over the `N` files of the repository and the term's
//! weight in the query. A term most files use (`new`, `self`, `state`) thus adds next to
//! nothing; a term few files use and the query repeats dominates. Path-only terms (a commit
//! subject's `area:` prefix) count in the path field alone.
//!
//! The text and definition counts come from each file's term bag (`bags.rs`: every stem's
//! uses, computed once per file content and cached), so a warm pack neither stems nor scans
//! the sources; only paths are scanned per query. To find the bodies worth keeping in
//! outlines, the text of the best-ranked files is scanned with line numbers, a subword
//! stemmed only when its first two letters begin some query stem (a 64 Kibit filter). Files
//! are scored in parallel; the results are in file order, so the scores are deterministic.

use std::path::Path;

use rayon::prelude::*;

use super::bags::Bags;
use super::query::{stem, subwords, Query, TermScope};
use crate::codegraph::graph::FastMap;
use crate::codegraph::walk::SourceFile;
use crate::codegraph::SymbolKind;

/// BM25's saturation constant.
const K1: f64 = 1.2;
/// BM25's length normalisation strength.
const B: f64 = 0.75;

/// How much a use of a term in a file's path and in the names it defines counts, against 1
/// for a use in its text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldWeights {
    /// A use in the path.
    pub path: f64,
    /// A use in a definition's name (on top of its use in the text).
    pub defs: f64,
}

impl FieldWeights {
    /// refbench's ranking: a path names what a file is about, a definition what it provides.
    pub const RANKING: FieldWeights = FieldWeights {
        path: 5.0,
        defs: 2.0,
    };
    /// Plain BM25 over the whole file (its path read as one more line of it).
    pub const PLAIN: FieldWeights = FieldWeights {
        path: 1.0,
        defs: 0.0,
    };
}

/// The term a subword is when matched anywhere, and when matched in paths only.
type TermPair = (Option<u16>, Option<u16>);

/// The query's terms, indexed for scanning.
#[derive(Debug)]
pub struct Vocab {
    /// Stems, weights and scopes by term index.
    terms: Vec<(String, f64, TermScope)>,
    /// Stem -> (term matched anywhere, term matched in paths only).
    index: FastMap<String, TermPair>,
    /// Bit per two-letter lowercase prefix of some stem.
    prefixes: Vec<u64>,
}

fn prefix_key(a: u8, b: u8) -> usize {
    ((a.to_ascii_lowercase() as usize) << 8) | b.to_ascii_lowercase() as usize
}

impl Vocab {
    /// The terms of `query` (at most `u16::MAX`).
    pub fn new(query: &Query) -> Vocab {
        let mut index: FastMap<String, TermPair> = FastMap::default();
        let mut prefixes = vec![0u64; 1024];
        let mut terms = Vec::new();
        for (i, t) in query.terms.iter().take(u16::MAX as usize).enumerate() {
            let slot = index.entry(t.stem.clone()).or_default();
            match t.scope {
                TermScope::Anywhere => slot.0 = Some(i as u16),
                TermScope::PathOnly => slot.1 = Some(i as u16),
            }
            let b = t.stem.as_bytes();
            let k = prefix_key(b[0], b[1]);
            prefixes[k / 64] |= 1 << (k % 64);
            terms.push((t.stem.clone(), t.weight, t.scope));
        }
        Vocab {
            terms,
            index,
            prefixes,
        }
    }

    /// Number of terms.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Whether there are no terms.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The stem of term `t`.
    pub fn stem(&self, t: u16) -> &str {
        &self.terms[t as usize].0
    }

    fn may_match(&self, sub: &[u8]) -> bool {
        let k = prefix_key(sub[0], sub[1]);
        self.prefixes[k / 64] & (1 << (k % 64)) != 0
    }

    /// The (anywhere, path-only) terms of a subword, if it is one of the query's. Stems are
    /// remembered in `scratch`: code repeats its identifiers, and stemming is the costly part.
    fn lookup(&self, sub: &str, scratch: &mut Scratch) -> Option<TermPair> {
        if !self.may_match(sub.as_bytes()) {
            return None;
        }
        let buf = &mut scratch.buf;
        buf.clear();
        buf.push_str(sub);
        buf.make_ascii_lowercase();
        if let Some(&hit) = scratch.memo.get(buf.as_str()) {
            return hit;
        }
        let stemmed = super::query::stemmer().stem(buf);
        let hit = self.index.get(stemmed.as_ref()).copied();
        scratch.memo.insert(buf.clone(), hit);
        hit
    }

    /// Calls `f(term, line)` for every use of an anywhere-term in `text` (lines 1-based), and
    /// returns the number of subwords in it.
    fn scan_text(&self, text: &str, scratch: &mut Scratch, mut f: impl FnMut(u16, u32)) -> u32 {
        let bytes = text.as_bytes();
        let (mut i, mut line, mut count) = (0, 1u32, 0u32);
        while i < bytes.len() {
            let c = bytes[i];
            if !(c.is_ascii_alphanumeric() || c == b'_') {
                line += u32::from(c == b'\n');
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let word = &text[start..i];
            let mut parts = 0;
            let mut first: Option<&str> = None;
            subwords(word, |s| {
                parts += 1;
                first.get_or_insert(s);
                if let Some((Some(t), _)) = self.lookup(s, scratch) {
                    f(t, line);
                }
            });
            count += parts;
            if parts > 1 && first.is_some_and(|s| self.may_match(s.as_bytes())) {
                let compound: String = {
                    let mut c = String::with_capacity(word.len());
                    subwords(word, |s| c.push_str(s));
                    c
                };
                if let Some((Some(t), _)) = self.lookup(&compound, scratch) {
                    f(t, line);
                }
            }
        }
        count
    }

    /// Calls `f(anywhere, path_only)` for each subword (and compound) of `name`.
    fn scan_name(
        &self,
        name: &str,
        scratch: &mut Scratch,
        mut f: impl FnMut(Option<u16>, Option<u16>),
    ) {
        let mut compound = String::new();
        let mut parts = 0;
        subwords(name, |s| {
            parts += 1;
            compound.push_str(s);
            if let Some((a, p)) = self.lookup(s, scratch) {
                f(a, p);
            }
        });
        if parts > 1 {
            if let Some((a, p)) = self.lookup(&compound, scratch) {
                f(a, p);
            }
        }
    }
}

/// Reused buffers of a scan: the lowercased subword, and what each lowercased subword seen
/// so far stems to (its terms, or none).
#[derive(Debug, Default)]
struct Scratch {
    buf: String,
    memo: FastMap<String, Option<TermPair>>,
}

/// Term counts of one file: (term, in path, in definitions, in text).
#[derive(Debug, Default, Clone)]
struct FileCounts {
    terms: Vec<(u16, f32, f32, f32)>,
    /// Subwords of its text.
    len: u32,
}

fn bump(terms: &mut Vec<(u16, f32, f32, f32)>, t: u16, field: usize, uses: f32) {
    let i = match terms.iter().position(|e| e.0 == t) {
        Some(i) => i,
        None => {
            terms.push((t, 0.0, 0.0, 0.0));
            terms.len() - 1
        }
    };
    match field {
        0 => terms[i].1 += uses,
        1 => terms[i].2 += uses,
        _ => terms[i].3 += uses,
    }
}

/// Term counts of file `i`: its path scanned now, its text and definitions from its bag
/// (`by_id`: the anywhere-terms with their bag stem ids, sorted by id, merged with the bag's
/// counts, which are sorted by id too).
fn count_file(
    vocab: &Vocab,
    files: &[SourceFile],
    i: usize,
    bags: &Bags,
    by_id: &[(u32, u16)],
    scratch: &mut Scratch,
) -> FileCounts {
    let mut c = FileCounts::default();
    if let Some((len, counts)) = bags.of(i) {
        c.len = len;
        let mut k = 0;
        for &(id, t) in by_id {
            while k < counts.len() && counts[k].0 < id {
                k += 1;
            }
            match counts.get(k) {
                Some(&(cid, text, defs)) if cid == id => {
                    c.terms.push((t, 0.0, defs as f32, text as f32));
                }
                Some(_) => {}
                None => break,
            }
        }
    }
    for piece in files[i].path.split(['/', '.', '-']) {
        vocab.scan_name(piece, scratch, |a, p| {
            for t in [a, p].into_iter().flatten() {
                bump(&mut c.terms, t, 0, 1.0);
            }
        });
    }
    c.terms.sort_unstable_by_key(|e| e.0);
    c
}

/// Lexical relevance of every file to a query.
#[derive(Debug)]
pub struct Lexical {
    /// The query's terms.
    pub vocab: Vocab,
    /// IDF per term over the repository's files.
    pub idf: Vec<f64>,
    /// BM25F score per file (file order); 0 for no match.
    pub scores: Vec<f64>,
    /// Per file, the terms that add most to its score (up to three, best first).
    pub top_terms: Vec<Vec<u16>>,
    /// The files' term bags (empty when the query has no terms).
    pub bags: Bags,
}

fn saturate(tf: f64) -> f64 {
    tf * (K1 + 1.0) / (tf + K1)
}

impl Lexical {
    /// Scores `files` for `query` with the ranking's field weights; the files' term bags
    /// cached in `bag_cache` (see `bags.rs`) when given.
    pub fn score(query: &Query, files: &[SourceFile], bag_cache: Option<&Path>) -> Lexical {
        Lexical::score_with(query, files, bag_cache, FieldWeights::RANKING)
    }

    /// Scores `files` for `query` with `fields`.
    pub fn score_with(
        query: &Query,
        files: &[SourceFile],
        bag_cache: Option<&Path>,
        fields: FieldWeights,
    ) -> Lexical {
        let vocab = Vocab::new(query);
        let n = files.len();
        if vocab.is_empty() || n == 0 {
            return Lexical {
                idf: vec![0.0; vocab.len()],
                vocab,
                scores: vec![0.0; n],
                top_terms: vec![Vec::new(); n],
                bags: Bags::default(),
            };
        }
        let bags = Bags::load(files, bag_cache);
        let stems: Vec<&str> = vocab.terms.iter().map(|t| t.0.as_str()).collect();
        let mut by_id: Vec<(u32, u16)> = bags
            .ids_of(&stems)
            .into_iter()
            .zip(&vocab.terms)
            .enumerate()
            .filter_map(|(t, (id, term))| {
                id.filter(|_| term.2 == TermScope::Anywhere)
                    .map(|id| (id, t as u16))
            })
            .collect();
        by_id.sort_unstable();
        let counts: Vec<FileCounts> = (0..n)
            .into_par_iter()
            .map_init(Scratch::default, |scratch, i| {
                count_file(&vocab, files, i, &bags, &by_id, scratch)
            })
            .collect();
        let texts = files.iter().filter(|f| f.text.is_some()).count().max(1);
        let avg_len = counts.iter().map(|c| c.len as f64).sum::<f64>() / texts as f64;
        let mut df = vec![0usize; vocab.len()];
        for c in &counts {
            for e in &c.terms {
                df[e.0 as usize] += 1;
            }
        }
        let idf: Vec<f64> = df
            .iter()
            .map(|&d| (1.0 + (n as f64 - d as f64 + 0.5) / (d as f64 + 0.5)).ln())
            .collect();
        let mut scores = Vec::with_capacity(n);
        let mut top_terms = Vec::with_capacity(n);
        for c in &counts {
            let norm = 1.0 - B + B * (c.len as f64 / avg_len.max(1.0));
            let mut parts: Vec<(f64, u16)> = c
                .terms
                .iter()
                .map(|&(t, path, def, body)| {
                    let (_, qw, scope) = &vocab.terms[t as usize];
                    let tf = match scope {
                        TermScope::PathOnly => fields.path * path as f64,
                        TermScope::Anywhere => {
                            fields.path * path as f64
                                + fields.defs * def as f64
                                + body as f64 / norm
                        }
                    };
                    (qw * idf[t as usize] * saturate(tf), t)
                })
                .collect();
            scores.push(parts.iter().map(|p| p.0).sum());
            parts.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            top_terms.push(
                parts
                    .iter()
                    .filter(|p| p.0 > 0.0)
                    .take(3)
                    .map(|p| p.1)
                    .collect(),
            );
        }
        Lexical {
            vocab,
            idf,
            scores,
            top_terms,
            bags,
        }
    }

    /// Relevance of each of `file`'s definitions (in `facts.defs` order) to the query: the
    /// BM25 sum over the terms its lines use (saturated, IDF-weighted), for functions and
    /// methods; 0 for other kinds and for files without facts.
    pub fn def_scores(&self, file: &SourceFile) -> Vec<f64> {
        self.def_scores_with(file, &mut Scratch::default())
    }

    /// [`Lexical::def_scores`] of each of `files`, sharing what the scans learn.
    pub fn def_scores_of(&self, files: &[&SourceFile]) -> Vec<Vec<f64>> {
        let mut scratch = Scratch::default();
        files
            .iter()
            .map(|f| self.def_scores_with(f, &mut scratch))
            .collect()
    }

    fn def_scores_with(&self, file: &SourceFile, scratch: &mut Scratch) -> Vec<f64> {
        let (Some(facts), Some(text)) = (&file.facts, &file.text) else {
            return Vec::new();
        };
        let mut hits: Vec<(u32, u16)> = Vec::new();
        if !self.vocab.is_empty() {
            self.vocab
                .scan_text(text, scratch, |t, line| hits.push((line, t)));
        }
        let mut tf = vec![0.0f64; self.vocab.len()];
        facts
            .defs
            .iter()
            .map(|d| {
                if !matches!(d.kind, SymbolKind::Function | SymbolKind::Method) {
                    return 0.0;
                }
                tf.iter_mut().for_each(|x| *x = 0.0);
                let from = hits.partition_point(|h| h.0 < d.line);
                for &(line, t) in &hits[from..] {
                    if line > d.end_line {
                        break;
                    }
                    tf[t as usize] += 1.0;
                }
                tf.iter()
                    .enumerate()
                    .filter(|(_, &x)| x > 0.0)
                    .map(|(t, &x)| self.vocab.terms[t].1 * self.idf[t] * saturate(x))
                    .sum()
            })
            .collect()
    }
}

/// The stem of a word as the query and the scan see it (for tests and callers).
pub fn term_of(word: &str) -> String {
    stem(&word.to_ascii_lowercase())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::catalog::Language as Lang;
    use crate::codegraph::parse::extract;

    /// A loaded source of `text` at `path`, parsed when its language is known.
    pub(crate) fn file(path: &str, text: &str) -> SourceFile {
        let lang = crate::lang::language_of_path(path);
        SourceFile {
            path: path.into(),
            lang,
            bytes: text.len() as u64,
            text: Some(text.into()),
            facts: lang.map(|l| extract(l, text)),
        }
    }

    fn score_of(lex: &Lexical, files: &[SourceFile], path: &str) -> f64 {
        lex.scores[files.iter().position(|f| f.path == path).unwrap()]
    }

    #[test]
    fn idf_makes_words_every_file_uses_count_for_little() {
        // `new` and `state` are in every file; `ledger` in one.
        let mut files: Vec<SourceFile> = (0..20)
            .map(|i| {
                file(
                    &format!("src/m{i}.rs"),
                    "pub fn new() -> State { State::new() }\n",
                )
            })
            .collect();
        files.push(file(
            "src/books.rs",
            "pub fn new() -> State { State::new() }\n// the ledger\n",
        ));
        let lex = Lexical::score(&Query::parse("new state ledger"), &files, None);
        let idf = |w: &str| {
            let t = (0..lex.vocab.len() as u16)
                .find(|&t| lex.vocab.stem(t) == term_of(w))
                .unwrap();
            lex.idf[t as usize]
        };
        assert!(idf("new") < idf("ledger") / 5.0, "{:?}", lex.idf);
        assert!(idf("state") < idf("ledger") / 5.0, "{:?}", lex.idf);
        let top = score_of(&lex, &files, "src/books.rs");
        assert!(top > 3.0 * score_of(&lex, &files, "src/m0.rs"));
    }

    #[test]
    fn paths_match_case_insensitively_split_on_separators_and_camel_case() {
        let files = vec![
            file("src/Windows.rs", "fn a() {}\n"),
            file("src/rate_limit/mod.rs", "fn b() {}\n"),
            file("src/HttpClient.py", "x = 1\n"),
            file("src/other.rs", "fn c() {}\n"),
        ];
        let lex = Lexical::score(&Query::parse("windows rate limit client"), &files, None);
        assert!(score_of(&lex, &files, "src/Windows.rs") > 0.0);
        assert!(score_of(&lex, &files, "src/rate_limit/mod.rs") > 0.0);
        assert!(score_of(&lex, &files, "src/HttpClient.py") > 0.0);
        assert_eq!(score_of(&lex, &files, "src/other.rs"), 0.0);
        // A `ratelimit` compound in the query meets `rate_limit` in a path too.
        let lex = Lexical::score(&Query::parse("the RateLimit type"), &files, None);
        assert!(score_of(&lex, &files, "src/rate_limit/mod.rs") > 0.0);
    }

    #[test]
    fn path_hints_match_paths_only() {
        let files = vec![
            file("src/time/driver.rs", "fn tick() {}\n"),
            file(
                "src/net/tcp.rs",
                "// time out the connection\nfn time() {}\n",
            ),
        ];
        let lex = Lexical::score(&Query::parse("time: fix the tick"), &files, None);
        assert!(
            score_of(&lex, &files, "src/time/driver.rs") > score_of(&lex, &files, "src/net/tcp.rs")
        );
    }

    #[test]
    fn definitions_score_by_the_query_terms_their_bodies_use() {
        let src = "def refill(bucket):\n    bucket.tokens = bucket.capacity\n\n\ndef unrelated():\n    return 1\n\n\nclass Bucket:\n    def drain(self):\n        self.tokens -= 1\n";
        let files = vec![file("a.py", src), file("b.py", "x = 1\n")];
        let lex = Lexical::score(&Query::parse("bucket tokens"), &files, None);
        let s = lex.def_scores(&files[0]);
        let defs = &files[0].facts.as_ref().unwrap().defs;
        let by_name = |n: &str| s[defs.iter().position(|d| d.name == n).unwrap()];
        assert!(by_name("refill") > 0.0);
        assert!(by_name("drain") > 0.0);
        assert_eq!(by_name("unrelated"), 0.0);
        assert_eq!(by_name("Bucket"), 0.0, "classes are not bodies to keep");
        assert_eq!(files[0].lang, Some(Lang::Python));
    }

    #[test]
    fn cached_bags_count_what_a_scan_of_the_text_counts() {
        let files = vec![
            file(
                "src/rate_limit.rs",
                "pub struct RateLimiter { tokens: u32 }\nimpl RateLimiter {\n    pub fn try_acquire(&mut self) -> bool { self.tokens > 0 }\n}\n// Limits per HTTPServer\n",
            ),
            file(
                "app/limits.py",
                "class Limits:\n    def acquire_token(self):\n        return rate_limit(self)\n",
            ),
        ];
        let q = Query::parse("time: `RateLimiter` limits tokens acquire the HTTP server time");
        let vocab = Vocab::new(&q);
        let bags = Bags::load(&files, None);
        let stems: Vec<&str> = vocab.terms.iter().map(|t| t.0.as_str()).collect();
        let ids = bags.ids_of(&stems);
        let mut checked = 0;
        for (i, f) in files.iter().enumerate() {
            let mut scratch = Scratch::default();
            let mut text = vec![0u32; vocab.len()];
            let len = vocab.scan_text(f.text.as_deref().unwrap(), &mut scratch, |t, _| {
                text[t as usize] += 1
            });
            let mut defs = vec![0u32; vocab.len()];
            for d in &f.facts.as_ref().unwrap().defs {
                vocab.scan_name(&d.name, &mut scratch, |a, _| {
                    if let Some(t) = a {
                        defs[t as usize] += 1;
                    }
                });
            }
            assert_eq!(bags.of(i).unwrap().0, len, "{}", f.path);
            for (t, id) in ids.iter().enumerate() {
                let (bt, bd) = id.map(|id| bags.uses(i, id)).unwrap_or((0, 0));
                assert_eq!((bt, bd), (text[t], defs[t]), "{} {}", f.path, stems[t]);
                checked += (bt + bd) as usize;
            }
        }
        assert!(checked > 10, "the terms occur: {checked}");
    }
}
