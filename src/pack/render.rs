//! Rendering ranked files as Markdown under a hard token budget, counted exactly (o200k_base)
//! on the final text. In: the files, the ranking (with the query's lexical relevance) and a
//! budget. Out: the text, its token count and one section per file shown.
//!
//! When every file fits in full, every file is in full. Otherwise (see `place`), breadth
//! before depth: first cheap outlines (headlines or partial, `outline.rs`, at most 1/
//! `CHEAP_PARTS` of the budget each) of the best-ranked files are reserved, up to
//! `reserve_share` of the budget, so that the next relevant files are shown even when a few
//! large ones could take the room in full; then in rank order (at large budgets, by relevance
//! per token: `size_weight`), full text for each file that fits within `FILE_SHARE` of the
//! budget (a few huge central files must not eat it) and within the room left once the
//! outlines reserved for other files and those of the better-ranked files that did not fit
//! are set aside (a file in full gives its own reserved outline back); then cheap outlines (at most 1/`TAIL_PARTS` of the budget each) of the
//! files ranked below; then, in rank order, each reserved outline is upgraded with what is
//! left: headers and signatures plus the whole bodies of the definitions most relevant to
//! the task (BM25 of the query's terms over each function's lines, at least `BODY_BAR` of the
//! best one's; functions that take locks or touch atomics get `SYNC_BONUS`), dropping the
//! least relevant bodies while it does not fit, else a cheap form that lists the most
//! relevant definitions first; `⋮` marks every elided run, so the code a refactor must
//! change, racy code included, is visible even when its file is not in full; then outlines
//! of the other files while they fit in `OUTLINE_SHARE`; then names. Why cheap forms first:
//! a file whose every signature is shown can cost what ten files' headlines do, and a gold
//! file left a bare name is invisible to the model; showing many files briefly, then
//! deepening the best, is how a reader surveys an unfamiliar repository too.
//!
//! In every outline form, a function that synchronises threads (of the first
//! `BODY_CANDIDATES` ranked files) keeps, under its line, the lines of its body that use a
//! lock or atomic word (the bodies and lines are chosen in `bodies.rs`, `Kept`): which locks
//! it takes in which order, and where it reads and writes atomics, is where a lock-order
//! deadlock or a lost update shows, for a line each rather than a whole body.
//!
//! Documentation files (Markdown, reStructuredText) are outlined by their titles (`docs.rs`)
//! within 1/`TAIL_PARTS` of the budget; what is not source code goes in full only within
//! 1/`CHEAP_PARTS`.
//!
//! Whole sections and whole lines only: nothing is ever cut mid-line. The finished text is
//! counted again and trailing entries are dropped until it fits, so the budget holds exactly
//! even where token boundaries merge across sections.

use std::path::Path;

use super::bodies::Kept;
use super::docs::doc_source;
use super::outline::{outline_in, outline_of_lines, partial_order, Form};
use super::rank::{Ranked, Ranking};
use super::tokens::TokenCache;
use crate::codegraph::walk::SourceFile;

/// How much of a file a pack shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The whole file.
    Full,
    /// Signatures and headers, bodies elided.
    Outline,
    /// Only its path.
    Name,
}

pub(crate) const HEADER: &str = "# Repository map\n\nFiles ranked by relevance to the task: full text first, then outlines (⋮ marks elided lines), then the names of other files.\n";
/// Files in a row that may fail to fit in one mode before that mode is given up.
const MAX_MISSES: usize = 25;
const NAMES_HEADER: &str = "\n## Other files\n\n";

/// Tokens of `text` in o200k_base.
pub fn count_tokens(text: &str) -> usize {
    tiktoken_rs::o200k_base_singleton()
        .encode_with_special_tokens(text)
        .len()
}

/// Starts loading the tokenizer's vocabulary on a thread of its own (once per process): the
/// load takes a good part of a second, which can overlap parsing. A count that comes before
/// the load is done waits for it.
pub fn warm_tokenizer() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        std::thread::spawn(|| {
            tiktoken_rs::o200k_base_singleton();
        });
    });
}

