//! Budgets and determinism of packs of small hand-made trees.

use super::*;

fn fixture_like_tree() -> tempfile::TempDir {
    let mut files: Vec<(String, String)> = Vec::new();
    for i in 0..30 {
        let mut body = format!("from .m{} import f{}\n\n", (i + 1) % 30, (i + 1) % 30);
        for j in 0..8 {
            body.push_str(&format!(
                "def f{i}_{j}(value):\n    \"\"\"Helper {j} of module {i}.\"\"\"\n    total = value * {j}\n    return f{}(total)\n\n",
                (i + 1) % 30
            ));
        }
        body.push_str(&format!("def f{i}(x):\n    return x\n"));
        files.push((format!("pkg/m{i}.py"), body));
    }
    files.push(("pkg/__init__.py".into(), String::new()));
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (&p[..], &t[..])).collect();
    crate::test_support::tree(&files)
}

#[test]
fn fifty_budgets_are_never_exceeded() {
    let dir = fixture_like_tree();
    let mut last_files = 0;
    for k in 0..50 {
        let budget = 10 + k * k * 7;
        let options = PackOptions {
            budget,
            cache_dir: None,
        };
        let packed = pack_dir(dir.path(), "Rework f3 and f17 in pkg/m5.py", &options).unwrap();
        let exact = count_tokens(&packed.text);
        assert_eq!(exact, packed.tokens);
        assert!(exact <= budget, "budget {budget}: {exact} tokens");
        // Never a line cut in half: every section ends at a line end.
        assert!(packed.text.is_empty() || packed.text.ends_with('\n'));
        assert!(packed.files.len() >= last_files.min(1));
        last_files = packed.files.len();
    }
    assert!(last_files == 31, "the biggest budget holds every file");
}

#[test]
fn output_is_byte_identical_across_runs_and_cache_states() {
    let dir = fixture_like_tree();
    let cache = tempfile::tempdir().unwrap();
    let options = PackOptions {
        budget: 2000,
        cache_dir: Some(cache.path().to_path_buf()),
    };
    let first = pack_dir(dir.path(), "f3 in pkg/m5.py", &options).unwrap();
    assert_eq!(first.load.parsed, 31);
    for _ in 0..4 {
        let again = pack_dir(dir.path(), "f3 in pkg/m5.py", &options).unwrap();
        assert_eq!(again.load.parsed, 0, "a warm pack reparses nothing");
        assert_eq!(again.text, first.text);
        assert_eq!(
            serde_json::to_string(&again).unwrap(),
            serde_json::to_string(&first).unwrap()
        );
    }
}

#[test]
fn the_task_pulls_named_files_and_their_dependencies_up() {
    let dir = fixture_like_tree();
    let options = PackOptions {
        budget: 1500,
        cache_dir: None,
    };
    let packed = pack_dir(dir.path(), "Rework pkg/m5.py", &options).unwrap();
    assert_eq!(packed.files[0].path, "pkg/m5.py");
    assert_eq!(packed.files[0].mode, Mode::Full);
    assert_eq!(packed.files[0].reason, "named in the task");
    // m5 imports m6: the dependency ranks right after it.
    assert_eq!(packed.files[1].path, "pkg/m6.py");
    let outlined = packed
        .files
        .iter()
        .find(|f| f.mode == Mode::Outline)
        .unwrap();
    assert!(packed
        .text
        .contains(&format!("## {} (outline)", outlined.path)));
    assert!(packed.text.contains("⋮"));
}

