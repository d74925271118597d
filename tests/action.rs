//! The GitHub Action (action.yml), executed locally: its `run:` steps run in order with bash the
//! way the runner runs them (`bash --noprofile --norc -eo pipefail`), with per-step
//! GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, `env:` values resolved from test-chosen inputs
//! and earlier steps' outputs, and `if:` conditions honoured. `uses:` steps (toolchain, cache,
//! upload) are skipped; the build step is given the binary cargo built through REFBENCH_BIN.
//! Also checks what the workflows and the action must keep: actions pinned by commit SHA with
//! a version comment, and no `${{ }}` inside `run:` scripts.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml::Value;

fn action() -> Value {
    let text = std::fs::read_to_string(common::project_root().join("action.yml")).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

fn str_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        other => panic!("expected a scalar, found {other:?}"),
    }
}

/// What one executed step did.
#[derive(Debug)]
struct StepRun {
    name: String,
    /// None when skipped (a `uses:` step, or its `if:` was false).
    status: Option<i32>,
    log: String,
}

/// The outcome of running the action.
#[derive(Debug)]
struct ActionRun {
    steps: Vec<StepRun>,
    /// The action's outputs, resolved from the steps' outputs as `outputs.*.value` says.
    outputs: BTreeMap<String, String>,
    /// Everything the steps appended to GITHUB_STEP_SUMMARY.
    summary: String,
    /// RUNNER_TEMP and the steps' files (the run directory is in there): kept until dropped.
    _temp: tempfile::TempDir,
}

impl ActionRun {
    fn failed(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s.status, Some(c) if c != 0))
    }

    fn step(&self, name: &str) -> &StepRun {
        self.steps
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no step named {name:?} in {:#?}", self.steps))
    }

    fn output(&self, name: &str) -> &str {
        self.outputs
            .get(name)
            .unwrap_or_else(|| panic!("action.yml declares no output {name}"))
    }

    fn log(&self) -> String {
        self.steps
            .iter()
            .map(|s| format!("--- {} ({:?})\n{}", s.name, s.status, s.log))
            .collect()
    }
}

/// Resolves `${{ inputs.X }}` and `${{ steps.ID.outputs.X }}` in `text`; any other expression
/// is a test failure (the action must stay within what this harness understands).
fn resolve(
    text: &str,
    inputs: &BTreeMap<String, String>,
    steps: &BTreeMap<String, BTreeMap<String, String>>,
) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("}}")
            .unwrap_or_else(|| panic!("unclosed expression in {text:?}"))
            + start;
        let expr = rest[start + 3..end].trim();
        let parts: Vec<&str> = expr.split('.').collect();
        let value = match parts.as_slice() {
            ["inputs", name] => inputs
                .get(*name)
                .unwrap_or_else(|| panic!("{expr}: action.yml declares no such input"))
                .clone(),
            ["steps", id, "outputs", name] => steps
                .get(*id)
                .and_then(|o| o.get(*name))
                .cloned()
                .unwrap_or_default(),
            _ => panic!("expression {expr:?} is not one this test resolves"),
        };
        out.push_str(&value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Parses `name=value` lines (the runner's format; heredoc values are not used by the action).
fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let (k, v) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("GITHUB_OUTPUT line is not name=value: {line:?}"));
        assert!(
            !k.contains("<<"),
            "heredoc outputs are not expected: {line:?}"
        );
        map.insert(k.to_string(), v.to_string());
    }
    map
}

