//! Reading a task's text for ranking: any text in (a task statement, a commit message, an
//! issue), a [`Query`] out: weighted search terms, the code names it spells, the paths and
//! module paths it mentions, and path hints.
//!
//! - **Terms** are the subwords of its words (split on `_` and camelCase, lowercased, English
//!   stems: `RateLimiter` gives `rate`, `limit` and the compound `ratelimit`), weighted by how
//!   often the text uses them (sublinearly). English function words are dropped, and the words
//!   that describe the edit rather than the code (`rename`, `move`, `extract`, `refactor`, ...)
//!   weigh a fifth: they say what to do, not where. How much a term counts in the end is up to
//!   its rarity in the repository (IDF, in `lexical.rs`), so `new` or `state` count for little
//!   wherever they are common.
//! - **Code names**: words written as code (backticks, `snake_case`, `camelCase`, `a::b`,
//!   `a.b`, `f(`) are also kept as spelled; the ranking seeds the files that define them.
//!   Words of plain prose are not taken for names.
//! - **Path mentions**: `src/ratelimit.rs`, `ledger.py`, `CHANGES.rst`, `app.auth.service`,
//!   `auth::service` (matched against file paths case-insensitively, at `/` boundaries).
//! - **Path hints**: a commit-subject prefix such as `time:` or `net/tcp, io:` names folders
//!   or modules; its parts become terms that match paths only, at twice the weight.

use std::collections::{BTreeMap, BTreeSet};

/// Where a query term may match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TermScope {
    /// Paths, definitions and text alike.
    Anywhere,
    /// File paths only (a commit subject's `area:` prefix).
    PathOnly,
}

/// One weighted search term.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryTerm {
    /// The lowercased English stem (`limiter` -> `limit`).
    pub stem: String,
    /// Weight from the text alone (repetition, code-likeness, instruction words).
    pub weight: f64,
    /// Where it may match.
    pub scope: TermScope,
}

/// A task's text, read for ranking.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Search terms, sorted by (stem, scope).
    pub terms: Vec<QueryTerm>,
    /// Identifiers written as code, as spelled (`AuthService`, `try_acquire`).
    pub code_names: BTreeSet<String>,
    /// Mentioned paths and file names, lowercased, `/`-separated (`src/ratelimit.rs`).
    pub paths: BTreeSet<String>,
    /// Mentioned module paths, lowercased, `/`-separated (`app/auth/service`).
    pub modules: BTreeSet<String>,
}

/// English function words: they say nothing about where code is.
const STOPWORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any",
    "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both",
    "but", "by", "can", "could", "did", "do", "does", "doing", "done", "down", "during", "each",
    "either", "else", "etc", "even", "ever", "every", "few", "for", "from", "further", "had",
    "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how", "however", "i",
    "ie", "eg", "if", "in", "into", "is", "it", "its", "itself", "just", "may", "me", "might",
    "more", "most", "much", "must", "my", "no", "nor", "not", "now", "of", "off", "on", "once",
    "one", "only", "or", "other", "our", "ours", "out", "over", "own", "per", "same", "shall",
    "she", "should", "since", "so", "some", "still", "such", "than", "that", "the", "their",
    "theirs", "them", "then", "there", "these", "they", "this", "those", "though", "through",
    "thus", "to", "too", "under", "until", "up", "upon", "us", "very", "via", "was", "we", "were",
    "what", "when", "where", "whether", "which", "while", "who", "whom", "whose", "why", "will",
    "with", "within", "without", "would", "yet", "you", "your", "yours",
];