/// One rendered section.
#[derive(Debug, Clone)]
pub struct Section {
    /// Index into the files.
    pub file: usize,
    /// Rank (0-based) of the file.
    pub rank: usize,
    /// What is shown.
    pub mode: Mode,
    /// The section's text.
    pub text: String,
    /// Its tokens counted alone.
    pub tokens: usize,
}

impl Section {
    /// File `file` at `rank`, shown as `mode`: `text` of `tokens` tokens.
    pub(crate) fn new(
        file: usize,
        rank: usize,
        mode: Mode,
        text: String,
        tokens: usize,
    ) -> Section {
        Section {
            file,
            rank,
            mode,
            text,
            tokens,
        }
    }
}

/// The rendered pack.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The final text.
    pub text: String,
    /// Its exact token count.
    pub tokens: usize,
    /// Sections in output order (names included).
    pub sections: Vec<Section>,
}

fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat(longest.max(2) + 1)
}

fn lang_tag(path: &str) -> &str {
    match path.rsplit_once('.').map(|(_, e)| e) {
        Some("rs") => "rust",
        Some("py") | Some("pyi") => "python",
        Some("toml") => "toml",
        Some("md") => "markdown",
        Some("json") => "json",
        Some("yml") | Some("yaml") => "yaml",
        Some("sh") => "sh",
        Some("ini") | Some("cfg") => "ini",
        _ => "",
    }
}

pub(crate) fn code_section(path: &str, note: &str, body: &str) -> String {
    let fence = fence_for(body);
    let mut s = format!("\n## {path}{note}\n\n{fence}{}\n", lang_tag(path));
    s.push_str(body);
    if !body.ends_with('\n') {
        s.push('\n');
    }
    s.push_str(&fence);
    s.push('\n');
    s
}

/// The outline of a parsed file: each definition's header lines, `⋮` for what is left out.
pub fn outline(file: &SourceFile) -> Option<String> {
    outline_keeping(file, &[])
}

/// The outline of a parsed file that also keeps the whole bodies of the definitions
/// `bodies` (indexes into its `facts.defs`).
pub fn outline_keeping(file: &SourceFile, bodies: &[usize]) -> Option<String> {
    outline_in(file, bodies, Form::Signatures)
}

pub(crate) fn full_text(root: &Path, file: &SourceFile) -> Option<String> {
    if let Some(t) = &file.text {
        return Some(t.clone());
    }
    let t = std::fs::read_to_string(root.join(&file.path)).ok()?;
    (!t.contains('\0')).then_some(t)
}

