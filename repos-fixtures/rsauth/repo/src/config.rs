//! Service configuration, read from a `key = value` file (see `deploy/rsauth.conf`
//! in the ops repository). Unknown keys are an error so typos do not silently
//! fall back to defaults.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Name shown in audit entries and the `whoami` answer.
    pub service_name: String,
    /// Lifetime of a browser session, in seconds.
    pub session_ttl_secs: u64,
    /// Lifetime of an API token, in seconds.
    pub token_ttl_secs: u64,
    /// How many login attempts (per account) are allowed in one window.
    pub login_attempts_per_window: u32,
    /// Length of a rate limiting window, in seconds.
    pub rate_window_secs: u64,
    /// Iterations of the password hash.
    pub hash_iterations: u32,
    /// Minimum password length accepted by the password policy.
    pub min_password_len: usize,
    /// How many audit entries are kept in memory.
    pub audit_capacity: usize,
    /// Maximum number of API tokens one user may hold.
    pub max_tokens_per_user: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            service_name: "rsauth".to_string(),
            session_ttl_secs: 3_600,
            token_ttl_secs: 30 * 24 * 3_600,
            login_attempts_per_window: 5,
            rate_window_secs: 300,
            hash_iterations: 64,
            min_password_len: 8,
            audit_capacity: 1_000,
            max_tokens_per_user: 5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "config line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ConfigError {}

fn number<T: std::str::FromStr>(line: usize, key: &str, value: &str) -> Result<T, ConfigError> {
    value.parse::<T>().map_err(|_| ConfigError {
        line,
        message: format!("{key} expects a number, got {value:?}"),
    })
}

impl Config {
    /// Parse a config file; keys that are not mentioned keep their defaults.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        for (index, raw) in text.lines().enumerate() {
            let line_no = index + 1;
            let line = match raw.find('#') {
                Some(pos) => &raw[..pos],
                None => raw,
            }
            .trim();
            if line.is_empty() {
                continue;
            }
            let (key, value) = match line.split_once('=') {
                Some((k, v)) => (k.trim(), v.trim()),
                None => {
                    return Err(ConfigError {
                        line: line_no,
                        message: format!("expected key = value, got {line:?}"),
                    })
                }
            };
            match key {
                "service_name" => config.service_name = value.trim_matches('"').to_string(),
                "session_ttl_secs" => config.session_ttl_secs = number(line_no, key, value)?,
                "token_ttl_secs" => config.token_ttl_secs = number(line_no, key, value)?,
                "login_attempts_per_window" => {
                    config.login_attempts_per_window = number(line_no, key, value)?
                }
                "rate_window_secs" => config.rate_window_secs = number(line_no, key, value)?,
                "hash_iterations" => config.hash_iterations = number(line_no, key, value)?,
                "min_password_len" => config.min_password_len = number(line_no, key, value)?,
                "audit_capacity" => config.audit_capacity = number(line_no, key, value)?,
                "max_tokens_per_user" => config.max_tokens_per_user = number(line_no, key, value)?,
                other => {
                    return Err(ConfigError {
                        line: line_no,
                        message: format!("unknown key {other:?}"),
                    })
                }
            }
        }
        config.validate()?;
        Ok(config)
    }

    /// Reject settings that would lock everybody out or disable security checks.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |message: &str| {
            Err(ConfigError {
                line: 0,
                message: message.to_string(),
            })
        };
        if self.session_ttl_secs == 0 {
            return fail("session_ttl_secs must be positive");
        }
        if self.token_ttl_secs == 0 {
            return fail("token_ttl_secs must be positive");
        }
        if self.login_attempts_per_window == 0 {
            return fail("login_attempts_per_window must be positive");
        }
        if self.rate_window_secs == 0 {
            return fail("rate_window_secs must be positive");
        }
        if self.hash_iterations == 0 {
            return fail("hash_iterations must be positive");
        }
        if self.min_password_len < 6 {
            return fail("min_password_len must be at least 6");
        }
        if self.audit_capacity == 0 {
            return fail("audit_capacity must be positive");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_overrides_only_given_keys() {
        let text = "# test config\nsession_ttl_secs = 60\nservice_name = \"portal\" # inline\n\n";
        let config = Config::parse(text).unwrap();
        assert_eq!(config.session_ttl_secs, 60);
        assert_eq!(config.service_name, "portal");
        assert_eq!(config.rate_window_secs, Config::default().rate_window_secs);
    }

    #[test]
    fn parse_rejects_unknown_keys_with_line_number() {
        let err = Config::parse("session_ttl_secs = 60\nsesion_ttl = 5\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("sesion_ttl"));
    }

    #[test]
    fn parse_rejects_non_numbers() {
        let err = Config::parse("hash_iterations = lots").unwrap_err();
        assert_eq!(err.line, 1);
    }

    #[test]
    fn validate_rejects_zero_window() {
        let config = Config {
            rate_window_secs: 0,
            ..Config::default()
        };
        assert!(config.validate().is_err());
        assert!(Config::default().validate().is_ok());
    }
}