/// Words that describe the edit or the task rather than the code's location.
const INSTRUCTION_WORDS: &[&str] = &[
    "add",
    "added",
    "adds",
    "adding",
    "allow",
    "bump",
    "change",
    "changes",
    "changed",
    "cleanup",
    "consolidate",
    "consolidates",
    "create",
    "creates",
    "delete",
    "deletes",
    "deprecate",
    "existing",
    "extract",
    "extracts",
    "fix",
    "fixes",
    "fixed",
    "implement",
    "improve",
    "instead",
    "introduce",
    "introduces",
    "keep",
    "keeps",
    "make",
    "makes",
    "merge",
    "merges",
    "move",
    "moves",
    "moved",
    "need",
    "needs",
    "new",
    "place",
    "refactor",
    "refactors",
    "refactored",
    "refactoring",
    "remove",
    "removes",
    "removed",
    "rename",
    "renames",
    "renamed",
    "replace",
    "replaces",
    "rework",
    "rewrite",
    "simplify",
    "split",
    "splits",
    "support",
    "update",
    "updates",
    "use",
    "used",
    "uses",
    "using",
];

/// Weight of an instruction word.
const INSTRUCTION_WEIGHT: f64 = 0.2;
/// Weight of a word written as code, against 1 for prose.
const CODE_WEIGHT: f64 = 1.5;
/// Weight of a compound of a multi-part identifier (`ratelimit` of `RateLimiter`).
const COMPOUND_WEIGHT: f64 = 0.5;
/// Weight of a path hint term, matched on paths only.
const HINT_WEIGHT: f64 = 2.0;

/// The English stemmer, shared.
pub(crate) fn stemmer() -> &'static rust_stemmers::Stemmer {
    static STEMMER: std::sync::OnceLock<rust_stemmers::Stemmer> = std::sync::OnceLock::new();
    STEMMER.get_or_init(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English))
}

/// Calls `f` with each subword of an identifier-like word (ASCII letters, digits, `_`):
/// split at `_`, at a lower-to-upper case change and before the last capital of a run of
/// capitals followed by a lowercase letter (`HTTPServer` -> `HTTP`, `Server`), and between
/// letters and digits. Subwords of one character and numbers are skipped.
pub fn subwords<'w>(word: &'w str, mut f: impl FnMut(&'w str)) {
    let b = word.as_bytes();
    let mut start = 0;
    let emit = |s: usize, e: usize, f: &mut dyn FnMut(&'w str)| {
        if e > s + 1 && !b[s..e].iter().all(u8::is_ascii_digit) {
            f(&word[s..e]);
        }
    };
    for i in 0..b.len() {
        let c = b[i];
        if c == b'_' {
            emit(start, i, &mut f);
            start = i + 1;
            continue;
        }
        if i == start {
            continue;
        }
        let p = b[i - 1];
        let split = (p.is_ascii_lowercase() && c.is_ascii_uppercase())
            || (p.is_ascii_uppercase()
                && c.is_ascii_uppercase()
                && b.get(i + 1).is_some_and(u8::is_ascii_lowercase))
            || (p.is_ascii_digit() != c.is_ascii_digit());
        if split {
            emit(start, i, &mut f);
            start = i;
        }
    }
    emit(start, b.len(), &mut f);
}

/// The stem of a lowercase subword.
pub fn stem(lower: &str) -> String {
    stemmer().stem(lower).into_owned()
}