/// Share of the budget that full files may take when not every file fits (what the outlines
/// reserved for better-ranked files leave).
const FULL_SHARE: usize = 94;
/// Share of the budget reserved first for the plain outlines of the best-ranked files (from
/// `SMALL_BUDGET` tokens up; see [`reserve_share`]).
const RESERVE_SHARE: usize = 25;
/// The reserve's share at `SMALL_BUDGET / 2` tokens and below.
const SMALL_RESERVE_SHARE: usize = 15;
/// From this budget up the reserve takes `RESERVE_SHARE`; above it full text is chosen by
/// relevance per token ([`size_weight`]).
const SMALL_BUDGET: usize = 8192;
/// The exponent of a file's size in its worth for full text from `2 * SMALL_BUDGET` tokens up.
const SIZE_WEIGHT: f64 = 0.25;
/// Share of the budget one file may take in full (or as an outline) when not every file fits.
const FILE_SHARE: usize = 50;
/// Share of the budget full files and outlines may take together (names get the rest).
const OUTLINE_SHARE: usize = 94;
/// An outline in a cheaper form than signatures (headlines, or top-level definitions and the
/// most relevant nested ones) takes at most this part of the budget: the cheap forms are
/// there to show many files, so none may take the room of many others.
const CHEAP_PARTS: usize = 32;
/// The outlines of the files ranked below those placed so far take at most this part of the
/// budget each.
const TAIL_PARTS: usize = 64;
/// Renders `ranking`'s files under `budget` tokens; counts come from `tokens` when it has
/// them.
pub fn render(
    root: &Path,
    files: &[SourceFile],
    ranking: &Ranking,
    budget: usize,
    tokens: &mut TokenCache,
) -> Rendered {
    let ranked = &ranking.ranked;
    let header_tokens = tokens.count(HEADER);
    if header_tokens > budget {
        return Rendered {
            text: String::new(),
            tokens: 0,
            sections: Vec::new(),
        };
    }
    let (mut sections, mut names) =
        match all_in_full(root, files, ranked, budget, header_tokens, tokens) {
            Some(sections) => (sections, Vec::new()),
            None => place(
                root,
                files,
                ranked,
                &Kept::of(files, ranking),
                budget,
                header_tokens,
                tokens,
            ),
        };
    let mut used = header_tokens + sections.iter().map(|s| s.tokens).sum::<usize>();
    if !names.is_empty() {
        let ht = tokens.count(NAMES_HEADER);
        if used + ht < budget {
            used += ht;
            for (rank, f) in names.drain(..) {
                let line = format!("{}\n", files[f].path);
                let t = tokens.count(&line);
                if used + t > budget {
                    break;
                }
                used += t;
                sections.push(Section {
                    file: f,
                    rank,
                    mode: Mode::Name,
                    text: line,
                    tokens: t,
                });
            }
        }
    }
    fit_exactly(sections, budget, tokens)
}

/// The text of `sections` counted exactly on the final text, trailing sections dropped while
/// it is over `budget`.
pub(crate) fn fit_exactly(
    mut sections: Vec<Section>,
    budget: usize,
    tokens: &mut TokenCache,
) -> Rendered {
    loop {
        let text = assemble(&sections);
        let total = tokens.count(&text);
        if total <= budget {
            return Rendered {
                text,
                tokens: total,
                sections,
            };
        }
        sections.pop();
    }
}

/// Every file in full, if that fits the budget.
fn all_in_full(
    root: &Path,
    files: &[SourceFile],
    ranked: &[Ranked],
    budget: usize,
    header_tokens: usize,
    tokens: &mut TokenCache,
) -> Option<Vec<Section>> {
    let mut used = header_tokens;
    let mut sections = Vec::new();
    for (rank, r) in ranked.iter().enumerate() {
        let file = &files[r.file];
        // A token is rarely more than 8 bytes of source: skip counting what cannot fit.
        if (file.bytes as usize) > budget.saturating_sub(used).saturating_mul(8) {
            return None;
        }
        let s = code_section(&file.path, "", &full_text(root, file)?);
        let t = tokens.count(&s);
        if used + t > budget {
            return None;
        }
        used += t;
        sections.push(Section::new(r.file, rank, Mode::Full, s, t));
    }
    Some(sections)
}