/// Runs the action's steps like the runner does. `workspace` is the step's working directory
/// (GITHUB_WORKSPACE); `seed` pre-sets step outputs for runs that start later in the action;
/// `only` restricts which steps run (by name), for testing one step on its own.
fn run_action(
    given: &[(&str, &str)],
    workspace: &Path,
    seed: &[(&str, &str, &str)],
    only: Option<&[&str]>,
) -> ActionRun {
    let action = action();
    let mut inputs = BTreeMap::new();
    for (name, spec) in action["inputs"].as_mapping().expect("inputs") {
        inputs.insert(str_of(name), str_of(&spec["default"]));
    }
    for (k, v) in given {
        assert!(inputs.contains_key(*k), "action.yml has no input {k}");
        inputs.insert(k.to_string(), v.to_string());
    }
    let mut step_outputs: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (id, k, v) in seed {
        step_outputs
            .entry(id.to_string())
            .or_default()
            .insert(k.to_string(), v.to_string());
    }
    assert_eq!(str_of(&action["runs"]["using"]), "composite");
    let temp = tempfile::tempdir().unwrap();
    let runner_temp = temp.path().join("runner-temp");
    std::fs::create_dir_all(&runner_temp).unwrap();
    let mut runs = Vec::new();
    let mut summary = String::new();
    let mut failed = false;
    let steps = action["runs"]["steps"].as_sequence().expect("steps");
    for (i, step) in steps.iter().enumerate() {
        let name = step["name"]
            .as_str()
            .map(String::from)
            .unwrap_or(format!("step {i}"));
        if only.is_some_and(|names| !names.contains(&name.as_str())) {
            continue;
        }
        let condition = step["if"].as_str().map(str::trim);
        let wanted = match condition {
            None => !failed,
            Some("always()") => true,
            Some(c) if step["uses"].is_string() => {
                // Not executed anyway; only make sure it is a condition we would expect.
                assert!(
                    c.starts_with("always()") || c == "steps.bin-cache.outputs.cache-hit != 'true'",
                    "unexpected if: {c}"
                );
                true
            }
            Some(c) => panic!("step {name:?}: if: {c:?} is not one this test evaluates"),
        };
        if step["uses"].is_string() || !wanted {
            runs.push(StepRun {
                name,
                status: None,
                log: String::new(),
            });
            continue;
        }
        assert_eq!(
            step["shell"].as_str(),
            Some("bash"),
            "step {name:?} must use bash"
        );
        let script = step["run"].as_str().expect("a run: or uses: step");
        assert!(
            !script.contains("${{"),
            "step {name:?}: inputs reach scripts through env:, never ${{{{ }}}} in run:"
        );
        let dir = temp.path().join(format!("step{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        let (script_file, output_file, summary_file) = (
            dir.join("script.sh"),
            dir.join("output"),
            dir.join("summary"),
        );
        std::fs::write(&script_file, script).unwrap();
        std::fs::write(&output_file, "").unwrap();
        std::fs::write(&summary_file, "").unwrap();
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script_file)
            .current_dir(workspace)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_WORKSPACE", workspace)
            .env("GITHUB_ACTION_PATH", common::project_root())
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_STEP_SUMMARY", &summary_file)
            .env("RUNNER_TEMP", &runner_temp)
            .env("REFBENCH_BIN", env!("CARGO_BIN_EXE_refbench"))
            .env("REFBENCH_CACHE", common::shared_cache())
            .env_remove("REFBENCH_ROOT")
            .env_remove("REFBENCH_RUNS_DIR");
        if let Some(env) = step["env"].as_mapping() {
            for (k, v) in env {
                cmd.env(str_of(k), resolve(&str_of(v), &inputs, &step_outputs));
            }
        }
        let out = cmd.output().unwrap();
        let status = out.status.code().unwrap_or(-1);
        failed |= status != 0;
        let outputs = parse_outputs(&std::fs::read_to_string(&output_file).unwrap());
        if let Some(id) = step["id"].as_str() {
            step_outputs
                .entry(id.to_string())
                .or_default()
                .extend(outputs);
        }
        summary.push_str(&std::fs::read_to_string(&summary_file).unwrap());
        let log = format!("{}{}", common::text(&out.stdout), common::text(&out.stderr));
        runs.push(StepRun {
            name,
            status: Some(status),
            log,
        });
    }
    let mut outputs = BTreeMap::new();
    for (name, spec) in action["outputs"].as_mapping().expect("outputs") {
        let value = resolve(&str_of(&spec["value"]), &inputs, &step_outputs);
        outputs.insert(str_of(name), value);
    }
    ActionRun {
        steps: runs,
        outputs,
        summary,
        _temp: temp,
    }
}

