//! The private Python environment Python fixtures are graded in.
//!
//! refbench does not grade with whatever pytest the machine happens to have: it creates a
//! virtual environment under its cache, keyed by the content of `harness/python/requirements.txt`,
//! and installs exactly those pins into it (once, outside any sandbox: it needs PyPI). Test and
//! detector commands then find that environment's `python3` first on PATH.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use super::ToolchainError;
use crate::cache::CacheLayout;
use crate::catalog::Language;

fn runner_error(detail: String) -> ToolchainError {
    ToolchainError::Runner {
        language: Language::Python,
        detail,
    }
}

fn run(cmd: &mut Command, what: &str) -> Result<(), ToolchainError> {
    let out = cmd
        .output()
        .map_err(|e| runner_error(format!("{what}: cannot start: {e}; is python3 installed?")))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(8).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(runner_error(format!("{what} failed: {}", tail.join("\n"))));
    }
    Ok(())
}

/// Returns the `bin` directory of the environment for `root`'s requirements, creating it when
/// needed.
pub fn prepare_python_env(root: &Path, cache: &CacheLayout) -> Result<PathBuf, ToolchainError> {
    prepare_env_from(
        &root.join("harness").join("python").join("requirements.txt"),
        cache,
    )
}

/// Whether the environment for `root`'s requirements is already built (so preparing it takes
/// no time); false when the requirements cannot be read.
pub fn is_ready(root: &Path, cache: &CacheLayout) -> bool {
    let requirements = root.join("harness").join("python").join("requirements.txt");
    let Ok(pins) = std::fs::read(&requirements) else {
        return false;
    };
    env_dir(&pins, cache).join(".refbench-ok").is_file()
}

/// Where the environment for requirements `pins` lives: keyed by their content, so changing a
/// pin makes a new environment.
fn env_dir(pins: &[u8], cache: &CacheLayout) -> PathBuf {
    let mut hasher = Sha256::new();
    hasher.update(pins);
    let key = crate::fsutil::hex(&hasher.finalize());
    cache.python_envs().join(&key[..16])
}

/// Returns the `bin` directory of a virtual environment holding exactly the pins in
/// `requirements`, creating it under the cache's `python/` when needed (keyed by the file's
/// content, so changing a pin makes a new environment).
pub fn prepare_env_from(
    requirements: &Path,
    cache: &CacheLayout,
) -> Result<PathBuf, ToolchainError> {
    let requirements = requirements.to_path_buf();
    let pins = std::fs::read(&requirements).map_err(|e| {
        runner_error(format!(
            "cannot read {}: {e}; it lists the Python packages fixtures are graded with",
            requirements.display()
        ))
    })?;
    let envs = cache.python_envs();
    let dir = env_dir(&pins, cache);
    let bin = dir.join("bin");
    if dir.join(".refbench-ok").is_file() {
        return Ok(bin);
    }
    std::fs::create_dir_all(&envs)
        .map_err(|e| runner_error(format!("creating {}: {e}", envs.display())))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let staging = envs.join(format!(".{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    run(
        Command::new("python3").arg("-m").arg("venv").arg(&staging),
        "creating the Python environment (python3 -m venv)",
    )?;
    run(
        Command::new(staging.join("bin").join("python3"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements),
        "installing harness/python/requirements.txt with pip",
    )?;
    std::fs::write(staging.join(".refbench-ok"), "")
        .map_err(|e| runner_error(format!("writing {}: {e}", staging.display())))?;
    // Commands are run as `python3 -m ...`, so the environment works from its final path even
    // though pip wrote the staging path into its script shebangs.
    if std::fs::rename(&staging, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&staging);
        if !dir.join(".refbench-ok").is_file() {
            return Err(runner_error(format!(
                "could not move the Python environment into {}",
                dir.display()
            )));
        }
    }
    Ok(bin)
}
