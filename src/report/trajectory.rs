//! An agent attempt's trajectory in report.html: a collapsible list of its steps.
//!
//! In: the attempt's `trajectory.json` artifact (ATIF, as `crate::agent::trajectory` writes
//! it). Out: an HTML fragment: one `<details>` for the whole trajectory (how the loop ended,
//! steps, tokens, cost) holding one `<details>` per step (its source, tool names, tokens,
//! times; the model's text, each call's arguments and the result it got back, errors marked).
//!
//! The page stays small whatever the agent did: each text is cut to [`TEXT_CAP`] bytes (head
//! and tail kept, the cut marked) and the fragment to [`FRAGMENT_CAP`] bytes; steps past that
//! are counted, not shown, and the full trajectory is the artifact beside the run. A
//! 100-step trajectory with long outputs renders under 200 KB (tested below).

use std::fmt::Write as _;
use std::path::Path;

use super::html::{capped_to, esc};
use crate::agent::trajectory::{Source, Step, Trajectory};
use crate::attempt::Artifact;

/// Bytes of any one text of a step (message, arguments, result) shown in the page.
pub const TEXT_CAP: usize = 600;

/// Bytes of one trajectory's fragment; steps that would go past it are left out (counted).
pub const FRAGMENT_CAP: usize = 150 * 1024;

/// The trajectory section of the attempt whose artifacts are in `dir`: `None` when the
/// attempt has no trajectory (a single-shot attempt), a warning line when it does not read.
pub fn trajectory_html(dir: &Path) -> Option<String> {
    let path = dir.join(Artifact::Trajectory.file_name());
    let text = std::fs::read_to_string(&path).ok()?;
    Some(match serde_json::from_str::<Trajectory>(&text) {
        Ok(t) => render_trajectory(&t),
        Err(e) => format!(
            "<p class=\"warn\">trajectory: {} does not read as ATIF: {}</p>",
            esc(&path.display().to_string()),
            esc(&e.to_string())
        ),
    })
}

fn cut(text: &str) -> String {
    esc(&capped_to(text, TEXT_CAP))
}

fn ending(t: &Trajectory) -> String {
    match (&t.extra.stop, &t.extra.error) {
        (Some(stop), _) => stop.to_string(),
        (None, Some(e)) => format!("model error: {e}"),
        (None, None) => "no ending recorded".into(),
    }
}

/// The whole fragment.
pub fn render_trajectory(t: &Trajectory) -> String {
    let m = &t.final_metrics;
    let tokens = match (m.total_prompt_tokens, m.total_completion_tokens) {
        (Some(i), Some(o)) => format!("{i} in / {o} out tokens"),
        _ => "tokens unknown".into(),
    };
    let cost = m
        .total_cost_usd
        .map(|c| format!(" &middot; ${c:.4}"))
        .unwrap_or_default();
    let mut out = format!(
        "<details class=\"trajectory\"><summary>Trajectory: {} steps &middot; {} &middot; {tokens}{cost}</summary><ol class=\"steps\">",
        t.steps.len(),
        esc(&ending(t))
    );
    let close = "</ol><p>The full trajectory: <code>trajectory.json</code> in this attempt's artifacts (ATIF).</p></details>";
    let mut left_out = 0;
    for step in &t.steps {
        let html = step_html(step);
        if left_out > 0 || out.len() + html.len() + close.len() + 200 > FRAGMENT_CAP {
            left_out += 1;
            continue;
        }
        out.push_str(&html);
    }
    if left_out > 0 {
        let _ = write!(
            out,
            "<li class=\"left-out\">{left_out} more steps not shown here (the page keeps {} KB per trajectory)</li>",
            FRAGMENT_CAP / 1024
        );
    }
    out.push_str(close);
    out
}

