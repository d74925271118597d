//! Admin API. The ops console sends one command per line over the admin
//! socket and prints the body it gets back; `handle` is what the socket
//! server calls.
//!
//! ```text
//! stats                       counters and queue depths
//! queue                       ready jobs in pop order
//! handlers                    registered job kinds
//! job <id>                    one job's state
//! cancel <id>                 cancel a queued or scheduled job
//! dead list [kind]            dead letters
//! dead kinds                  dead letters per kind
//! dead requeue <id>           put one dead letter back in the queue
//! dead requeue-kind <kind>    put every dead letter of a kind back
//! dead purge <age_ms>         drop dead letters older than age_ms
//! journal tail [n]            last n journal lines (default 20)
//! ```

use crate::broker::Broker;
use crate::error::QueueError;
use crate::ids::JobId;
use crate::job::JobState;
use crate::payload::escape;
use crate::results::Outcome;
use std::fmt::Write as _;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminResponse {
    pub ok: bool,
    pub body: String,
}

impl AdminResponse {
    fn ok(body: String) -> AdminResponse {
        AdminResponse { ok: true, body }
    }

    fn error(err: &QueueError) -> AdminResponse {
        AdminResponse {
            ok: false,
            body: format!("error={} message={}", err.code(), escape(&err.to_string())),
        }
    }

    pub fn lines(&self) -> Vec<&str> {
        self.body.lines().collect()
    }
}

fn job_id(arg: Option<&str>) -> Result<JobId, QueueError> {
    arg.ok_or_else(|| QueueError::BadCommand("missing job id".into()))?
        .parse()
}

/// Execute one admin command.
pub fn handle(broker: &Broker, command: &str) -> AdminResponse {
    let words: Vec<&str> = command.split_whitespace().collect();
    let result = match words.as_slice() {
        ["stats"] => Ok(stats(broker)),
        ["queue"] => Ok(queue(broker)),
        ["handlers"] => Ok(broker.handlers().kinds().join("\n")),
        ["job", rest @ ..] => job_id(rest.first().copied()).and_then(|id| job(broker, id)),
        ["cancel", rest @ ..] => job_id(rest.first().copied())
            .and_then(|id| broker.cancel(id).map(|()| format!("cancelled {id}"))),
        ["dead", "list"] => Ok(dead_list(broker, None)),
        ["dead", "list", kind] => Ok(dead_list(broker, Some(kind))),
        ["dead", "kinds"] => Ok(broker
            .dead_letters()
            .kinds()
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect::<Vec<_>>()
            .join("\n")),
        ["dead", "requeue", rest @ ..] => {
            job_id(rest.first().copied()).and_then(|id| requeue(broker, id))
        }
        ["dead", "requeue-kind", kind] => requeue_kind(broker, kind),
        ["dead", "purge", age] => age
            .parse::<u64>()
            .map_err(|_| QueueError::BadCommand(format!("not a number: {age}")))
            .map(|age| {
                let cutoff = broker.now().saturating_sub(age);
                format!("purged {}", broker.dead_letters().purge_before(cutoff))
            }),
        ["journal", "tail"] => Ok(broker.journal().tail(20).join("\n")),
        ["journal", "tail", n] => n
            .parse::<usize>()
            .map_err(|_| QueueError::BadCommand(format!("not a number: {n}")))
            .map(|n| broker.journal().tail(n).join("\n")),
        [] => Err(QueueError::BadCommand("empty command".into())),
        _ => Err(QueueError::BadCommand(format!("unknown command `{command}`"))),
    };
    match result {
        Ok(body) => AdminResponse::ok(body),
        Err(err) => AdminResponse::error(&err),
    }
}

fn stats(broker: &Broker) -> String {
    let mut out = format!(
        "queued={} scheduled={} running={} dead={} results={}\n",
        broker.queue().len(),
        broker.scheduler().len(),
        broker.running().len(),
        broker.dead_letters().len(),
        broker.results().len()
    );
    out.push_str(&broker.metrics().snapshot().render());
    out
}

fn queue(broker: &Broker) -> String {
    broker
        .queue()
        .snapshot()
        .iter()
        .map(|job| {
            format!(
                "{} kind={} priority={} attempts={}",
                job.id,
                job.kind,
                job.priority.as_str(),
                job.attempts
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn job(broker: &Broker, id: JobId) -> Result<String, QueueError> {
    let state = broker.status(id).ok_or(QueueError::UnknownJob(id))?;
    let mut out = format!("{id} state={}", state.as_str());
    if state == JobState::Dead {
        if let Some(letter) = broker.dead_letters().get(id) {
            let _ = write!(
                out,
                " attempts={} reason={}",
                letter.job.attempts,
                escape(&letter.reason)
            );
            return Ok(out);
        }
    }
    if let Some(result) = broker.results().get(id) {
        let _ = write!(out, " attempts={}", result.attempts);
        if let Outcome::Succeeded { output } = &result.outcome {
            let _ = write!(out, " output={}", escape(output));
        }
    }
    Ok(out)
}

fn dead_list(broker: &Broker, kind: Option<&str>) -> String {
    let letters = match kind {
        Some(kind) => broker.dead_letters().list_kind(kind),
        None => broker.dead_letters().list(),
    };
    letters
        .iter()
        .map(|l| {
            format!(
                "{} kind={} attempts={} died_at={} reason={}",
                l.job.id,
                l.job.kind,
                l.job.attempts,
                l.died_at,
                escape(&l.reason)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn requeue(broker: &Broker, id: JobId) -> Result<String, QueueError> {
    let letter = broker
        .dead_letters()
        .take(id)
        .ok_or(QueueError::UnknownJob(id))?;
    let mut job = letter.job.clone();
    job.attempts = 0;
    job.run_at = broker.now();
    if let Err(err) = broker.queue().push(job) {
        broker.dead_letters().push(letter);
        return Err(err);
    }
    Ok(format!("requeued {id}"))
}

fn requeue_kind(broker: &Broker, kind: &str) -> Result<String, QueueError> {
    let now = broker.now();
    let mut requeued = 0;
    let mut letters = broker.dead_letters().take_kind(kind).into_iter();
    for letter in letters.by_ref() {
        let mut job = letter.job.clone();
        job.attempts = 0;
        job.run_at = now;
        if let Err(err) = broker.queue().push(job) {
            broker.dead_letters().push(letter);
            for rest in letters {
                broker.dead_letters().push(rest);
            }
            return Err(err);
        }
        requeued += 1;
    }
    Ok(format!("requeued {requeued}"))
}
