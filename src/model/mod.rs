//! Ask: gets a reply for a task from a model.
//!
//! In: a [`Model`] (resolved from a name), the [`Task`] and the sample index. Out: a [`Reply`]
//! (the raw text the apply stage reads, plus token usage and cost when the model reports them),
//! or a [`ModelError`].
//!
//! This version has the two built-in references, which need no configuration and no context:
//! `gold` replies with the task's gold patch, `empty` with nothing. They bound every
//! leaderboard: gold must resolve every task, empty none. Provider clients (OpenAI, Anthropic,
//! OpenAI-compatible, replay) and the prompt built from the packed context plug in here.

use serde::{Deserialize, Serialize};

use crate::task::Task;

/// Model-stage failures.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A name that is neither built in nor configured.
    #[error("unknown model `{name}`; built-in models: gold, empty (provider models come from refbench.toml, which this version does not read yet)")]
    Unknown {
        /// The name given.
        name: String,
    },
}

/// A model refbench can ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Model {
    /// Replies with the task's gold patch.
    Gold,
    /// Replies with nothing.
    Empty,
}

impl Model {
    /// Resolves a model name.
    pub fn resolve(name: &str) -> Result<Model, ModelError> {
        match name {
            "gold" => Ok(Model::Gold),
            "empty" => Ok(Model::Empty),
            _ => Err(ModelError::Unknown {
                name: name.to_string(),
            }),
        }
    }

    /// The name used in results.
    pub fn name(&self) -> &'static str {
        match self {
            Model::Gold => "gold",
            Model::Empty => "empty",
        }
    }

    /// Whether the model needs a packed context (the built-ins do not).
    pub fn needs_context(&self) -> bool {
        false
    }

    /// Gets the reply for `task`, sample `sample`.
    pub fn ask(&self, task: &Task, _sample: u32) -> Result<Reply, ModelError> {
        Ok(match self {
            Model::Gold => Reply {
                text: task.gold_patch.clone(),
                usage: None,
            },
            Model::Empty => Reply {
                text: String::new(),
                usage: None,
            },
        })
    }
}

/// Token usage and cost of one reply. Unknown fields stay `None`, never zero.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Input tokens.
    pub input_tokens: Option<u64>,
    /// Output tokens.
    pub output_tokens: Option<u64>,
    /// Cost in USD.
    pub cost_usd: Option<f64>,
}

/// A model's reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// Raw text, as the model gave it.
    pub text: String,
    /// Usage, when the model reports it (`None` for the built-ins).
    pub usage: Option<Usage>,
}
