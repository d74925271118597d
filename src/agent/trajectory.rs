//! The trajectory of an agent attempt: every step, in Harbor's Agent Trajectory Interchange
//! Format (ATIF), kept as the attempt's `trajectory.json` artifact.
//!
//! In: the steps the loop records (the task message, then one agent step per model turn with
//! its text, tool calls, their results, usage and times). Out: a [`Trajectory`] serialising
//! to ATIF-v1.6 JSON (`schema_version`, `session_id`, `agent`, `steps[]` with `step_id`,
//! `timestamp`, `source`, `message`, `tool_calls[]` {`tool_call_id`, `function_name`,
//! `arguments`}, `observation.results[]` {`source_call_id`, `content`}, `metrics`
//! {`prompt_tokens`, `completion_tokens`, `cached_tokens`, `cost_usd`}, and `final_metrics`),
//! and [`render`], the text `refbench show RUN --attempt ID` prints.
//!
//! What ATIF has no field for goes in its `extra` objects: per step the model's and the tools'
//! wall time, HTTP requests, whether the turn came from the response cache, the stop reason,
//! and per tool result whether it is an error; for the whole trajectory how the loop stopped
//! and the limits it ran under.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::tools::{AgentLimits, AgentStop};
use crate::model::{StopReason, Usage};

/// The ATIF version written.
pub const SCHEMA_VERSION: &str = "ATIF-v1.6";

/// A whole trajectory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trajectory {
    /// [`SCHEMA_VERSION`].
    pub schema_version: String,
    /// The attempt's id.
    pub session_id: String,
    /// Who acted.
    pub agent: AgentMeta,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Totals over the steps.
    pub final_metrics: FinalMetrics,
    /// How the loop stopped and its limits.
    pub extra: TrajectoryExtra,
}

/// The agent that made the trajectory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentMeta {
    /// `refbench`.
    pub name: String,
    /// refbench's version.
    pub version: String,
    /// The model's name in results.
    pub model_name: String,
}

/// Who a step came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The instructions.
    System,
    /// The task.
    User,
    /// A model turn (with the results of its tool calls).
    Agent,
}

/// One step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// 1-based.
    pub step_id: u32,
    /// RFC 3339 UTC.
    pub timestamp: String,
    /// Who.
    pub source: Source,
    /// The text.
    pub message: String,
    /// The model, on agent steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_name: Option<String>,
    /// Tool calls of an agent step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<AtifToolCall>,
    /// Their results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observation: Option<Observation>,
    /// The turn's usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Metrics>,
    /// Times and transport of an agent step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<StepExtra>,
}

/// One tool call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtifToolCall {
    /// The provider's call id.
    pub tool_call_id: String,
    /// The tool.
    pub function_name: String,
    /// The arguments (an object when they parsed, else the text as the model wrote it).
    pub arguments: Value,
}

/// The results of a step's calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// One per call, in order.
    pub results: Vec<ObservationResult>,
}

/// One result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservationResult {
    /// The call it answers.
    pub source_call_id: String,
    /// What the model was sent.
    pub content: String,
}

/// One tool call of a step as a reader sees it: the call, its arguments as text, the result it
/// got back (if any) and whether that result is an error.
#[derive(Debug, Clone, Copy)]
pub struct CallView<'a> {
    /// The call.
    pub call: &'a AtifToolCall,
    /// Its result, matched by call id.
    pub result: Option<&'a ObservationResult>,
    /// The result is an error.
    pub is_error: bool,
}

impl CallView<'_> {
    /// The arguments as the model wrote them (an object as compact JSON).
    pub fn arguments_text(&self) -> String {
        match &self.call.arguments {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        }
    }
}

impl Step {
    /// The step's tool calls in order, each with its result.
    pub fn calls(&self) -> impl Iterator<Item = CallView<'_>> {
        let results = self
            .observation
            .as_ref()
            .map(|o| &o.results[..])
            .unwrap_or(&[]);
        self.tool_calls
            .iter()
            .enumerate()
            .map(move |(i, call)| CallView {
                call,
                result: results
                    .iter()
                    .find(|r| r.source_call_id == call.tool_call_id),
                is_error: self
                    .extra
                    .as_ref()
                    .and_then(|x| x.errors.get(i).copied())
                    .unwrap_or(false),
            })
    }
}

