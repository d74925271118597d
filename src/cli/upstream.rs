//! `refbench new fixture NAME --from-pypi SPEC | --from-crate SPEC`, and the [`Upstream`]
//! every command that loads the catalog builds upstream fixtures with.
//!
//! In: the parsed arguments and the cache of `--cache-dir`. Out: the scaffolded fixture and the
//! next steps on stdout, or the error and an exit code.

use std::path::Path;
use std::process::ExitCode;

use super::{EXIT_BAD_INPUT, EXIT_HARNESS};
use crate::cache::CacheLayout;
use crate::upstream::{Registries, Upstream};

/// Upstream fixtures built in `cache`, fetched from the registries of the environment.
pub(super) fn upstream(cache: &CacheLayout) -> Upstream {
    Upstream::new(cache.clone(), Registries::from_env())
}

/// `refbench new fixture NAME --from-pypi SPEC | --from-crate SPEC`.
pub(super) fn new_fixture_command(
    root: &Path,
    cache: &CacheLayout,
    name: &str,
    pypi: Option<String>,
    krate: Option<String>,
) -> ExitCode {
    use crate::upstream::Registry;
    let (registry, spec) = match (pypi, krate) {
        (Some(spec), _) => (Registry::Pypi, spec),
        (None, Some(spec)) => (Registry::Crates, spec),
        (None, None) => unreachable!("clap requires --language, --from-pypi or --from-crate"),
    };
    let up = upstream(cache);
    match crate::scaffold::upstream::new_upstream_fixture(root, name, registry, &spec, &up) {
        Ok((files, spec)) => {
            for f in files {
                println!("created {}", f.strip_prefix(root).unwrap_or(&f).display());
            }
            println!(
                "pinned {} ({}), sha256 {}, licence {}",
                spec.display_name(),
                spec.registry,
                spec.sha256,
                if spec.license.is_empty() {
                    "unknown"
                } else {
                    &spec.license
                }
            );
            println!(
                "{}",
                crate::scaffold::upstream::next_steps(name, &spec, cache.root())
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: new fixture {name}: {e}");
            ExitCode::from(match e {
                crate::scaffold::ScaffoldError::Upstream(_) => EXIT_HARNESS,
                _ => EXIT_BAD_INPUT,
            })
        }
    }
}