/// Copies the folder `from` to `to`, caches left out.
fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "__pycache__" || name == ".pytest_cache" || name == "target" {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if entry.file_type().unwrap().is_dir() {
            copy(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// Copies the project's fixtures, bugs and harness into a fresh root.
fn copy_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["repos-fixtures", "seeded-bugs", "harness"] {
        copy(&common::project_root().join(sub), &dir.path().join(sub));
    }
    dir
}

const TASK: &str = "pyauth/consolidate-auth-service";

#[test]
fn validate_one_task_writes_the_summary_and_outputs() {
    let run = run_action(
        &[("command", "validate"), ("tasks", TASK)],
        &common::project_root(),
        &[],
        None,
    );
    let log = run.log();
    assert!(!run.failed(), "the action failed:\n{log}");
    assert!(
        run.step("Run refbench")
            .log
            .contains("ok   pyauth/consolidate-auth-service"),
        "{log}"
    );
    let run_id = run.output("run-id");
    let run_dir = PathBuf::from(run.output("run-dir"));
    assert!(!run_id.is_empty(), "no run-id output:\n{log}");
    assert!(run_id.contains("validate"), "{run_id}");
    assert_eq!(run_dir.file_name().unwrap().to_str(), Some(run_id));
    assert_eq!(run.output("exit-code"), "0");
    assert_eq!(run.output("artifact-name"), format!("refbench-{run_id}"));
    // The step summary is the run's summary.md, whole.
    let summary_md = std::fs::read_to_string(run_dir.join("summary.md")).unwrap();
    assert_eq!(run.summary, summary_md);
    assert!(
        run.summary.contains(&format!("## refbench run `{run_id}`")),
        "{}",
        run.summary
    );
    assert!(run.summary.contains(TASK));
    // The run went to the action's own runs dir under RUNNER_TEMP, not into the checkout.
    assert!(
        !run_dir.starts_with(common::project_root()),
        "{}",
        run_dir.display()
    );
    // The build step took the test's binary; without REFBENCH_BIN it builds the release binary.
    assert!(
        run.step("Build refbench")
            .log
            .contains("using the prebuilt refbench"),
        "{log}"
    );
    let build = action()["runs"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["id"].as_str() == Some("build"))
        .map(|s| str_of(&s["run"]))
        .unwrap();
    assert!(build.contains("cargo build --release --locked"), "{build}");
    // The toolchain, cache and upload steps are `uses:` steps, skipped here.
    assert_eq!(run.step("Upload the run directory").status, None);
}

#[test]
fn broken_bug_toml_is_annotated_and_fails_the_step() {
    let project = copy_project();
    let bug = project
        .path()
        .join("seeded-bugs/pyauth/failed-login-lost-update/bug.toml");
    let text = std::fs::read_to_string(&bug).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[2].starts_with("kind = "),
        "line 3 of {} is {:?}",
        bug.display(),
        lines[2]
    );
    std::fs::write(&bug, text.replacen(lines[2], "kind = \"race\"", 1)).unwrap();
    // Run from the real checkout; the project is found through working-directory.
    let run = run_action(
        &[
            ("command", "validate"),
            ("tasks", TASK),
            ("working-directory", project.path().to_str().unwrap()),
        ],
        &common::project_root(),
        &[],
        None,
    );
    let log = run.log();
    assert!(run.failed(), "{log}");
    let step = run.step("Run refbench");
    assert_eq!(step.status, Some(2), "{log}");
    assert!(
        step.log
            .contains("::error file=seeded-bugs/pyauth/failed-login-lost-update/bug.toml,line=3::"),
        "no annotation on the bug.toml:\n{log}"
    );
    assert_eq!(run.output("exit-code"), "2");
    assert_eq!(run.output("run-id"), "");
    // The summary step still runs (if: always()) and says why there is no run.
    assert_eq!(run.step("Write the job summary").status, Some(0), "{log}");
    assert!(run.summary.contains("No run summary"), "{}", run.summary);
}

#[test]
fn run_with_fail_under_sets_resolve_rate_and_fails_below_it() {
    let run = run_action(
        &[
            ("command", "run"),
            ("tasks", TASK),
            ("models", "gold,empty"),
            ("samples", "1"),
            ("fail-under", "0.6"),
        ],
        &common::project_root(),
        &[],
        None,
    );
    let log = run.log();
    assert_eq!(run.step("Run refbench").status, Some(1), "{log}");
    assert_eq!(run.output("resolve-rate"), "0.5000", "{log}");
    assert_eq!(run.output("exit-code"), "1");
    let run_id = run.output("run-id");
    assert!(!run_id.is_empty(), "{log}");
    assert!(
        run.summary.contains(&format!("## refbench run `{run_id}`")),
        "{}",
        run.summary
    );
    assert!(
        run.summary.contains("| gold | 1 | 1 | 100.0% |"),
        "{}",
        run.summary
    );
}

#[test]
fn run_with_a_config_evaluates_the_models_it_defines() {
    let workspace = copy_project();
    let root = workspace.path();
    // A replay model from the config: the hand-written example replies, under another name.
    let replies = common::project_root().join("examples/replies/pyauth");
    std::fs::create_dir_all(root.join("ci/replies/pyauth")).unwrap();
    for entry in std::fs::read_dir(&replies).unwrap().flatten() {
        std::fs::copy(
            entry.path(),
            root.join("ci/replies/pyauth").join(entry.file_name()),
        )
        .unwrap();
    }
    common::write(
        root,
        "ci/models.toml",
        "[[model]]\nname = \"replayed\"\nprovider = \"replay\"\nfile = \"replies\"\n",
    );
    let run = run_action(
        &[
            ("command", "run"),
            ("tasks", TASK),
            ("models", "replayed"),
            ("config", "ci/models.toml"),
        ],
        root,
        &[],
        None,
    );
    let log = run.log();
    assert!(!run.failed(), "the action failed:\n{log}");
    assert!(
        run.step("Run refbench")
            .log
            .contains("--config ci/models.toml run --task"),
        "{log}"
    );
    assert!(run.summary.contains("| replayed | 1 |"), "{}", run.summary);
}

#[test]
fn bad_inputs_fail_before_anything_is_built() {
    for (inputs, message) in [
        (
            &[("config", "ci/no-such.toml")][..],
            "input config names 'ci/no-such.toml', which is not a file under working-directory",
        ),
        (
            &[("command", "validate"), ("config", "refbench.toml")][..],
            "input config applies to command run only",
        ),
        (
            &[("command", "evaluate")][..],
            "input command must be validate or run",
        ),
        (
            &[("command", "validate"), ("models", "gold")][..],
            "input models applies to command run only",
        ),
        (&[("shard", "0/4")][..], "input shard must be I/N"),
        (
            &[("fail-under", "50%")][..],
            "input fail-under must be a fraction",
        ),
    ] {
        let run = run_action(inputs, &common::project_root(), &[], None);
        let log = run.log();
        let check = run.step("Check inputs");
        assert_eq!(check.status, Some(1), "{inputs:?}:\n{log}");
        assert!(
            check.log.contains("::error title=refbench action::"),
            "{log}"
        );
        assert!(
            check.log.contains(message),
            "{inputs:?}: expected {message:?} in\n{log}"
        );
        assert_eq!(run.step("Build refbench").status, None, "{log}");
        assert_eq!(run.step("Run refbench").status, None, "{log}");
    }
}

#[test]
fn a_summary_over_one_mib_is_cut_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let row = "| pyauth/consolidate-auth-service | gold | 0 | resolved | FULL | 15/15 | 62/62 | passed \u{2713} |\n";
    let big = row.repeat(2 * 1024 * 1024 / row.len());
    std::fs::write(dir.path().join("summary.md"), &big).unwrap();
    let run = run_action(
        &[],
        &common::project_root(),
        &[
            ("run", "run-dir", dir.path().to_str().unwrap()),
            ("run", "exit-code", "0"),
        ],
        Some(&["Write the job summary"]),
    );
    assert_eq!(
        run.step("Write the job summary").status,
        Some(0),
        "{}",
        run.log()
    );
    assert!(
        run.summary.len() < 1024 * 1024,
        "{} bytes",
        run.summary.len()
    );
    assert!(
        run.summary.len() > 1000 * 1024,
        "{} bytes",
        run.summary.len()
    );
    let (kept, note) = run
        .summary
        .split_once("\n\n> **summary.md truncated**")
        .expect("a note");
    // Only whole rows are kept.
    assert!(kept.lines().all(|l| l == row.trim_end()), "a row was cut");
    assert!(note.contains(&big.len().to_string()), "{note}");
}

