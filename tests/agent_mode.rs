//! Agent mode end to end: the built-in agents on the mini project, and scripted multi-turn
//! tool conversations with each provider format (wiremock), through the real binary.

mod common;

use common::{attempt_records, mini_project, only_run, text};

#[test]
fn oracle_resolves_and_nop_does_not() {
    let project = mini_project();
    let root = project.path();
    let out = common::refbench_in(root, &["run", "--model", "oracle", "--model", "nop"]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let run = only_run(&root.join("runs"));
    let records = attempt_records(&run);
    let outcome = |model: &str| {
        records
            .iter()
            .find(|r| r["key"]["model"] == model)
            .unwrap_or_else(|| panic!("no {model} attempt: {records:?}"))
    };
    let oracle = outcome("oracle");
    assert_eq!(oracle["outcome"], "resolved", "{oracle}");
    assert_eq!(
        oracle["ask"]["agent"]["stop"]["kind"], "submitted",
        "{oracle}"
    );
    assert_eq!(oracle["ask"]["agent"]["turns"], 3);
    let nop = outcome("nop");
    assert_eq!(nop["outcome"], "unresolved", "{nop}");
    assert_eq!(nop["ask"]["agent"]["stop"]["kind"], "no-tool-call", "{nop}");

    // The trajectory is kept and `show --attempt` prints it.
    let id = "mini__add-sub__oracle__s0";
    let trajectory: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run.join("artifacts").join(id).join("trajectory.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(trajectory["schema_version"], "ATIF-v1.6");
    let steps = trajectory["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 5, "system, user, three agent turns");
    assert_eq!(steps[3]["tool_calls"][0]["function_name"], "shell");
    assert_eq!(
        steps[3]["observation"]["results"][0]["source_call_id"],
        steps[3]["tool_calls"][0]["tool_call_id"]
    );
    let run_id = run.file_name().unwrap().to_string_lossy().into_owned();
    let show = common::refbench_in(root, &["show", &run_id, "--attempt", "oracle"]);
    let shown = text(&show.stdout);
    assert!(show.status.success(), "{}", text(&show.stderr));
    assert!(
        shown.contains("agent: submitted after 3 turn(s)"),
        "{shown}"
    );
    assert!(shown.contains("-> shell("), "{shown}");
    assert!(shown.contains("git apply"), "{shown}");
    // The patch graded is the final tree's diff, without the gold file the oracle wrote.
    let patch =
        std::fs::read_to_string(run.join("artifacts").join(id).join("model.patch")).unwrap();
    assert!(patch.contains("calc/ops.py"), "{patch}");
    assert!(!patch.contains(".refbench-gold.patch"), "{patch}");
}
