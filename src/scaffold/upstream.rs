//! `refbench new fixture NAME --from-pypi NAME==VERSION` / `--from-crate NAME@VERSION`:
//! scaffolds an upstream fixture.
//!
//! In: the project root, the fixture's name, the registry and package spec, and the
//! [`Upstream`] (cache and registries). Out: `repos-fixtures/NAME/` with `fixture.toml` (the
//! archive pinned by the sha256 the registry publishes, after the download was checked
//! against it; the licence read from the archive's PKG-INFO or Cargo.toml; the language the
//! registry implies), a README stub and `tasks/`; the verified archive kept in the cache so
//! the first catalog load does not download it again.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{valid, write_fixture_files, ScaffoldError};
use crate::catalog::Language;
use crate::upstream::{Registry, Upstream, UpstreamSpec};

/// `NAME==VERSION` (PyPI) or `NAME@VERSION` (crates.io), split.
pub fn parse_package_spec(registry: Registry, spec: &str) -> Result<(String, String), String> {
    let (sep, example) = match registry {
        Registry::Pypi => ("==", "urllib3==1.26.20"),
        Registry::Crates => ("@", "lru@0.12.5"),
    };
    match spec.split_once(sep) {
        Some((name, version))
            if !name.trim().is_empty()
                && !version.trim().is_empty()
                && !version.contains(sep)
                && !version.contains(char::is_whitespace) =>
        {
            Ok((name.trim().to_string(), version.trim().to_string()))
        }
        _ => Err(format!(
            "`{spec}`: expected NAME{sep}VERSION with an exact version, such as {example}"
        )),
    }
}

/// Creates the upstream fixture `name` from `package_spec` on `registry`. Returns the files
/// made and the spec written to fixture.toml.
pub fn new_upstream_fixture(
    root: &Path,
    name: &str,
    registry: Registry,
    package_spec: &str,
    upstream: &Upstream,
) -> Result<(Vec<PathBuf>, UpstreamSpec), ScaffoldError> {
    if !valid(name) {
        return Err(ScaffoldError::Name(name.to_string()));
    }
    let dir = root.join("repos-fixtures").join(name);
    if dir.exists() {
        return Err(ScaffoldError::Exists(dir));
    }
    let (package, version) =
        parse_package_spec(registry, package_spec).map_err(ScaffoldError::PackageSpec)?;
    let registries = upstream.registries();
    let (location, sha256) = registries.locate_with_sha256(registry, &package, &version)?;
    let bytes = registries.download(&location)?;
    crate::upstream::verify(&bytes, &sha256, &location.url)?;
    let license = read_license(&bytes, registry).unwrap_or_default();
    let spec = UpstreamSpec {
        registry,
        package,
        version,
        sha256,
        license,
        root: None,
        exclude: Vec::new(),
        overlay: None,
    };
    upstream.keep_archive(&spec, &bytes)?;
    let language = match registry {
        Registry::Pypi => Language::Python,
        Registry::Crates => Language::Rust,
    };
    let toml = fixture_toml(&spec, language, &location.url);
    let made = write_fixture_files(
        &dir,
        [("fixture.toml", toml), ("README.md", readme(name, &spec))],
    )?;
    Ok((made, spec))
}

fn fixture_toml(spec: &UpstreamSpec, language: Language, url: &str) -> String {
    let license = if spec.license.is_empty() {
        "TODO: the SPDX licence; the archive's metadata names none".to_string()
    } else {
        spec.license.clone()
    };
    let quoted = |s: &str| toml::Value::String(s.to_string()).to_string();
    format!(
        "# An upstream fixture: its code is {display}, fetched from {registry}, verified\n\
         # against sha256 and built into refbench's cache on first use. Never commit a repo/\n\
         # folder here. Format: docs/upstream-fixtures.md.\n\
         language = \"{language}\"\n\
         \n\
         [upstream]\n\
         registry = \"{registry}\"\n\
         package = {package}\n\
         version = {version}\n\
         # sha256 of {url}\n\
         sha256 = \"{sha}\"\n\
         # As the package metadata states it: make it an SPDX id (\"Apache License 2.0\" is\n\
         # \"Apache-2.0\") if it is not one.\n\
         license = {license}\n\
         # Globs (relative to the archive's top folder) removed before the overlay, e.g. tests\n\
         # that need the network:\n\
         # exclude = [\"docs/**\"]\n\
         # What refbench adds (test configuration, a lock file, a sync shim), as a git diff:\n\
         # overlay = \"overlay.patch\"\n",
        display = spec.display_name(),
        registry = spec.registry,
        package = quoted(&spec.package),
        version = quoted(&spec.version),
        sha = spec.sha256,
        license = quoted(&license),
    )
}

fn readme(name: &str, spec: &UpstreamSpec) -> String {
    format!(
        "# {name}\n\n\
         Upstream fixture: {display} from {registry} (licence {license}), pinned by sha256 in\n\
         fixture.toml. refbench fetches it into its cache; only what refbench adds (overlay.patch)\n\
         and the tasks live here.\n\n\
         TODO: what the project is, where its concurrency lives (locks, pools, caches, queues),\n\
         and what the overlay changes and why.\n",
        display = spec.display_name(),
        registry = spec.registry,
        license = if spec.license.is_empty() {
            "TODO"
        } else {
            &spec.license
        },
    )
}

