//! Agent mode: the model works the task in the attempt's tree with tools, turn after turn,
//! until it submits, stops calling tools, or a limit ends it.
//!
//! In: the [`Model`] (a provider model in agent mode, or a built-in agent, `oracle` or `nop`),
//! an [`AgentJob`] (the task, the attempt's tree and private scratch folder, the toolchain
//! whose sandbox and environment the task's tests use, the sample index, the attempt's id).
//! Out: an [`AgentRun`]: the [`AgentInfo`] for the record (how it stopped, turns, tool calls),
//! usage summed over turns, HTTP requests, the ATIF [`Trajectory`] of every step, and the
//! error that ended the loop if one did (a provider failure after its retries is a model
//! error; a command the sandbox cannot start is a harness error).
//!
//! The model gets the task's text (statement, requirements, interface; no packed context: it
//! explores) and three tools ([`tool_specs`]): `shell` (bash in the tree, in the tests'
//! sandbox, state kept between calls: [`shell`]), `editor` (view / create / str_replace,
//! confined to the tree: [`editor`]) and `submit`. Hidden tests, detectors and the gold patch
//! are not in the tree: they arrive only when the run grades the final tree, which
//! [`diff::tree_diff`] turns into the patch.
//!
//! Limits ([`crate::model::tools::AgentLimits`], refbench.toml's `[agent]`): turns and wall time are checked before
//! each turn; output tokens and cost after each turn (the turn that reaches one is recorded,
//! its calls are not run); the per-command time kills a command and tells the model, and the
//! loop goes on. A bad tool call (arguments that do not parse, an unknown tool, a refused path)
//! is answered with an error result and the loop goes on.

pub mod diff;
pub mod editor;
pub mod shell;
pub mod trajectory;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::catalog::{Language, Task};
use crate::model::tools::{
    AgentInfo, AgentStop, BuiltinAgent, LimitKind, Message, ToolCall, ToolResult, ToolSpec,
    TurnReply,
};
use crate::model::{AskInfo, Model, ModelError, StopReason, Usage};
use crate::sandbox::SandboxError;
use crate::toolchain::Toolchain;
use trajectory::{
    AgentMeta, AtifToolCall, FinalMetrics, Metrics, Observation, ObservationResult, Source, Step,
    StepExtra, Trajectory, TrajectoryExtra,
};

/// Bumped whenever the instructions or the tools change meaning; hashed into the attempt's
/// `ask.prompt_hash`.
pub const AGENT_TEMPLATE_VERSION: &str = "refbench-agent-v1";

const SYSTEM: &str = "You are a senior engineer working on an existing codebase, checked out \
in your current directory. Make the change you are asked for across every file it touches, \
keep the code's behaviour otherwise, and fix any defect you find on the way (this codebase is \
concurrent: look for races). Use the `shell` tool to explore and to run the visible tests, and \
the `editor` tool to view and change files. There is no network. Hidden tests will check your \
work after you finish; do not change or delete tests. When you are done, call `submit`: your \
working tree as it is then is graded.";

/// The tools offered to every agent.
pub fn tool_specs() -> Vec<ToolSpec> {
    vec![
        ToolSpec {
            name: "shell",
            description: "Run a bash command in the repository. The working directory, exported variables and functions persist between calls; background processes do not. Output (stdout and stderr) is cut in the middle past a limit, and each command has a time limit.",
            parameters: json!({"type": "object",
                "properties": {"command": {"type": "string", "description": "The bash command line."}},
                "required": ["command"]}),
        },
        ToolSpec {
            name: "editor",
            description: "View, create or edit a file. Paths are relative to the repository root. `view` shows a file with line numbers (optionally `view_range` [first, last], last -1 for the end) or a folder's entries; `create` writes `file_text` to `path`; `str_replace` replaces `old_str`, which must occur exactly once, with `new_str`.",
            parameters: json!({"type": "object",
                "properties": {
                    "command": {"type": "string", "enum": ["view", "create", "str_replace"]},
                    "path": {"type": "string"},
                    "view_range": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
                    "file_text": {"type": "string"},
                    "old_str": {"type": "string"},
                    "new_str": {"type": "string"}},
                "required": ["command", "path"]}),
        },
        ToolSpec {
            name: "submit",
            description: "Finish: the working tree as it is now is graded. Call it once, when you are done.",
            parameters: json!({"type": "object", "properties": {}}),
        },
    ]
}