/// A tree whose functions differ in what they are about: `pkg/m{i}.py` each hold a
/// `settle_ledger_{i}` whose body works the ledger under a lock, and helpers that do not.
fn ledger_tree() -> tempfile::TempDir {
    let mut files: Vec<(String, String)> = vec![("pkg/__init__.py".into(), String::new())];
    for i in 0..12 {
        let mut body = format!(
            "import threading\nfrom .m{} import helper_{}\n\n",
            (i + 1) % 12,
            (i + 1) % 12
        );
        body.push_str(&format!(
            "def settle_ledger_{i}(ledger, lock):\n    \"\"\"Settle the ledger balance.\"\"\"\n    with lock:\n        balance = ledger.balance\n        ledger.balance = balance + {i}\n    return ledger\n\n"
        ));
        for j in 0..6 {
            body.push_str(&format!(
                "def helper_{i}_{j}(value):\n    total = value * {j}\n    total += {i}\n    return total\n\n"
            ));
        }
        body.push_str(&format!("def helper_{i}(x):\n    return x\n"));
        files.push((format!("pkg/m{i}.py"), body));
    }
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (&p[..], &t[..])).collect();
    crate::test_support::tree(&files)
}

#[test]
fn outlines_keep_relevant_bodies_and_budgets_stay_exact() {
    let dir = ledger_tree();
    let query = "Settle the ledger balance atomically";
    let mut saw_body = false;
    for budget in (300..4000).step_by(97) {
        // pkg/__init__.py is empty: its outline has nothing to elide.
        let options = PackOptions {
            budget,
            cache_dir: None,
        };
        let packed = pack_dir(dir.path(), query, &options).unwrap();
        assert_eq!(count_tokens(&packed.text), packed.tokens);
        assert!(
            packed.tokens <= budget,
            "budget {budget}: {}",
            packed.tokens
        );
        let outlined = packed
            .files
            .iter()
            .filter(|f| f.mode == Mode::Outline && f.path != "pkg/__init__.py");
        for f in outlined {
            let head = format!("## {} (outline)", f.path);
            let at = packed.text.find(&head).unwrap();
            let section = &packed.text[at..];
            let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
            // Irrelevant helpers' bodies are elided, the ledger's body is kept.
            assert!(!section.contains("total += "), "{section}");
            if section.contains("ledger.balance = balance") {
                saw_body = true;
            }
            assert!(section.contains('⋮'));
        }
    }
    assert!(saw_body, "some outline keeps the relevant body");
}

#[test]
fn query_packs_are_byte_identical_across_runs() {
    let dir = ledger_tree();
    let cache = tempfile::tempdir().unwrap();
    let options = PackOptions {
        budget: 1500,
        cache_dir: Some(cache.path().to_path_buf()),
    };
    let query = "time: settle the ledger (`settle_ledger_3`) in pkg/m3.py";
    let first = pack_dir(dir.path(), query, &options).unwrap();
    for _ in 0..3 {
        let again = pack_dir(dir.path(), query, &options).unwrap();
        assert_eq!(
            serde_json::to_string(&again).unwrap(),
            serde_json::to_string(&first).unwrap()
        );
    }
    assert_eq!(first.files[0].path, "pkg/m3.py");
}

#[test]
fn no_single_file_takes_more_than_its_share_when_not_all_fit() {
    let mut big = String::from("def huge():\n");
    for i in 0..400 {
        big.push_str(&format!("    value_{i} = compute_{i}()\n"));
    }
    let dir = crate::test_support::tree(&[
        ("app/big.py", &big),
        ("app/small.py", "def huge_helper():\n    return 1\n"),
        ("app/other.py", "def unrelated():\n    return 2\n"),
    ]);
    let budget = 2000;
    let options = PackOptions {
        budget,
        cache_dir: None,
    };
    let packed = pack_dir(dir.path(), "Split huge into parts", &options).unwrap();
    for f in &packed.files {
        assert!(
            f.tokens <= budget / 4,
            "{} takes {} tokens",
            f.path,
            f.tokens
        );
    }
    assert_eq!(
        packed.file("app/big.py").map(|f| f.mode),
        Some(Mode::Outline)
    );
}

