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
    let dir = tempfile::tempdir().unwrap();
    for (p, t) in &files {
        let p = dir.path().join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, t).unwrap();
    }
    dir
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