/// Hash of the agent's instructions and tools (16 hex digits).
pub fn template_hash() -> String {
    let mut h = Sha256::new();
    h.update(AGENT_TEMPLATE_VERSION.as_bytes());
    h.update([0]);
    h.update(SYSTEM.as_bytes());
    for t in tool_specs() {
        h.update([0]);
        h.update(t.name.as_bytes());
        h.update(t.description.as_bytes());
        h.update(t.parameters.to_string().as_bytes());
    }
    format!("{:x}", h.finalize())[..16].to_string()
}

/// The user message: the task's text and how to run its visible tests.
pub fn task_message(task: &Task) -> String {
    let requirements: Vec<String> = task.requirements.iter().map(|r| format!("- {r}")).collect();
    let tests = match task.language {
        Language::Python => "python -m pytest",
        Language::Rust => "cargo test --offline",
    };
    format!(
        "# Task\n\n{}\n\n# Requirements\n\n{}\n\n# Interface\n\nHidden tests will call:\n\n```\n{}\n```\n\n# Tests\n\nRun the visible tests with `{tests}`.\n",
        task.statement.trim(),
        requirements.join("\n"),
        task.interface.trim()
    )
}

/// One agent attempt's inputs.
pub struct AgentJob<'a> {
    /// The task.
    pub task: &'a Task,
    /// The attempt's tree (a checkout of the base, without hidden tests).
    pub repo: &'a Path,
    /// A private folder outside the tree (HOME, TMPDIR, the shell's state).
    pub scratch: &'a Path,
    /// The sandbox and environment of the task's tests.
    pub toolchain: &'a Toolchain,
    /// The sample index (part of every turn's cache key).
    pub sample: u32,
    /// The attempt's id (the trajectory's session id).
    pub attempt_id: String,
}

/// What ended the loop early.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The provider failed (after its retries), or the model cannot hold a conversation.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A command could not be started in the sandbox (a harness error).
    #[error("agent shell: {0}")]
    Sandbox(#[from] SandboxError),
    /// The scratch folder could not be prepared.
    #[error("agent scratch folder {path}: {message}")]
    Setup {
        /// The folder.
        path: String,
        /// The cause.
        message: String,
    },
}

/// A finished agent loop.
#[derive(Debug)]
pub struct AgentRun {
    /// How it stopped, turns, calls (`None` when an error ended it).
    pub info: Option<AgentInfo>,
    /// How the replies were obtained, for the attempt's record.
    pub ask: AskInfo,
    /// Usage summed over turns (a field is `None` when a turn did not report it).
    pub usage: Option<Usage>,
    /// Every step.
    pub trajectory: Trajectory,
    /// What ended the loop early.
    pub error: Option<AgentError>,
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Adds a turn's usage to the total: a count stays known only while every turn reported it.
fn add_usage(total: &mut Option<Usage>, turn: Option<&Usage>, first: bool) {
    let sum = |a: Option<u64>, b: Option<u64>| a.zip(b).map(|(a, b)| a + b);
    let t = turn.cloned().unwrap_or_default();
    *total = Some(match (total.take(), first) {
        (_, true) => t,
        (None, false) => t,
        (Some(u), false) => Usage {
            input_tokens: sum(u.input_tokens, t.input_tokens),
            cached_input_tokens: sum(u.cached_input_tokens, t.cached_input_tokens),
            cache_write_tokens: sum(u.cache_write_tokens, t.cache_write_tokens),
            output_tokens: sum(u.output_tokens, t.output_tokens),
            reasoning_tokens: sum(u.reasoning_tokens, t.reasoning_tokens),
            cost_usd: u.cost_usd.zip(t.cost_usd).map(|(a, b)| a + b),
        },
    });
}

/// The scripted turn `turn` (0-based) of a built-in agent.
fn scripted_turn(agent: BuiltinAgent, task: &Task, turn: u32) -> TurnReply {
    let call = |id: &str, name: &str, args: Value| ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: args.to_string(),
    };
    const GOLD_FILE: &str = ".refbench-gold.patch";
    let (text, calls) = match (agent, turn) {
        (BuiltinAgent::Nop, _) => ("Nothing to do.", vec![]),
        (BuiltinAgent::Oracle, 0) => {
            let mut gold = task.gold_patch.clone();
            if !gold.ends_with('\n') {
                gold.push('\n');
            }
            (
                "Writing the gold patch.",
                vec![call(
                    "oracle-1",
                    "editor",
                    json!({"command": "create", "path": GOLD_FILE, "file_text": gold}),
                )],
            )
        }
        (BuiltinAgent::Oracle, 1) => (
            "Applying it.",
            vec![call(
                "oracle-2",
                "shell",
                json!({"command": format!("git apply --whitespace=nowarn {GOLD_FILE}; s=$?; rm -f {GOLD_FILE}; exit $s")}),
            )],
        ),
        (BuiltinAgent::Oracle, _) => ("Done.", vec![call("oracle-3", "submit", json!({}))]),
    };
    TurnReply {
        text: text.into(),
        stop: if calls.is_empty() {
            StopReason::Complete
        } else {
            StopReason::ToolUse
        },
        calls,
        usage: None,
        http_requests: 0,
        transport: None,
    }
}

