//! Agent mode's settings and its record: which way a model attempts a task, the limits of an
//! agent attempt (the `[agent]` table of refbench.toml), and what the attempt's record says of
//! the loop (how it stopped, turns, tool calls).
//!
//! In: refbench.toml's `mode` key of a model and its `[agent]` table. Out: [`Mode`],
//! [`AgentLimits`] (validated), and the [`AgentInfo`] an agent attempt stores in its
//! [`super::super::AskInfo`]. The loop itself is the agent stage (agent/); these types live here because
//! the configuration and the attempt record, which sit below it, name them.

use serde::{Deserialize, Serialize};

/// How a model attempts a task.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// One packed prompt, one reply holding the edit.
    #[default]
    Single,
    /// A tool-calling loop in the attempt's tree (a shell, an editor, `submit`).
    Agent,
}

/// Limits of one agent attempt; the first one reached ends it and is named in its record.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgentLimits {
    /// Model turns (requests of the conversation, retries not counted).
    pub max_turns: u32,
    /// Output tokens summed over turns.
    pub max_output_tokens: u64,
    /// Cost in USD summed over turns (needs the entry's prices; unpriced turns count 0).
    pub max_cost_usd: f64,
    /// Wall time of the whole loop, in seconds (tool calls included).
    pub max_wall_secs: u64,
    /// Wall time of one shell command, in seconds: the command is killed and the model told.
    pub command_timeout_secs: u64,
    /// Bytes of a tool's output sent back to the model (the first and last part kept, the cut
    /// marked).
    pub output_cap_bytes: usize,
}

impl Default for AgentLimits {
    fn default() -> AgentLimits {
        AgentLimits {
            max_turns: 100,
            max_output_tokens: 400_000,
            max_cost_usd: 10.0,
            max_wall_secs: 3600,
            command_timeout_secs: 300,
            output_cap_bytes: 16 * 1024,
        }
    }
}

impl AgentLimits {
    /// The problems of the values, as (key, message) pairs.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let positive = "must be at least 1";
        if self.max_turns == 0 {
            out.push(("max_turns", positive.to_string()));
        }
        if self.max_output_tokens == 0 {
            out.push(("max_output_tokens", positive.to_string()));
        }
        if !(self.max_cost_usd.is_finite() && self.max_cost_usd > 0.0) {
            out.push((
                "max_cost_usd",
                format!(
                    "must be a positive number of USD, found {}",
                    self.max_cost_usd
                ),
            ));
        }
        if self.max_wall_secs == 0 {
            out.push(("max_wall_secs", positive.to_string()));
        }
        if self.command_timeout_secs == 0 {
            out.push(("command_timeout_secs", positive.to_string()));
        }
        if self.output_cap_bytes < 256 {
            out.push((
                "output_cap_bytes",
                "must be at least 256 (the cut marker alone takes some)".to_string(),
            ));
        }
        out
    }
}

/// A limit of an agent attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LimitKind {
    /// [`AgentLimits::max_turns`].
    Turns,
    /// [`AgentLimits::max_output_tokens`].
    OutputTokens,
    /// [`AgentLimits::max_cost_usd`].
    CostUsd,
    /// [`AgentLimits::max_wall_secs`].
    WallTime,
    /// [`AgentLimits::command_timeout_secs`] (ends a command, never the attempt).
    CommandTime,
}

impl std::fmt::Display for LimitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LimitKind::Turns => "turn limit",
            LimitKind::OutputTokens => "output-token limit",
            LimitKind::CostUsd => "cost limit",
            LimitKind::WallTime => "wall-time limit",
            LimitKind::CommandTime => "per-command time limit",
        })
    }
}

/// Why an agent loop stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "limit")]
pub enum AgentStop {
    /// The model called `submit`.
    Submitted,
    /// The model answered without calling a tool.
    NoToolCall,
    /// A limit was reached.
    Limit(LimitKind),
    /// The model's turn was cut at its output limit without a tool call.
    Truncated,
}

impl std::fmt::Display for AgentStop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AgentStop::Submitted => f.write_str("submitted"),
            AgentStop::NoToolCall => f.write_str("stopped calling tools"),
            AgentStop::Limit(l) => write!(f, "{l} reached"),
            AgentStop::Truncated => f.write_str("a turn was cut at the output limit"),
        }
    }
}

/// What an agent attempt's record says of its loop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentInfo {
    /// How it stopped.
    pub stop: AgentStop,
    /// Model turns taken.
    pub turns: u32,
    /// Tool calls run.
    pub tool_calls: u32,
    /// Shell commands killed by the per-command time limit.
    #[serde(default)]
    pub command_timeouts: u32,
    /// Wall time of the loop.
    pub wall_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        assert!(AgentLimits::default().problems().is_empty());
        let bad = AgentLimits {
            max_turns: 0,
            max_cost_usd: -1.0,
            ..AgentLimits::default()
        };
        let keys: Vec<_> = bad.problems().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["max_turns", "max_cost_usd"]);
    }

    #[test]
    fn stop_reads_back() {
        let s = AgentStop::Limit(LimitKind::CostUsd);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"kind":"limit","limit":"cost-usd"}"#);
        assert_eq!(serde_json::from_str::<AgentStop>(&json).unwrap(), s);
        assert_eq!(s.to_string(), "cost limit reached");
    }
}