#[test]
fn outlines_of_the_next_ranked_files_are_reserved_before_files_in_full() {
    const BUDGET: usize = 3100;
    // Three files about the task, each of about a third of the budget in full, and each with
    // a compact outline: the first goes in full, and the others keep outlines instead of
    // all the room going to full text and the last one becoming a bare name.
    let mut files: Vec<(String, String)> = Vec::new();
    for name in ["alpha", "beta", "gamma"] {
        let mut body = String::new();
        for j in 0..12 {
            body.push_str(&format!(
                "def settle_{name}_{j}(ledger, amount, currency):\n"
            ));
            for i in 0..8 {
                body.push_str(&format!(
                    "    ledger.post_{name}_{i}(amount * {i}, currency)\n"
                ));
            }
            body.push_str("\n\n");
        }
        files.push((format!("books/{name}.py"), body));
    }
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (&p[..], &t[..])).collect();
    let packed = pack_tree(&files, "settle the ledger: alpha, beta, gamma", BUDGET);
    let shown = packed.files.iter().filter(|f| f.mode != Mode::Name).count();
    assert_eq!(shown, 3, "{:?}", packed.files);
    assert!(packed.files.iter().any(|f| f.mode == Mode::Full));
}

#[test]
fn test_files_rank_below_the_code_they_exercise() {
    // The test uses the task's words more than the code does, as tests do.
    let mut test = String::from("from shop.books import settle\n\n");
    for i in 0..6 {
        test.push_str(&format!(
            "\ndef test_settle_ledger_{i}():\n    ledger = Ledger()\n    settle(ledger)\n    assert ledger.balance == {i}\n"
        ));
    }
    let mut files: Vec<(String, String)> = vec![
        (
            "shop/books.py".into(),
            "def settle(ledger):\n    return ledger.balance\n".into(),
        ),
        ("tests/test_ledger.py".into(), test),
    ];
    for i in 0..10 {
        files.push((
            format!("shop/other{i}.py"),
            format!("def unrelated_{i}(x):\n    return x\n"),
        ));
    }
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (&p[..], &t[..])).collect();
    let dir = crate::test_support::tree(&files);
    let options = PackOptions {
        budget: 4000,
        cache_dir: None,
    };
    let packed = pack_dir(dir.path(), "Settle the ledger balance", &options).unwrap();
    let rank = |p: &str| packed.file(p).unwrap().rank;
    assert!(rank("shop/books.py") < rank("tests/test_ledger.py"));
}

#[test]
fn a_relevant_file_too_big_for_signatures_is_a_partial_outline_not_a_name() {
    const BUDGET: usize = 2000;
    // One class whose methods' signatures alone cost about twice the budget: before the
    // cheap outline forms it was a bare name; now its class line and the most relevant
    // methods are shown, `⋮` marking the rest, and the budget still holds.
    let mut big = String::from("class Ledger:\n");
    for j in 0..150 {
        big.push_str(&format!(
            "    def post_entry_number_{j}(self, account, amount, currency, memo):\n        return account\n\n"
        ));
    }
    big.push_str("    def settle(self):\n        with self.lock:\n            self.total = 0\n");
    let files = [
        ("books/ledger.py", &big[..]),
        ("books/other.py", "def unrelated(x):\n    return x\n"),
    ];
    let packed = pack_tree(
        &files,
        "Make `Ledger.settle` in books/ledger.py atomic",
        BUDGET,
    );
    let ledger = packed.file("books/ledger.py").unwrap();
    assert_eq!(ledger.mode, Mode::Outline, "{:?}", packed.files);
    assert!(ledger.tokens <= BUDGET / 2);
    let at = packed.text.find("## books/ledger.py (outline)").unwrap();
    let section = &packed.text[at..];
    assert!(section.contains("class Ledger:"), "{section}");
    assert!(
        section.contains("def settle(self):"),
        "the relevant method is kept"
    );
    assert!(section.contains('⋮'));
}