/// Places files when not all fit in full, in four passes:
///
/// 0. the plain outlines of the best-ranked files, in rank order, reserved while they fit in
///    [`reserve_share`] of the budget;
/// 1. in rank order (above `SMALL_BUDGET`, in order of relevance per token), full text for
///    each file that fits within its share of the budget and
///    the room left for full files once the outlines of the better-ranked files that did not
///    fit are reserved (a file that does not fit is skipped, not waited for, and a small
///    file far down the ranking cannot take the room of a relevant file's outline);
/// 2. the reserved outlines, in rank order, each with the bodies chosen for it (fewer if they
///    do not fit);
/// 3. outlines of the other files, in rank order, while they fit; names for the rest.
///
/// Returns the sections (full first, then outlines, each in rank order) and the files left
/// as names.
fn place(
    root: &Path,
    files: &[SourceFile],
    ranked: &[Ranked],
    kept: &Kept,
    budget: usize,
    header_tokens: usize,
    tokens: &mut TokenCache,
) -> (Vec<Section>, Vec<(usize, usize)>) {
    let Kept { bodies, sync } = kept;
    let full_cap = budget * FULL_SHARE / 100;
    let outline_cap = budget * OUTLINE_SHARE / 100;
    let file_cap = budget * FILE_SHARE / 100;
    let cheap_cap = budget / CHEAP_PARTS;
    // Documentation files (not parsed by the walk) are outlined by their headings.
    let docs: Vec<std::cell::OnceCell<Option<SourceFile>>> =
        files.iter().map(|_| std::cell::OnceCell::new()).collect();
    let outlined = |f: usize| -> &SourceFile {
        if files[f].facts.is_some() {
            return &files[f];
        }
        docs[f]
            .get_or_init(|| doc_source(root, &files[f]))
            .as_ref()
            .unwrap_or(&files[f])
    };
    let split: Vec<std::cell::OnceCell<Vec<&str>>> =
        files.iter().map(|_| std::cell::OnceCell::new()).collect();
    let lined = |f: usize| {
        let file = outlined(f);
        Lined {
            file,
            lines: split[f].get_or_init(|| {
                file.text
                    .as_deref()
                    .map_or_else(Vec::new, |t| t.lines().collect())
            }),
            cap: if file.lang.is_some() {
                usize::MAX
            } else {
                budget / TAIL_PARTS
            },
            sync: &sync[f],
        }
    };
    let mut used = header_tokens;
    let mut reserved = 0;
    let mut sections = Vec::new();
    let mut outlines: Vec<Option<Section>> = vec![None; ranked.len()];
    let mut full = vec![false; ranked.len()];
    // Breadth first: the plain outlines of the best-ranked files are reserved up to
    // [`reserve_share`] of the budget, so that a few large files in full cannot leave every
    // other relevant file a bare name; a file that goes in full gives its outline's room back.
    let reserve_cap = budget * reserve_share(budget) / 100;
    let mut outline_misses = 0;
    for (rank, r) in ranked.iter().enumerate() {
        if outline_misses >= MAX_MISSES || reserved >= reserve_cap {
            break;
        }
        let left = reserve_cap.saturating_sub(reserved);
        // A headline outline within `cheap_cap`, else the signatures if they fit the reserve.
        let cheap = fitting_cheap(lined(r.file), &bodies[r.file], left.min(cheap_cap), tokens);
        match cheap.or_else(|| fitting_signatures(lined(r.file), &[], left.min(file_cap), tokens)) {
            Some((s, t)) => {
                reserved += t;
                outline_misses = 0;
                outlines[rank] = Some(Section::new(r.file, rank, Mode::Outline, s, t));
            }
            None => outline_misses += usize::from(outlined(r.file).facts.is_some()),
        }
    }
    // Counting tokens costs time: after this many files in a row that did not fit in a mode,
    // stop trying that mode (a large tree would otherwise be tokenized whole).
    let mut misses = 0;
    // Full text by relevance per token (`size_weight`): at a large budget many files fit, and
    // which of them is a matter of how much each is worth for its room.
    let alpha = size_weight(budget);
    let mut by_worth: Vec<usize> = (0..ranked.len()).collect();
    if alpha > 0.0 {
        let worth: Vec<f64> = ranked
            .iter()
            .map(|r| r.score / (files[r.file].bytes as f64 / 4.0).max(1.0).powf(alpha))
            .collect();
        by_worth.sort_by(|&a, &b| worth[b].total_cmp(&worth[a]).then(a.cmp(&b)));
    }
    for rank in by_worth {
        let r = &ranked[rank];
        let file = &files[r.file];
        let own = outlines[rank].as_ref().map_or(0, |o| o.tokens);
        let room = (full_cap + own)
            .saturating_sub(used + reserved)
            .min(file_cap);
        if misses >= MAX_MISSES || room == 0 {
            break;
        }
        // What is not source code (a changelog, a README, data) is worth its full text only
        // while that is small; a long one is shown by its outline.
        let room = if file.lang.is_some() {
            room
        } else {
            room.min(cheap_cap)
        };
        // A token is rarely more than 8 bytes of source: skip counting what cannot fit.
        let fits = ((file.bytes as usize) <= room.saturating_mul(8))
            .then(|| full_text(root, file))
            .flatten()
            .map(|text| code_section(&file.path, "", &text))
            .map(|s| (tokens.count(&s), s))
            .filter(|(t, _)| *t <= room);
        if let Some((t, s)) = fits {
            used += t;
            reserved -= own;
            outlines[rank] = None;
            misses = 0;
            full[rank] = true;
            sections.push(Section::new(r.file, rank, Mode::Full, s, t));
            continue;
        }
        misses += 1;
        if outlines[rank].is_none() && used + reserved < outline_cap {
            let room = outline_cap.saturating_sub(used + reserved).min(file_cap);
            if let Some((s, t)) = fitting_signatures(lined(r.file), &[], room, tokens) {
                reserved += t;
                outlines[rank] = Some(Section::new(r.file, rank, Mode::Outline, s, t));
            }
        }
    }
    // Breadth before depth: headlines of the files ranked below, small ones each.
    let tail_cap = budget / TAIL_PARTS;
    let mut misses = 0;
    for (rank, r) in ranked.iter().enumerate() {
        if misses >= MAX_MISSES || used + reserved >= outline_cap {
            break;
        }
        if full[rank] || outlines[rank].is_some() {
            continue;
        }
        let room = outline_cap.saturating_sub(used + reserved).min(tail_cap);
        match fitting_cheap(lined(r.file), &[], room, tokens) {
            Some((s, t)) => {
                reserved += t;
                misses = 0;
                outlines[rank] = Some(Section::new(r.file, rank, Mode::Outline, s, t));
            }
            None => misses += usize::from(outlined(r.file).facts.is_some()),
        }
    }
    // The reserved outlines, with bodies where they fit.
    for (rank, r) in ranked.iter().enumerate() {
        let Some(plain) = outlines[rank].take() else {
            continue;
        };
        reserved -= plain.tokens;
        let room = outline_cap
            .saturating_sub(used + reserved)
            .min(file_cap)
            .max(plain.tokens);
        // Signatures (with bodies) if they fit, else a cheap form no bigger than the one
        // reserved, its nested definitions now the most relevant first.
        let cheap = cheap_cap.max(plain.tokens);
        let section = match fitting_outline(lined(r.file), &bodies[r.file], room, cheap, tokens) {
            Some((text, t)) if t <= room => Section {
                text,
                tokens: t,
                ..plain
            },
            _ => plain,
        };
        used += section.tokens;
        outlines[rank] = Some(section);
    }
    let mut names = Vec::new();
    let mut misses = 0;
    for (rank, r) in ranked.iter().enumerate() {
        if full[rank] || outlines[rank].is_some() {
            continue;
        }
        if misses < MAX_MISSES {
            let room = outline_cap.saturating_sub(used).min(budget / TAIL_PARTS);
            if let Some((s, t)) =
                fitting_outline(lined(r.file), &[], room, budget / TAIL_PARTS, tokens)
            {
                used += t;
                misses = 0;
                outlines[rank] = Some(Section::new(r.file, rank, Mode::Outline, s, t));
                continue;
            }
            if outlined(r.file).facts.is_some() {
                misses += 1;
            }
        }
        names.push((rank, r.file));
    }
    sections.extend(outlines.into_iter().flatten());
    (sections, names)
}