/// Every `uses:` of another repository is pinned to a full commit SHA with a version comment.
#[test]
fn actions_are_pinned_by_commit_sha() {
    let root = common::project_root();
    let mut files = vec![root.join("action.yml")];
    for entry in std::fs::read_dir(root.join(".github/workflows")).unwrap() {
        files.push(entry.unwrap().path());
    }
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for line in text.lines() {
            let Some(rest) = line
                .trim_start()
                .trim_start_matches("- ")
                .strip_prefix("uses:")
            else {
                continue;
            };
            let rest = rest.trim();
            if rest.starts_with("./") {
                continue;
            }
            let (reference, comment) = rest.split_once(" # ").unwrap_or((rest, ""));
            let (_, sha) = reference.trim().split_once('@').expect("owner/repo@ref");
            assert!(
                sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()),
                "{}: {line:?} is not pinned by a full commit SHA",
                file.display()
            );
            assert!(
                !comment.trim().is_empty(),
                "{}: {line:?} has no version comment",
                file.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} uses: lines found");
}

/// Inputs reach scripts through env:, so no workflow `run:` holds an expression either.
#[test]
fn no_expressions_inside_workflow_scripts() {
    let dir = common::project_root().join(".github/workflows");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let workflow: Value =
            serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for (job, spec) in workflow["jobs"].as_mapping().unwrap() {
            for step in spec["steps"].as_sequence().unwrap() {
                if let Some(script) = step["run"].as_str() {
                    assert!(
                        !script.contains("${{"),
                        "{} job {job:?}: ${{{{ }}}} inside run:",
                        path.display()
                    );
                }
            }
        }
    }
}