/// A turn's usage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Input tokens (cached included).
    pub prompt_tokens: Option<u64>,
    /// Output tokens (reasoning included).
    pub completion_tokens: Option<u64>,
    /// Input tokens read from the provider's cache.
    pub cached_tokens: Option<u64>,
    /// Cost in USD.
    pub cost_usd: Option<f64>,
}

impl Metrics {
    /// From a turn's usage.
    pub fn of(u: &Usage) -> Metrics {
        Metrics {
            prompt_tokens: u.input_tokens,
            completion_tokens: u.output_tokens,
            cached_tokens: u.cached_input_tokens,
            cost_usd: u.cost_usd,
        }
    }
}

/// What an agent step has beyond ATIF's fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepExtra {
    /// Wall time of the model's turn.
    pub model_ms: u64,
    /// Wall time of the tool calls.
    pub tools_ms: u64,
    /// HTTP requests of the turn (0 from the cache or a built-in agent).
    pub http_requests: u32,
    /// Whether the turn came from the response cache.
    pub cached: bool,
    /// Why the model stopped generating.
    pub stop_reason: Option<StopReason>,
    /// Per result (same order): whether it is an error.
    #[serde(default)]
    pub errors: Vec<bool>,
}

/// Totals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FinalMetrics {
    /// Summed input tokens (`None` when a turn's count is unknown).
    pub total_prompt_tokens: Option<u64>,
    /// Summed output tokens.
    pub total_completion_tokens: Option<u64>,
    /// Summed cached input tokens.
    pub total_cached_tokens: Option<u64>,
    /// Summed cost.
    pub total_cost_usd: Option<f64>,
    /// Steps.
    pub total_steps: u32,
}

/// How the loop stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrajectoryExtra {
    /// Why it stopped (`None`: a model error ended it).
    pub stop: Option<AgentStop>,
    /// The model error that ended it, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The limits it ran under.
    pub limits: AgentLimits,
}

/// A plain-text view: one block per step, tool calls and results indented.
pub fn render(t: &Trajectory) -> String {
    let mut out = format!(
        "trajectory of {} ({} steps, {})\n",
        t.agent.model_name,
        t.steps.len(),
        match (&t.extra.stop, &t.extra.error) {
            (Some(stop), _) => stop.to_string(),
            (None, Some(e)) => format!("model error: {e}"),
            (None, None) => "no ending recorded".into(),
        }
    );
    for s in &t.steps {
        let source = match s.source {
            Source::System => "system",
            Source::User => "user",
            Source::Agent => "agent",
        };
        out.push_str(&format!("\n## step {} · {source}", s.step_id));
        if let Some(m) = &s.metrics {
            let n = |v: Option<u64>| v.map_or("?".into(), |v| v.to_string());
            out.push_str(&format!(
                " · {} in / {} out tokens",
                n(m.prompt_tokens),
                n(m.completion_tokens)
            ));
            if let Some(c) = m.cost_usd {
                out.push_str(&format!(" · ${c:.4}"));
            }
        }
        if let Some(x) = &s.extra {
            out.push_str(&format!(
                " · model {} ms, tools {} ms{}",
                x.model_ms,
                x.tools_ms,
                if x.cached { " · cached" } else { "" }
            ));
        }
        out.push('\n');
        if !s.message.trim().is_empty() {
            out.push_str(s.message.trim_end());
            out.push('\n');
        }
        for view in s.calls() {
            out.push_str(&format!(
                "  -> {}({})\n",
                view.call.function_name,
                view.arguments_text()
            ));
            if let Some(r) = view.result {
                let label = if view.is_error {
                    "  <- error: "
                } else {
                    "  <- "
                };
                for (j, line) in r.content.lines().enumerate() {
                    out.push_str(if j == 0 { label } else { "     " });
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
    }
    out
}