/// The reserve's share of `budget` (percent): `SMALL_RESERVE_SHARE` up to half of
/// `SMALL_BUDGET`, `RESERVE_SHARE` from `SMALL_BUDGET` up, growing with the budget's
/// logarithm in between. A small budget holds two or three files in full, and each of them
/// is worth more than the outlines of a few more files (which the cheap forms still show).
fn reserve_share(budget: usize) -> usize {
    let at = doubling_from(budget, SMALL_BUDGET / 2);
    SMALL_RESERVE_SHARE + ((RESERVE_SHARE - SMALL_RESERVE_SHARE) as f64 * at).round() as usize
}

/// How far `budget` is through the doubling that starts at `from`: 0 at `from` and below, 1
/// at twice it and above, by the budget's logarithm in between.
fn doubling_from(budget: usize, from: usize) -> f64 {
    (budget as f64 / from as f64).log2().clamp(0.0, 1.0)
}

/// The exponent of a file's size (in tokens, guessed from its bytes) that its score is
/// divided by when choosing files for full text: 0 (rank order) up to `SMALL_BUDGET` tokens,
/// `SIZE_WEIGHT` from twice that up, growing with the budget's logarithm in between. A small
/// budget holds the first two or three files, and rank order is the best guess which; a large
/// one holds many, and a large file must then be more relevant than the smaller ones it would
/// displace (BM25 filling 32k with mid-sized files beat rank order on real code).
fn size_weight(budget: usize) -> f64 {
    SIZE_WEIGHT * doubling_from(budget, SMALL_BUDGET)
}

