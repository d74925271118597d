//! Broker configuration, read from the `key = value` file that ops ships next
//! to the binary (`/etc/rsqueue/broker.conf`). Unknown keys are rejected so a
//! typo does not silently fall back to a default.

use crate::error::QueueError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Number of worker threads started by `WorkerPool::start_default`.
    pub workers: usize,
    /// Maximum number of ready jobs; `submit` fails with `QueueFull` beyond it.
    pub queue_capacity: usize,
    /// Attempts a job gets unless its spec says otherwise.
    pub max_attempts: u32,
    /// First retry delay; doubled for every further attempt.
    pub backoff_base_ms: u64,
    /// Upper bound of the retry delay.
    pub backoff_max_ms: u64,
    /// How many dead letters are kept before the oldest are evicted.
    pub dead_letter_capacity: usize,
    /// How long finished job results are kept.
    pub result_ttl_ms: u64,
    /// How many journal entries are kept in memory.
    pub journal_capacity: usize,
    /// How long an idle worker sleeps on the queue before re-checking delayed jobs.
    pub poll_interval_ms: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            workers: 4,
            queue_capacity: 10_000,
            max_attempts: 5,
            backoff_base_ms: 500,
            backoff_max_ms: 60_000,
            dead_letter_capacity: 1_000,
            result_ttl_ms: 3_600_000,
            journal_capacity: 50_000,
            poll_interval_ms: 50,
        }
    }
}

fn number<T: std::str::FromStr>(line: usize, key: &str, value: &str) -> Result<T, QueueError> {
    value.parse::<T>().map_err(|_| {
        QueueError::Config(format!(
            "line {line}: `{key}` expects a number, found `{value}`"
        ))
    })
}

impl Config {
    /// Parse a config file. Keys that are not given keep their default.
    pub fn parse(text: &str) -> Result<Config, QueueError> {
        let mut config = Config::default();
        for (index, raw) in text.lines().enumerate() {
            let line_no = index + 1;
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let (key, value) = line.split_once('=').ok_or_else(|| {
                QueueError::Config(format!("line {line_no}: expected `key = value`"))
            })?;
            let key = key.trim();
            let value = value.trim();
            match key {
                "workers" => config.workers = number(line_no, key, value)?,
                "queue_capacity" => config.queue_capacity = number(line_no, key, value)?,
                "max_attempts" => config.max_attempts = number(line_no, key, value)?,
                "backoff_base_ms" => config.backoff_base_ms = number(line_no, key, value)?,
                "backoff_max_ms" => config.backoff_max_ms = number(line_no, key, value)?,
                "dead_letter_capacity" => {
                    config.dead_letter_capacity = number(line_no, key, value)?
                }
                "result_ttl_ms" => config.result_ttl_ms = number(line_no, key, value)?,
                "journal_capacity" => config.journal_capacity = number(line_no, key, value)?,
                "poll_interval_ms" => config.poll_interval_ms = number(line_no, key, value)?,
                other => {
                    return Err(QueueError::Config(format!(
                        "line {line_no}: unknown key `{other}`"
                    )))
                }
            }
        }
        config.validate()?;
        Ok(config)
    }

    /// Reject settings the broker cannot work with.
    pub fn validate(&self) -> Result<(), QueueError> {
        if self.workers == 0 {
            return Err(QueueError::Config("workers must be at least 1".into()));
        }
        if self.queue_capacity == 0 {
            return Err(QueueError::Config("queue_capacity must be at least 1".into()));
        }
        if self.max_attempts == 0 {
            return Err(QueueError::Config("max_attempts must be at least 1".into()));
        }
        if self.backoff_base_ms > self.backoff_max_ms {
            return Err(QueueError::Config(
                "backoff_base_ms must not exceed backoff_max_ms".into(),
            ));
        }
        if self.dead_letter_capacity == 0 || self.journal_capacity == 0 {
            return Err(QueueError::Config(
                "dead_letter_capacity and journal_capacity must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_overrides_only_given_keys() {
        let config = Config::parse("# broker\nworkers = 8\n\nmax_attempts=3 # fewer\n").unwrap();
        assert_eq!(config.workers, 8);
        assert_eq!(config.max_attempts, 3);
        assert_eq!(config.backoff_base_ms, Config::default().backoff_base_ms);
    }

    #[test]
    fn parse_rejects_unknown_keys_with_line_number() {
        let err = Config::parse("workers = 2\nwrokers = 3\n").unwrap_err();
        assert_eq!(
            err,
            QueueError::Config("line 2: unknown key `wrokers`".into())
        );
    }

    #[test]
    fn parse_rejects_non_numbers_and_missing_equals() {
        assert!(matches!(
            Config::parse("workers = many"),
            Err(QueueError::Config(m)) if m.contains("expects a number")
        ));
        assert!(matches!(
            Config::parse("workers"),
            Err(QueueError::Config(m)) if m.contains("expected `key = value`")
        ));
    }

    #[test]
    fn validate_rejects_impossible_settings() {
        let zero_workers = Config {
            workers: 0,
            ..Config::default()
        };
        assert!(zero_workers.validate().is_err());
        let backwards = Config {
            backoff_base_ms: 10_000,
            backoff_max_ms: 1_000,
            ..Config::default()
        };
        assert!(backwards.validate().is_err());
        assert!(Config::default().validate().is_ok());
    }
}
