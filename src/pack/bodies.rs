//! What an outline keeps beyond its definitions' lines. In: the files and their ranking (the
//! query's lexical relevance, the term bags' synchronising functions). Out, per file: the
//! definitions whose whole bodies are worth keeping (the most relevant to the task, and those
//! that synchronise threads), best first; and the lock and atomic lines of its synchronising
//! functions, which every outline form keeps under a function it shows.

use super::bags::SYNC_WORDS;
use super::query::subwords;
use super::rank::Ranking;
use crate::codegraph::walk::SourceFile;

/// A definition's body is kept in an outline when its relevance is at least this share of the
/// best definition's among the files outlined.
const BODY_BAR: f64 = 0.3;
/// Added to a function's relevance (a share of the best one's) when its body synchronises
/// threads: code that takes locks or touches atomics is where a refactor that moves code
/// around breaks things, so its body is worth showing even when the task does not name it.
const SYNC_BONUS: f64 = 0.5;
/// Files whose definitions are scored for bodies, beyond those in full.
const BODY_CANDIDATES: usize = 50;

/// What a file's outline keeps beyond headers: the bodies of these definitions (indexes into
/// its `facts.defs`), best first.
pub(crate) type Bodies = Vec<usize>;

/// What each file's outline keeps beyond its definitions' lines (by file index): the bodies
/// worth keeping ([`choose_bodies`]) and the lock and atomic lines of its synchronising
/// functions ([`sync_lines`]).
pub(crate) struct Kept {
    /// Definitions whose whole bodies are kept, best first.
    pub(crate) bodies: Vec<Bodies>,
    /// (definition, line) of each lock or atomic line kept.
    pub(crate) sync: Vec<Vec<(u32, u32)>>,
}

impl Kept {
    /// What the outlines of `files` keep for the task of `ranking`.
    pub(crate) fn of(files: &[SourceFile], ranking: &Ranking) -> Kept {
        Kept {
            bodies: choose_bodies(files, ranking),
            sync: sync_lines(files, ranking),
        }
    }
}

/// The bodies worth keeping in each file's outline (by file index): definitions whose
/// relevance to the query reaches [`BODY_BAR`] of the best among the first
/// [`BODY_CANDIDATES`] ranked files, best first.
fn choose_bodies(files: &[SourceFile], ranking: &Ranking) -> Vec<Bodies> {
    let mut out = vec![Bodies::new(); files.len()];
    if ranking.lexical.vocab.is_empty() {
        return out;
    }
    let candidates: Vec<usize> = ranking
        .ranked
        .iter()
        .take(BODY_CANDIDATES)
        .map(|r| r.file)
        .collect();
    let of: Vec<&SourceFile> = candidates.iter().map(|&f| &files[f]).collect();
    let scored: Vec<(usize, Vec<f64>)> = candidates
        .iter()
        .copied()
        .zip(ranking.lexical.def_scores_of(&of))
        .collect();
    // Relevance as a share of the best function's (bodies that only synchronise still count
    // when no function uses the query's terms).
    let best = scored
        .iter()
        .flat_map(|(_, s)| s.iter().copied())
        .fold(0.0, f64::max);
    let best = if best > 0.0 { best } else { 1.0 };
    for (file, mut scores) in scored {
        let sync = ranking.lexical.bags.synchronising(file);
        for (d, s) in scores.iter_mut().enumerate() {
            *s /= best;
            if sync.binary_search(&(d as u32)).is_ok() {
                *s += SYNC_BONUS;
            }
        }
        let mut keep: Vec<usize> = (0..scores.len())
            .filter(|&d| scores[d] >= BODY_BAR)
            .collect();
        keep.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        out[file] = keep;
    }
    out
}

/// The lock and atomic lines (a [`SYNC_WORDS`] word in them) of the synchronising functions
/// of the first [`BODY_CANDIDATES`] ranked files, as (definition, line) by file index.
fn sync_lines(files: &[SourceFile], ranking: &Ranking) -> Vec<Vec<(u32, u32)>> {
    let mut out = vec![Vec::new(); files.len()];
    for r in ranking.ranked.iter().take(BODY_CANDIDATES) {
        let file = &files[r.file];
        let (Some(facts), Some(text)) = (&file.facts, &file.text) else {
            continue;
        };
        let defs = ranking.lexical.bags.synchronising(r.file);
        if defs.is_empty() {
            continue;
        }
        let lines: Vec<&str> = text.lines().collect();
        for &d in defs {
            let Some(def) = facts.defs.get(d as usize) else {
                continue;
            };
            let body = (def.sig_end.max(def.line) as usize + 1)..=(def.end_line as usize);
            for l in body.filter(|&l| l <= lines.len()) {
                if uses_sync_word(lines[l - 1]) {
                    out[r.file].push((d, l as u32));
                }
            }
        }
    }
    out
}

/// Whether `line` has an identifier one of whose subwords is a [`SYNC_WORDS`] word.
fn uses_sync_word(line: &str) -> bool {
    line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|word| {
            let mut hit = false;
            subwords(word, |s| {
                hit |= SYNC_WORDS.iter().any(|w| s.eq_ignore_ascii_case(w));
            });
            hit
        })
}