/// A parsed file and its text split into lines (once per pack: outlines of one file are
/// tried several times), and the most tokens an outline of it may take: no limit for a
/// source, 1/`TAIL_PARTS` of the budget for a documentation file, whose first titles show
/// where an entry goes while every further one is worth less than another file's outline.
#[derive(Clone, Copy)]
struct Lined<'a> {
    file: &'a SourceFile,
    lines: &'a [&'a str],
    cap: usize,
    /// Its synchronising functions' lock and atomic lines ([`Kept::sync`]).
    sync: &'a [(u32, u32)],
}

/// The fullest outline section of `file` within `room` tokens: its signatures (with as many
/// of `bodies` as fit, [`fitting_signatures`]), else a cheap form within `cheap_cap`
/// ([`fitting_cheap`]).
fn fitting_outline(
    lined: Lined<'_>,
    bodies: &[usize],
    room: usize,
    cheap_cap: usize,
    tokens: &mut TokenCache,
) -> Option<(String, usize)> {
    fitting_signatures(lined, bodies, room, tokens)
        .or_else(|| fitting_cheap(lined, bodies, room.min(cheap_cap), tokens))
}

/// The signatures outline of `file` within `room` tokens: with all of `bodies`, then
/// dropping the least relevant one at a time, down to signatures only; `None` if even that
/// does not fit (or the file has no outline). A documentation file (`docs.rs`) has none: every
/// title of a long changelog is worth less than the room it would take, so it is shown in a
/// cheap form (its first sections) only.
fn fitting_signatures(
    lined: Lined<'_>,
    bodies: &[usize],
    room: usize,
    tokens: &mut TokenCache,
) -> Option<(String, usize)> {
    let Lined {
        file, lines, sync, ..
    } = lined;
    file.text.as_ref()?;
    file.lang?;
    let mut keep = bodies.len();
    loop {
        let o = outline_of_lines(file, lines, &bodies[..keep], Form::Signatures, sync)?;
        match counted(&file.path, o, room, tokens) {
            Ok(hit) => return Some(hit),
            // Estimate how many bodies to drop from the overshoot rather than one by one.
            Err(Miss::Over(t)) if keep > 0 => keep = keep.min(keep * room / t.max(1)).min(keep - 1),
            Err(Miss::Long(_)) if keep > 0 => keep -= 1,
            Err(_) => return None,
        }
    }
}

/// Why an outline did not fit.
enum Miss {
    /// Its text has more bytes (this many) than the room could hold; not counted.
    Long(usize),
    /// It has this many tokens, more than the room.
    Over(usize),
}