/// The pack of a tree of `files` for `query` under `budget` (no cache), checked to be within
/// the budget.
fn pack_tree(files: &[(&str, &str)], query: &str, budget: usize) -> Packed {
    let dir = crate::test_support::tree(files);
    let options = PackOptions {
        budget,
        cache_dir: None,
    };
    let packed = pack_dir(dir.path(), query, &options).unwrap();
    assert!(packed.tokens <= budget);
    packed
}

#[test]
fn a_named_changelog_too_long_for_full_text_is_outlined_by_its_newest_titles() {
    let mut changes = String::from("Changes\n=======\n\n");
    for v in (1..=400).rev() {
        changes.push_str(&format!(
            "1.{v}.0 (2020-01-01)\n------------------\n\n- Fixed item {v} of the pool.\n- Changed another thing.\n\n"
        ));
    }
    let mut files: Vec<(String, String)> = (0..6)
        .map(|i| {
            (
                format!("pkg/m{i}.py"),
                format!("def f{i}(x):\n    return x\n"),
            )
        })
        .collect();
    files.push(("CHANGES.rst".into(), changes));
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (&p[..], &t[..])).collect();
    let dir = crate::test_support::tree(&files);
    let options = PackOptions {
        budget: 8192,
        cache_dir: None,
    };
    let packed = pack_dir(
        dir.path(),
        "Rework f3; note in CHANGES.rst what changed.",
        &options,
    )
    .unwrap();
    let changelog = packed
        .files
        .iter()
        .find(|f| f.path == "CHANGES.rst")
        .expect("listed");
    assert_eq!(changelog.reason, "named in the task");
    assert_eq!(changelog.mode, Mode::Outline, "{}", packed.text);
    assert!(changelog.tokens <= 8192 / 64, "{} tokens", changelog.tokens);
    let at = packed.text.find("## CHANGES.rst (outline)").unwrap();
    let section = &packed.text[at..];
    // In the document's order: the title, then the newest releases.
    assert!(
        section.contains("\nChanges\n⋮\n1.400.0 (2020-01-01)\n⋮\n1.399.0 (2020-01-01)\n"),
        "{section}"
    );
    assert!(!section.contains("Fixed item"), "titles only: {section}");
    assert!(packed.tokens <= 8192);
}

#[test]
fn an_outline_keeps_the_lock_lines_of_the_functions_it_shows() {
    // A store whose methods take its two locks, too big for full text: the outline shows,
    // under each function's line, the lines that use a lock, and elides the rest.
    let mut store = String::from(
        "import threading\n\n\nclass Store:\n    def __init__(self):\n        self._items_lock = threading.Lock()\n        self._index_lock = threading.Lock()\n        self._items = {}\n        self._index = {}\n\n",
    );
    for j in 0..120 {
        store.push_str(&format!(
            "    def put_{j}(self, key, value):\n        with self._items_lock:\n            previous = self._items.get(key)\n            self._items[key] = value\n        with self._index_lock:\n            self._index[key] = previous\n        return previous\n\n"
        ));
    }
    let mut files = vec![("app/store.py".to_string(), store)];
    for i in 0..8 {
        files.push((
            format!("app/handler{i}.py"),
            format!("from app.store import Store\n\ndef handle_{i}(store: Store):\n    return store.put_{i}('k', {i})\n"),
        ));
    }
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (&p[..], &t[..])).collect();
    let packed = pack_tree(
        &files,
        "Route every handler's writes through one helper",
        6000,
    );
    let store = packed.file("app/store.py").unwrap();
    assert_eq!(store.mode, Mode::Outline, "{:?}", packed.files);
    let at = packed.text.find("## app/store.py (outline)").unwrap();
    let section = &packed.text[at..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
    assert!(
        section.contains("    def __init__(self):\n        self._items_lock = threading.Lock()\n        self._index_lock = threading.Lock()\n⋮\n"),
        "{section}"
    );
    assert!(!section.contains("self._items = {}"), "{section}");
}