/// Cuts `text` to `cap` bytes, keeping its first and last halves and marking the cut.
fn cap_text(text: String, cap: usize) -> String {
    crate::fsutil::cut_middle(&text, cap, |n| {
        format!("\n[refbench: {n} bytes of output cut here]\n")
    })
}

/// The result of one call, and whether it was `submit`.
struct CallOutcome {
    result: ToolResult,
    submitted: bool,
    timed_out: bool,
}

fn run_call(
    call: &ToolCall,
    job: &AgentJob<'_>,
    shell: &shell::Shell<'_>,
    timeout: Duration,
    cap: usize,
) -> Result<CallOutcome, SandboxError> {
    let reply = |output: String, is_error: bool| CallOutcome {
        result: ToolResult {
            call_id: call.id.clone(),
            output: cap_text(output, cap),
            is_error,
        },
        submitted: false,
        timed_out: false,
    };
    let args: Result<Value, _> = if call.arguments.trim().is_empty() {
        Ok(json!({}))
    } else {
        serde_json::from_str(&call.arguments)
    };
    let args = match args {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) | Err(_) => {
            return Ok(reply(
                format!(
                    "the arguments are not a JSON object: {}",
                    cap_text(call.arguments.clone(), 200)
                ),
                true,
            ))
        }
    };
    Ok(match call.name.as_str() {
        "shell" => match args.get("command").and_then(Value::as_str) {
            None => reply(
                "`shell` takes {\"command\": \"...\"} (a string)".into(),
                true,
            ),
            Some(command) => {
                let out = shell.run(command, timeout)?;
                let mut outcome = reply(out.for_model(timeout), out.exit_code != Some(0));
                outcome.timed_out = out.timed_out;
                outcome
            }
        },
        "editor" => match serde_json::from_value::<editor::EditorCall>(args) {
            Err(e) => reply(format!("bad `editor` arguments: {e}"), true),
            Ok(c) => match editor::run_editor(job.repo, &c) {
                Ok(text) => reply(text, false),
                Err(e) => reply(e.to_string(), true),
            },
        },
        "submit" => CallOutcome {
            submitted: true,
            ..reply("submitted".into(), false)
        },
        other => reply(
            format!("unknown tool `{other}`; the tools are shell, editor and submit"),
            true,
        ),
    })
}