fn step_html(s: &Step) -> String {
    let source = match s.source {
        Source::System => "system",
        Source::User => "user",
        Source::Agent => "agent",
    };
    let mut summary = format!("step {} &middot; {source}", s.step_id);
    if !s.tool_calls.is_empty() {
        let names: Vec<&str> = s
            .tool_calls
            .iter()
            .map(|c| c.function_name.as_str())
            .collect();
        let _ = write!(summary, " &middot; {}", esc(&names.join(", ")));
    }
    if let Some(m) = &s.metrics {
        let n = |v: Option<u64>| v.map_or("?".into(), |v| v.to_string());
        let _ = write!(
            summary,
            " &middot; {} in / {} out",
            n(m.prompt_tokens),
            n(m.completion_tokens)
        );
    }
    if let Some(x) = &s.extra {
        let _ = write!(
            summary,
            " &middot; {} ms{}",
            x.model_ms + x.tools_ms,
            if x.cached { " (cached)" } else { "" }
        );
    }
    if s.calls().any(|c| c.is_error) {
        summary.push_str(" &middot; <span class=\"tool-error\">error</span>");
    }
    let mut body = String::new();
    if !s.message.trim().is_empty() {
        let _ = write!(
            body,
            "<pre class=\"message\">{}</pre>",
            cut(s.message.trim_end())
        );
    }
    for view in s.calls() {
        let _ = write!(
            body,
            "<p class=\"call\">&rarr; <code>{}</code></p><pre class=\"args\">{}</pre>",
            esc(&view.call.function_name),
            cut(&view.arguments_text())
        );
        if let Some(r) = view.result {
            let class = if view.is_error {
                "result tool-error"
            } else {
                "result"
            };
            let _ = write!(body, "<pre class=\"{class}\">{}</pre>", cut(&r.content));
        }
    }
    format!("<li><details><summary>{summary}</summary>{body}</details></li>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::trajectory::{
        AgentMeta, AtifToolCall, FinalMetrics, Metrics, Observation, ObservationResult, StepExtra,
        TrajectoryExtra,
    };

    fn agent_step(id: u32, output: &str, error: bool) -> Step {
        Step {
            step_id: id,
            timestamp: "2026-12-06T00:00:00Z".into(),
            source: Source::Agent,
            message: format!("Step {id}: I <look> at the tree & run the tests.\n{output}"),
            model_name: Some("m+agent".into()),
            tool_calls: vec![AtifToolCall {
                tool_call_id: format!("call_{id}"),
                function_name: "shell".into(),
                arguments: serde_json::json!({ "command": format!("cat src/<{id}>.py; {output}") }),
            }],
            observation: Some(Observation {
                results: vec![ObservationResult {
                    source_call_id: format!("call_{id}"),
                    content: output.into(),
                }],
            }),
            metrics: Some(Metrics {
                prompt_tokens: Some(1000 + id as u64),
                completion_tokens: Some(50),
                cached_tokens: None,
                cost_usd: Some(0.001),
            }),
            extra: Some(StepExtra {
                model_ms: 900,
                tools_ms: 100,
                http_requests: 1,
                cached: false,
                stop_reason: None,
                errors: vec![error],
            }),
        }
    }

    fn trajectory(steps: u32, output: &str) -> Trajectory {
        Trajectory {
            schema_version: crate::agent::trajectory::SCHEMA_VERSION.into(),
            session_id: "t__x__m+agent__s0".into(),
            agent: AgentMeta {
                name: "refbench".into(),
                version: "0".into(),
                model_name: "m+agent".into(),
            },
            steps: (1..=steps)
                .map(|i| agent_step(i, output, i % 7 == 0))
                .collect(),
            final_metrics: FinalMetrics {
                total_prompt_tokens: Some(123_456),
                total_completion_tokens: Some(5_000),
                total_cached_tokens: None,
                total_cost_usd: Some(0.1),
                total_steps: steps,
            },
            extra: TrajectoryExtra {
                stop: None,
                error: Some("provider gave up".into()),
                limits: Default::default(),
            },
        }
    }

    #[test]
    fn steps_are_collapsible_escaped_and_errors_marked() {
        let html = render_trajectory(&trajectory(7, "<b>out</b>"));
        assert!(html.starts_with("<details class=\"trajectory\"><summary>Trajectory: 7 steps"));
        assert!(html.contains("model error: provider gave up"), "{html}");
        assert_eq!(html.matches("<li><details>").count(), 7);
        assert!(
            html.contains("&lt;look&gt; at the tree &amp; run"),
            "{html}"
        );
        assert!(html.contains("&lt;b&gt;out&lt;/b&gt;"), "{html}");
        assert!(!html.contains("<b>out</b>"));
        assert_eq!(html.matches("result tool-error").count(), 1, "step 7 only");
        assert!(html.contains("1007 in / 50 out"), "{html}");
        assert!(html.ends_with("</details>"));
    }

    #[test]
    fn a_hundred_long_steps_stay_under_200_kb() {
        let long = "x".repeat(20_000) + &"<&>".repeat(3_000);
        let html = render_trajectory(&trajectory(100, &long));
        assert!(html.len() < 200 * 1024, "{} bytes", html.len());
        assert!(html.contains("bytes cut"), "long texts are cut, marked");
        // Short steps: every one is shown.
        let short = render_trajectory(&trajectory(100, "ok"));
        assert!(short.len() < 200 * 1024, "{} bytes", short.len());
        assert_eq!(short.matches("<li><details>").count(), 100);
        assert!(!short.contains("more steps not shown"));
    }

    #[test]
    fn steps_past_the_fragment_cap_are_counted_not_shown() {
        let long = "y".repeat(5_000);
        let html = render_trajectory(&trajectory(400, &long));
        assert!(html.len() <= FRAGMENT_CAP, "{} bytes", html.len());
        let shown = html.matches("<li><details>").count();
        assert!(shown > 10 && shown < 400, "{shown}");
        assert!(
            html.contains(&format!("{} more steps not shown here", 400 - shown)),
            "{html}"
        );
    }

    #[test]
    fn an_unreadable_trajectory_is_a_warning_and_none_is_nothing() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(trajectory_html(dir.path()), None);
        std::fs::write(dir.path().join("trajectory.json"), "{not json").unwrap();
        let html = trajectory_html(dir.path()).unwrap();
        assert!(html.contains("does not read as ATIF"), "{html}");
        let t = trajectory(2, "ok");
        std::fs::write(
            dir.path().join("trajectory.json"),
            serde_json::to_string(&t).unwrap(),
        )
        .unwrap();
        assert_eq!(trajectory_html(dir.path()).unwrap(), render_trajectory(&t));
    }
}