/// The licence an archive's metadata declares: PKG-INFO's `License-Expression` (else a
/// one-line `License`) for an sdist, `package.license` of Cargo.toml for a crate. Only the
/// top folder's file counts.
pub fn read_license(archive: &[u8], registry: Registry) -> Option<String> {
    let wanted = match registry {
        Registry::Pypi => "PKG-INFO",
        Registry::Crates => "Cargo.toml",
    };
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    for entry in tar.entries().ok()? {
        let Ok(mut entry) = entry else { continue };
        let Ok(path) = entry.path().map(|p| p.into_owned()) else {
            continue;
        };
        let parts: Vec<_> = path.components().collect();
        if parts.len() != 2 || parts[1].as_os_str() != wanted {
            continue;
        }
        let mut text = String::new();
        entry.read_to_string(&mut text).ok()?;
        return match registry {
            Registry::Pypi => pkg_info_license(&text),
            Registry::Crates => cargo_license(&text),
        };
    }
    None
}

fn pkg_info_license(text: &str) -> Option<String> {
    // Headers end at the first blank line (the description follows).
    let headers = text.split("\n\n").next().unwrap_or("");
    let field = |name: &str| {
        headers.lines().find_map(|l| {
            l.strip_prefix(name)
                .and_then(|r| r.strip_prefix(':'))
                .map(|v| v.trim().to_string())
        })
    };
    if let Some(expr) = field("License-Expression").filter(|v| !v.is_empty()) {
        return Some(expr);
    }
    // `License` sometimes holds the whole licence text; only a short one-line value is a name.
    let license = field("License").filter(|v| !v.is_empty() && v.len() <= 64 && v != "UNKNOWN");
    license.or_else(|| {
        headers.lines().find_map(|l| {
            l.strip_prefix("Classifier: License :: OSI Approved :: ")
                .map(|v| v.trim().trim_end_matches(" License").to_string())
        })
    })
}

fn cargo_license(text: &str) -> Option<String> {
    let value: toml::Value = toml::from_str(text).ok()?;
    value
        .get("package")?
        .get("license")?
        .as_str()
        .map(str::to_string)
}

/// What to do after `new fixture --from-...`, for the terminal.
pub fn next_steps(name: &str, spec: &UpstreamSpec, cache_dir: &Path) -> String {
    let license_note = if spec.license.is_empty() {
        "  0. the archive names no licence: put its SPDX licence in fixture.toml (`license`)\n"
    } else {
        ""
    };
    format!(
        "next steps:\n{license_note}\
         \x20 1. `refbench list fixtures` builds the tree of {display} under {cache}/upstream/{key}/\n\
         \x20    and prints the folder in use\n\
         \x20 2. to add test configuration or a sync shim: copy that tree to\n\
         \x20    repos-fixtures/{name}/repo/ (refbench uses repo/ while it exists, with a warning),\n\
         \x20    change it, write the change as a git diff to repos-fixtures/{name}/overlay.patch,\n\
         \x20    set `overlay = \"overlay.patch\"` in fixture.toml, then delete repo/ (never commit it)\n\
         \x20 3. `refbench new task {name}/ID` and `refbench new bug {name}/BUG --kind ... --file ...`\n\
         \x20 4. `refbench validate {name}` (docs/upstream-fixtures.md walks through it)",
        display = spec.display_name(),
        cache = cache_dir.display(),
        key = spec.cache_key(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_specs_split_per_registry() {
        assert_eq!(
            parse_package_spec(Registry::Pypi, "urllib3==1.26.20").unwrap(),
            ("urllib3".into(), "1.26.20".into())
        );
        assert_eq!(
            parse_package_spec(Registry::Crates, "lru@0.12.5").unwrap(),
            ("lru".into(), "0.12.5".into())
        );
        let e = parse_package_spec(Registry::Pypi, "urllib3>=1").unwrap_err();
        assert!(e.contains("expected NAME==VERSION"), "{e}");
        assert!(parse_package_spec(Registry::Crates, "lru@").is_err());
    }

    #[test]
    fn licences_come_from_the_metadata() {
        let info = "Metadata-Version: 2.1\nName: x\nLicense: MIT\nClassifier: License :: OSI Approved :: BSD License\n\nLicense: not this\n";
        assert_eq!(pkg_info_license(info).as_deref(), Some("MIT"));
        let expr = "Metadata-Version: 2.4\nLicense-Expression: Apache-2.0 OR MIT\nLicense: x\n";
        assert_eq!(pkg_info_license(expr).as_deref(), Some("Apache-2.0 OR MIT"));
        let classifier =
            "Name: x\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: MIT License\n";
        assert_eq!(pkg_info_license(classifier).as_deref(), Some("MIT"));
        let cargo = "[package]\nname = \"x\"\nlicense = \"MIT OR Apache-2.0\"\n";
        assert_eq!(cargo_license(cargo).as_deref(), Some("MIT OR Apache-2.0"));
    }
}