/// The lowercase stems of `word`'s subwords and, when it has several, of their compound.
pub fn word_stems(word: &str) -> Vec<String> {
    let mut parts = Vec::new();
    subwords(word, |s| parts.push(s.to_ascii_lowercase()));
    let mut out: Vec<String> = parts.iter().map(|p| stem(p)).collect();
    if parts.len() > 1 {
        out.push(stem(&parts.concat()));
    }
    out
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Whether a word reads as code: `snake_case`, `camelCase`/`CamelCase` with an inner capital,
/// or digits among letters.
fn looks_like_code(word: &str) -> bool {
    let b = word.as_bytes();
    word.trim_matches('_').contains('_')
        || b.iter().skip(1).any(u8::is_ascii_uppercase) && b.iter().any(u8::is_ascii_lowercase)
}

impl Query {
    /// Reads `text`.
    pub fn parse(text: &str) -> Query {
        let mut weights: BTreeMap<(String, TermScope), f64> = BTreeMap::new();
        let mut code_names = BTreeSet::new();
        let mut add = |stem: String, w: f64, scope: TermScope| {
            if stem.len() >= 2 {
                *weights.entry((stem, scope)).or_default() += w;
            }
        };
        for hint in subject_hints(text) {
            for part in hint.split(['/', '-', '.']) {
                subwords(part, |s| {
                    add(
                        stem(&s.to_ascii_lowercase()),
                        HINT_WEIGHT,
                        TermScope::PathOnly,
                    )
                });
            }
        }
        let bytes = text.as_bytes();
        let mut in_backticks = false;
        // The end of the last word and its lowercase form, when it was one plain subword.
        let mut previous: Option<(usize, String)> = None;
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            if c == b'`' {
                in_backticks = !in_backticks;
                i += 1;
                continue;
            }
            if !is_ident_byte(c) {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && is_ident_byte(bytes[i]) {
                i += 1;
            }
            let word = &text[start..i];
            let before = text[..start].chars().next_back();
            let after = &text[i..];
            let joined = matches!(before, Some('.') | Some(':'))
                && text[..start - 1]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == ':' || c == '_')
                || after.starts_with("::")
                || after.starts_with('(')
                || (after.starts_with('.')
                    && after[1..]
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_'));
            let code = in_backticks || joined || looks_like_code(word);
            if code && word.len() >= 3 && !word.bytes().all(|b| b.is_ascii_digit()) {
                code_names.insert(word.to_string());
            }
            let base = if code { CODE_WEIGHT } else { 1.0 };
            let mut parts = Vec::new();
            subwords(word, |s| parts.push(s.to_ascii_lowercase()));
            for p in &parts {
                if STOPWORDS.contains(&p.as_str()) {
                    continue;
                }
                let w = if INSTRUCTION_WORDS.contains(&p.as_str()) {
                    base * INSTRUCTION_WEIGHT
                } else {
                    base
                };
                add(stem(p), w, TermScope::Anywhere);
            }
            if parts.len() > 1 {
                add(
                    stem(&parts.concat()),
                    base * COMPOUND_WEIGHT,
                    TermScope::Anywhere,
                );
            }
            // Two words joined by one space or hyphen (`dead-letter`, `rate limit`) may be
            // one name in the code (`deadletter.rs`, `RateLimit`).
            let joined_to_last = previous
                .as_ref()
                .is_some_and(|(end, _)| start == end + 1 && matches!(bytes[*end], b' ' | b'-'));
            if let (true, Some((_, last)), [single]) = (joined_to_last, &previous, &parts[..]) {
                if !STOPWORDS.contains(&single.as_str()) {
                    add(
                        stem(&format!("{last}{single}")),
                        COMPOUND_WEIGHT,
                        TermScope::Anywhere,
                    );
                }
            }
            previous = match &parts[..] {
                [single] if !STOPWORDS.contains(&single.as_str()) => Some((i, single.clone())),
                _ => None,
            };
        }
        let terms = weights
            .into_iter()
            .map(|((stem, scope), sum)| QueryTerm {
                stem,
                // Repetition counts, sublinearly.
                weight: if sum > 1.0 { 1.0 + sum.ln() } else { sum },
                scope,
            })
            .collect();
        let (paths, modules) = path_mentions(text);
        Query {
            terms,
            code_names,
            paths,
            modules,
        }
    }

    /// Whether the text gave nothing to rank by.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty() && self.code_names.is_empty() && self.paths.is_empty()
    }

    /// How the text mentions `path` (relative, `/`-separated) or its module path `module`,
    /// if it does: by a mentioned path equal to it or to a `/`-aligned suffix of it, or by a
    /// module path of two parts or more that its module path ends with.
    pub fn mentions_file(&self, path: &str, module: Option<&str>) -> Option<Mention> {
        let lower = path.to_ascii_lowercase();
        let aligned_suffix = |m: &str, of: &str| {
            of == m || (of.ends_with(m) && of.as_bytes()[of.len() - m.len() - 1] == b'/')
        };
        if self.paths.iter().any(|m| aligned_suffix(m, &lower)) {
            return Some(Mention::Path);
        }
        let module = module?
            .to_ascii_lowercase()
            .replace("::", "/")
            .replace('.', "/");
        self.modules
            .iter()
            .any(|m| aligned_suffix(m, &module))
            .then_some(Mention::Module)
    }
}