/// Runs the loop for `model` on `job`.
pub fn run_agent(model: &Model, job: &AgentJob<'_>) -> AgentRun {
    let limits = model.agent_limits();
    let started = Instant::now();
    let builtin = model.builtin_agent();
    let tools = tool_specs();
    let user = task_message(job.task);
    let mut steps = vec![
        Step {
            step_id: 1,
            timestamp: now(),
            source: Source::System,
            message: SYSTEM.into(),
            model_name: None,
            tool_calls: vec![],
            observation: None,
            metrics: None,
            extra: None,
        },
        Step {
            step_id: 2,
            timestamp: now(),
            source: Source::User,
            message: user.clone(),
            model_name: None,
            tool_calls: vec![],
            observation: None,
            metrics: None,
            extra: None,
        },
    ];
    let mut messages = vec![Message::User { text: user }];
    let mut usage: Option<Usage> = None;
    let mut ask = AskInfo {
        prompt_hash: Some(template_hash()),
        cached: builtin.is_none(),
        ..AskInfo::default()
    };
    let (mut turns, mut calls_run, mut timeouts) = (0u32, 0u32, 0u32);
    let (mut out_tokens, mut cost) = (0u64, 0f64);
    let mut error = None;
    let shell = shell::Shell::new(
        job.task,
        job.repo,
        job.scratch,
        job.toolchain,
        limits.output_cap_bytes,
    );
    let stop: Option<AgentStop> = match shell {
        Err(e) => {
            error = Some(AgentError::Setup {
                path: job.scratch.display().to_string(),
                message: e.to_string(),
            });
            None
        }
        Ok(shell) => loop {
            let wall = Duration::from_secs(limits.max_wall_secs);
            if started.elapsed() >= wall {
                break Some(AgentStop::Limit(LimitKind::WallTime));
            }
            if turns >= limits.max_turns {
                break Some(AgentStop::Limit(LimitKind::Turns));
            }
            let t = Instant::now();
            let reply = match builtin {
                Some(agent) => Ok(scripted_turn(agent, job.task, turns)),
                None => model.turn(job.sample, SYSTEM, &messages, &tools),
            };
            let model_ms = t.elapsed().as_millis() as u64;
            let reply = match reply {
                Ok(r) => r,
                Err(e) => {
                    error = Some(AgentError::Model(e));
                    break None;
                }
            };
            turns += 1;
            add_usage(&mut usage, reply.usage.as_ref(), turns == 1);
            if let Some(u) = &reply.usage {
                out_tokens += u.output_tokens.unwrap_or(0);
                cost += u.cost_usd.unwrap_or(0.0);
            }
            ask.http_requests += reply.http_requests;
            ask.cached &= reply.transport.is_none();
            ask.transport = reply.transport.or(ask.transport);
            ask.stop_reason = Some(reply.stop);
            let limit_hit = if out_tokens >= limits.max_output_tokens {
                Some(LimitKind::OutputTokens)
            } else if cost >= limits.max_cost_usd {
                Some(LimitKind::CostUsd)
            } else {
                None
            };
            let mut step = Step {
                step_id: steps.len() as u32 + 1,
                timestamp: now(),
                source: Source::Agent,
                message: reply.text.clone(),
                model_name: Some(model.name().to_string()),
                tool_calls: reply
                    .calls
                    .iter()
                    .map(|c| AtifToolCall {
                        tool_call_id: c.id.clone(),
                        function_name: c.name.clone(),
                        arguments: serde_json::from_str(&c.arguments)
                            .unwrap_or_else(|_| Value::String(c.arguments.clone())),
                    })
                    .collect(),
                observation: None,
                metrics: reply.usage.as_ref().map(Metrics::of),
                extra: Some(StepExtra {
                    model_ms,
                    tools_ms: 0,
                    http_requests: reply.http_requests,
                    cached: builtin.is_none() && reply.transport.is_none(),
                    stop_reason: Some(reply.stop),
                    errors: vec![],
                }),
            };
            if let Some(limit) = limit_hit {
                steps.push(step);
                break Some(AgentStop::Limit(limit));
            }
            if reply.calls.is_empty() {
                steps.push(step);
                break Some(if reply.stop == StopReason::Truncated {
                    AgentStop::Truncated
                } else {
                    AgentStop::NoToolCall
                });
            }
            let t = Instant::now();
            let mut results = Vec::new();
            let mut submitted = false;
            for call in &reply.calls {
                if submitted {
                    results.push(ToolResult {
                        call_id: call.id.clone(),
                        output: "not run: `submit` came first".into(),
                        is_error: true,
                    });
                    continue;
                }
                let remaining = wall.saturating_sub(started.elapsed());
                let timeout = Duration::from_secs(limits.command_timeout_secs)
                    .min(remaining)
                    .max(Duration::from_secs(1));
                match run_call(call, job, &shell, timeout, limits.output_cap_bytes) {
                    Ok(outcome) => {
                        calls_run += 1;
                        timeouts += u32::from(outcome.timed_out);
                        submitted |= outcome.submitted;
                        results.push(outcome.result);
                    }
                    Err(e) => {
                        error = Some(AgentError::Sandbox(e));
                        break;
                    }
                }
            }
            if let Some(x) = step.extra.as_mut() {
                x.tools_ms = t.elapsed().as_millis() as u64;
                x.errors = results.iter().map(|r| r.is_error).collect();
            }
            step.observation = Some(Observation {
                results: results
                    .iter()
                    .map(|r| ObservationResult {
                        source_call_id: r.call_id.clone(),
                        content: r.output.clone(),
                    })
                    .collect(),
            });
            steps.push(step);
            if error.is_some() {
                break None;
            }
            messages.push(Message::Assistant {
                text: reply.text,
                calls: reply.calls,
            });
            messages.push(Message::ToolResults { results });
            if submitted {
                break Some(AgentStop::Submitted);
            }
        },
    };
    if builtin.is_some() || turns == 0 {
        ask.cached = false;
    }
    let info = stop.map(|stop| AgentInfo {
        stop,
        turns,
        tool_calls: calls_run,
        command_timeouts: timeouts,
        wall_ms: started.elapsed().as_millis() as u64,
    });
    ask.agent = info.clone();
    let total = usage.clone().filter(|_| builtin.is_none());
    let trajectory = Trajectory {
        schema_version: trajectory::SCHEMA_VERSION.into(),
        session_id: job.attempt_id.clone(),
        agent: AgentMeta {
            name: "refbench".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            model_name: model.name().to_string(),
        },
        final_metrics: FinalMetrics {
            total_prompt_tokens: total.as_ref().and_then(|u| u.input_tokens),
            total_completion_tokens: total.as_ref().and_then(|u| u.output_tokens),
            total_cached_tokens: total.as_ref().and_then(|u| u.cached_input_tokens),
            total_cost_usd: total.as_ref().and_then(|u| u.cost_usd),
            total_steps: steps.len() as u32,
        },
        steps,
        extra: TrajectoryExtra {
            stop,
            error: error.as_ref().map(|e| e.to_string()),
            limits,
        },
    };
    AgentRun {
        info,
        ask,
        usage: total,
        trajectory,
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_sums_and_unknown_stays_unknown() {
        let u = |i, o| Usage {
            input_tokens: Some(i),
            output_tokens: Some(o),
            cost_usd: Some(0.5),
            ..Usage::default()
        };
        let mut total = None;
        add_usage(&mut total, Some(&u(10, 2)), true);
        add_usage(&mut total, Some(&u(30, 5)), false);
        let t = total.clone().unwrap();
        assert_eq!(
            (t.input_tokens, t.output_tokens, t.cost_usd),
            (Some(40), Some(7), Some(1.0))
        );
        assert_eq!(t.cached_input_tokens, None);
        add_usage(&mut total, None, false);
        assert_eq!(total.unwrap().input_tokens, None);
    }

    #[test]
    fn long_text_is_cut_in_the_middle_on_char_boundaries() {
        let text = "é".repeat(1000);
        let cut = cap_text(text, 301);
        assert!(cut.contains("bytes of output cut here"));
        assert!(cut.starts_with('é') && cut.ends_with('é'));
        assert_eq!(cap_text("short".into(), 300), "short");
    }

    #[test]
    fn the_template_hash_is_stable() {
        assert_eq!(template_hash(), template_hash());
        assert_eq!(template_hash().len(), 16);
    }
}