/// The action's self-test workflow (.github/workflows/action-selftest.yml), run here as far as
/// a machine without GitHub can: the inputs its `uses: ./` step gives go to the action (with
/// the workflow's own config file, in a copy of the project), then its check step's own
/// script runs with the action's outputs and must pass. Checking out and installing
/// python3-venv are left to the runner.
#[test]
fn the_self_test_workflow_passes_its_own_checks() {
    let path = common::project_root().join(".github/workflows/action-selftest.yml");
    let workflow: Value = serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let steps = workflow["jobs"]["selftest"]["steps"]
        .as_sequence()
        .expect("the selftest job's steps");
    let uses_action = steps
        .iter()
        .find(|s| s["uses"].as_str() == Some("./"))
        .expect("a step that uses ./");
    let id = uses_action["id"].as_str().expect("the action step's id");
    let inputs: Vec<(String, String)> = uses_action["with"]
        .as_mapping()
        .expect("the action step's inputs")
        .iter()
        .map(|(k, v)| (str_of(k), str_of(v)))
        .collect();
    let workspace = copy_project();
    let root = workspace.path();
    for sub in [".github", "examples"] {
        copy(&common::project_root().join(sub), &root.join(sub));
    }
    let given: Vec<(&str, &str)> = inputs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let run = run_action(&given, root, &[], None);
    assert!(!run.failed(), "the action failed:\n{}", run.log());

    let check = steps
        .iter()
        .find(|s| s["run"].is_string() && s["env"].is_mapping())
        .expect("the workflow's check step");
    let prefix = format!("${{{{ steps.{id}.outputs.");
    let mut cmd = Command::new("bash");
    cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
        .arg(check["run"].as_str().unwrap())
        .current_dir(root);
    for (k, v) in check["env"].as_mapping().unwrap() {
        let v = str_of(v);
        let name = v
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(" }}"))
            .unwrap_or_else(|| {
                panic!(
                    "the check step's {} is not an output of {id}: {v}",
                    str_of(k)
                )
            });
        cmd.env(str_of(k), run.output(name));
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "the workflow's check step failed:\n{}{}\n{}",
        common::text(&out.stdout),
        common::text(&out.stderr),
        run.log()
    );
}