/// How a text mentions a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mention {
    /// By its path or file name (`src/ratelimit.rs`, `ledger.py`): a file to look at.
    Path,
    /// By a module path (`app.auth.service`, `auth::store`), often a qualified type name in
    /// a signature: a file that is used, not necessarily one to change.
    Module,
}

/// The `area:` prefix of a commit subject (the text's first line): `time: fix ...`,
/// `net/tcp, io: ...`. Empty when the first line has none.
fn subject_hints(text: &str) -> Vec<&str> {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let Some((prefix, rest)) = first.trim().split_once(':') else {
        return Vec::new();
    };
    if prefix.len() > 40 || !rest.starts_with(' ') {
        return Vec::new();
    }
    let parts: Vec<&str> = prefix.split(',').map(str::trim).collect();
    let area = |p: &&str| {
        !p.is_empty()
            && p.bytes()
                .all(|c| is_ident_byte(c) || matches!(c, b'/' | b'-' | b'.'))
            && !INSTRUCTION_WORDS.contains(&p.to_ascii_lowercase().as_str())
    };
    if parts.iter().all(area) {
        parts
    } else {
        Vec::new()
    }
}

/// Extensions that make a word a file name (`ledger.py`, `CHANGES.rst`, `setup.cfg`): sources,
/// and the documentation and configuration files a change is often asked to touch too.
const MENTIONED_EXTENSIONS: &[&str] = &[
    "rs", "py", "pyi", "md", "markdown", "rst", "txt", "toml", "cfg", "ini", "yaml", "yml", "json",
];