/// The section of outline `o` of `path` and its tokens, if they are at most `room`.
fn counted(
    path: &str,
    o: String,
    room: usize,
    tokens: &mut TokenCache,
) -> Result<(String, usize), Miss> {
    // Skip counting what cannot fit (a token is rarely more than 8 bytes).
    if o.len() > room.saturating_mul(8) {
        return Err(Miss::Long(o.len()));
    }
    let s = code_section(path, " (outline)", &o);
    let t = tokens.count(&s);
    if t <= room {
        Ok((s, t))
    } else {
        Err(Miss::Over(t))
    }
}

/// A cheap outline of `file` within `room` tokens: headlines, else a partial outline with as
/// many definitions as fit (those of `bodies` first); `None` if not even one fits.
fn fitting_cheap(
    lined: Lined<'_>,
    bodies: &[usize],
    room: usize,
    tokens: &mut TokenCache,
) -> Option<(String, usize)> {
    let Lined {
        file,
        lines,
        cap,
        sync,
    } = lined;
    let room = room.min(cap);
    if room == 0 || file.text.is_none() {
        return None;
    }
    let fits = |o: String, tokens: &mut TokenCache| match counted(&file.path, o, room, tokens) {
        Ok(hit) => Ok(hit),
        Err(Miss::Long(n) | Miss::Over(n)) => Err(n),
    };
    let over = match fits(
        outline_of_lines(file, lines, &[], Form::Headlines, sync)?,
        tokens,
    ) {
        Ok(hit) => return Some(hit),
        Err(t) => t,
    };
    let order = partial_order(file, bodies);
    if order.is_empty() {
        return None;
    }
    // Fewer definitions until it fits, guessing the count from the overshoot first (an
    // overshoot in bytes, from text too long to count, guesses low: one definition is always
    // tried).
    let mut n = (order.len() * room / over.max(1)).clamp(1, order.len());
    loop {
        let form = Form::Partial { order: &order, n };
        match fits(outline_of_lines(file, lines, &[], form, sync)?, tokens) {
            Ok(hit) => return Some(hit),
            Err(_) if n == 1 => return None,
            Err(t) => n = (n * room / t.max(1)).clamp(1, n - 1),
        }
    }
}

pub(crate) fn assemble(sections: &[Section]) -> String {
    let mut text = String::from(HEADER);
    let mut names_started = false;
    for s in sections {
        if s.mode == Mode::Name && !names_started {
            text.push_str(NAMES_HEADER);
            names_started = true;
        }
        text.push_str(&s.text);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Language as Lang;
    use crate::codegraph::parse::extract;

    #[test]
    fn outline_keeps_headers_and_marks_elisions() {
        let src = "class A(B):\n    def f(self, x):\n        y = x\n        return y\n\n    def g(self):\n        pass\n";
        let file = SourceFile {
            path: "a.py".into(),
            lang: Some(Lang::Python),
            bytes: src.len() as u64,
            text: Some(src.into()),
            facts: Some(extract(Lang::Python, src)),
        };
        let o = outline(&file).unwrap();
        assert_eq!(
            o,
            "class A(B):\n    def f(self, x):\n⋮\n    def g(self):\n⋮\n"
        );
    }

    #[test]
    fn small_budgets_keep_rank_order_and_a_small_reserve() {
        assert_eq!(size_weight(4096), 0.0);
        assert_eq!(size_weight(8192), 0.0);
        assert!((size_weight(11_585) - SIZE_WEIGHT / 2.0).abs() < 0.01);
        assert_eq!(size_weight(16_384), SIZE_WEIGHT);
        assert_eq!(size_weight(65_536), SIZE_WEIGHT);
        assert_eq!(reserve_share(2048), SMALL_RESERVE_SHARE);
        assert_eq!(reserve_share(4096), SMALL_RESERVE_SHARE);
        assert_eq!(reserve_share(5793), 20);
        assert_eq!(reserve_share(8192), RESERVE_SHARE);
        assert_eq!(reserve_share(32_768), RESERVE_SHARE);
    }

    #[test]
    fn fence_outgrows_backticks_in_the_text() {
        assert_eq!(fence_for("no ticks"), "```");
        assert_eq!(fence_for("a ```` b"), "`````");
    }
}