/// Paths (`a/b.py`, `ledger.py`, `CHANGES.rst`) and module paths (`a.b.c`, `a::b`) the text
/// mentions, lowercased, `/`-separated.
fn path_mentions(text: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut paths = BTreeSet::new();
    let mut modules = BTreeSet::new();
    let is_sep = |c: char| c.is_whitespace() || "`'\"()[]{}<>,;=|*".contains(c);
    for raw in text.split(is_sep) {
        let token = raw
            .trim_end_matches(['.', ':', '!', '?'])
            .trim_start_matches("./");
        if token.is_empty() || token.contains("://") {
            continue;
        }
        let file_like = token.rsplit_once('.').is_some_and(|(stem, ext)| {
            !stem.is_empty() && MENTIONED_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str())
        });
        if token.contains('/') || file_like {
            if token
                .bytes()
                .all(|c| is_ident_byte(c) || matches!(c, b'/' | b'.' | b'-'))
            {
                paths.insert(token.trim_matches('/').to_ascii_lowercase());
            }
            continue;
        }
        let (sep, min_parts) = if token.contains("::") {
            ("::", 2)
        } else {
            (".", 2)
        };
        let parts: Vec<&str> = token.split(sep).collect();
        let identifier = |p: &&str| !p.is_empty() && p.bytes().all(is_ident_byte);
        if parts.len() >= min_parts && parts.iter().all(identifier) {
            let mut parts = parts;
            // A trailing call or item name is not part of the module path: keep every prefix.
            while parts.len() >= 2 {
                modules.insert(parts.join("/").to_ascii_lowercase());
                parts.pop();
            }
        }
    }
    (paths, modules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(q: &Query) -> Vec<(&str, TermScope)> {
        q.terms.iter().map(|t| (t.stem.as_str(), t.scope)).collect()
    }

    #[test]
    fn subwords_split_snake_camel_acronyms_and_digits() {
        let mut got = Vec::new();
        for w in [
            "RateLimiter",
            "try_acquire",
            "HTTPServer",
            "v2_api",
            "__init__",
            "x",
        ] {
            subwords(w, |s| got.push(s.to_string()));
        }
        assert_eq!(
            got,
            ["Rate", "Limiter", "try", "acquire", "HTTP", "Server", "api", "init"]
        );
    }

    #[test]
    fn stopwords_go_instruction_words_weigh_little_code_weighs_more() {
        let q = Query::parse("Rename the `RateLimiter` and move it into the ledger");
        let weight = |s: &str| q.terms.iter().find(|t| t.stem == s).map(|t| t.weight);
        assert_eq!(weight("the"), None);
        assert_eq!(weight("and"), None);
        assert_eq!(weight("into"), None);
        assert!(weight("renam").unwrap() < 0.5, "{q:?}");
        assert!(weight("move").unwrap() < 0.5, "{q:?}");
        assert_eq!(weight("ledger"), Some(1.0));
        assert!(
            weight("limit").unwrap() > weight("ledger").unwrap(),
            "code weighs more"
        );
        assert!(
            weight("ratelimit").is_some(),
            "the compound is a term: {q:?}"
        );
        assert!(q.code_names.contains("RateLimiter"));
        let q = Query::parse("the dead-letter queue");
        assert!(
            q.terms.iter().any(|t| t.stem == stem("deadletter")),
            "{q:?}"
        );
        assert!(!q.code_names.contains("ledger"), "prose is not a name");
    }

    #[test]
    fn subject_prefix_is_a_path_hint() {
        let q = Query::parse("time: avoid a lost wakeup\n\nThe driver ...");
        assert!(stems(&q).contains(&("time", TermScope::PathOnly)), "{q:?}");
        let q = Query::parse("net/tcp, io: split the stream");
        let s = stems(&q);
        assert!(s.contains(&("net", TermScope::PathOnly)), "{s:?}");
        assert!(s.contains(&("tcp", TermScope::PathOnly)), "{s:?}");
        assert!(s.contains(&("io", TermScope::PathOnly)), "{s:?}");
        let q = Query::parse("Fix: a typo");
        assert!(!stems(&q).iter().any(|(_, s)| *s == TermScope::PathOnly));
        let q = Query::parse("Note that this is: a sentence");
        assert!(!stems(&q).iter().any(|(_, s)| *s == TermScope::PathOnly));
    }

    #[test]
    fn path_and_module_mentions_match_case_insensitively_at_boundaries() {
        let q = Query::parse(
            "See `src/RateLimit.rs`, Ledger.py and app.auth.service.login(); also auth::store.",
        );
        let path = Some(Mention::Path);
        let module = Some(Mention::Module);
        assert_eq!(q.mentions_file("src/ratelimit.rs", None), path);
        assert_eq!(q.mentions_file("shop/inventory/ledger.py", None), path);
        assert_eq!(q.mentions_file("shop/inventory/subledger.py", None), None);
        assert_eq!(
            q.mentions_file("src/app/auth/service.py", Some("app.auth.service")),
            module
        );
        assert_eq!(
            q.mentions_file("src/auth/store.rs", Some("auth::store")),
            module
        );
        assert_eq!(q.mentions_file("src/other.rs", Some("other")), None);
        assert!(q.code_names.contains("login"));
    }

    #[test]
    fn documentation_and_configuration_files_are_mentioned_by_name() {
        let q = Query::parse("Note in CHANGES.rst what changed, e.g. the setup.cfg keys.");
        assert_eq!(q.mentions_file("CHANGES.rst", None), Some(Mention::Path));
        assert_eq!(q.mentions_file("setup.cfg", None), Some(Mention::Path));
        assert_eq!(
            q.mentions_file("docs/changes.rst", None),
            Some(Mention::Path)
        );
        assert_eq!(q.mentions_file("e.g", None), None);
        assert!(!q.modules.contains("changes/rst"), "{:?}", q.modules);
    }
}
