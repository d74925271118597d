//! The registries' HTTP side: where a package version's archive is, its published sha256, and
//! the download itself.
//!
//! In: a registry, a package and a version. Out: an [`ArchiveLocation`] (URL and, where the
//! registry publishes it, the sha256), the archive's bytes, or an [`UpstreamError`] saying
//! which URL failed and how.
//!
//! - PyPI: the simple index in its JSON form (`GET {pypi}/simple/NAME/` with `Accept:
//!   application/vnd.pypi.simple.v1+json`, PEP 691), NAME normalised as PEP 503 says; the sdist
//!   is the file named `NAME-VERSION.tar.gz` (with `-`, `_` or `.` in NAME), its sha256 from
//!   `hashes.sha256`. (The `/pypi/NAME/VERSION/json` API is not used: it is not reachable
//!   from every network the benchmark runs on.)
//! - crates.io: the archive at `{static}/crates/NAME/NAME-VERSION.crate`; the sha256 from the
//!   sparse index (`{index}/PREFIX/NAME`, one JSON line per version, `cksum`).
//!
//! Base URLs come from `REFBENCH_PYPI_URL`, `REFBENCH_CRATES_URL` and
//! `REFBENCH_CRATES_INDEX_URL` (tests point them at a local mock registry). Requests run on a
//! small tokio runtime of their own: callers (the catalog, `new fixture`) are synchronous.
//! Certificates in `SSL_CERT_FILE` are trusted besides the built-in roots.

use std::time::Duration;

use serde::Deserialize;

use super::{Registry, Sha256Hex, UpstreamError};

/// Base URLs of the registries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registries {
    /// PyPI (serving `/simple/NAME/`).
    pub pypi: String,
    /// crates.io's archive host (serving `/crates/NAME/NAME-VERSION.crate`).
    pub crates: String,
    /// crates.io's sparse index.
    pub crates_index: String,
}

impl Default for Registries {
    fn default() -> Registries {
        Registries {
            pypi: "https://pypi.org".into(),
            crates: "https://static.crates.io".into(),
            crates_index: "https://index.crates.io".into(),
        }
    }
}

/// Where one package version's archive is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveLocation {
    /// The registry.
    pub registry: Registry,
    /// The package.
    pub package: String,
    /// The version.
    pub version: String,
    /// The archive's URL.
    pub url: String,
    /// The archive's file name (`NAME-VERSION.tar.gz`, `NAME-VERSION.crate`).
    pub file_name: String,
    /// The sha256 the registry publishes with it, when the lookup saw one.
    pub sha256: Option<Sha256Hex>,
}

#[derive(Deserialize)]
struct SimpleProject {
    files: Vec<SimpleFile>,
}

#[derive(Deserialize)]
struct SimpleFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct IndexLine {
    vers: String,
    cksum: String,
}

/// The answer to one GET.
enum Got {
    Body(Vec<u8>),
    NotFound,
}

impl Registries {
    /// The defaults, each replaced by its environment variable when set.
    pub fn from_env() -> Registries {
        let var = |name: &str, default: String| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .map(|v| v.trim_end_matches('/').to_string())
                .unwrap_or(default)
        };
        let d = Registries::default();
        Registries {
            pypi: var("REFBENCH_PYPI_URL", d.pypi),
            crates: var("REFBENCH_CRATES_URL", d.crates),
            crates_index: var("REFBENCH_CRATES_INDEX_URL", d.crates_index),
        }
    }

    /// Where `package` `version`'s archive is on `registry`. crates.io's archive URL is known
    /// without asking; PyPI's index is read.
    pub fn locate(
        &self,
        registry: Registry,
        package: &str,
        version: &str,
    ) -> Result<ArchiveLocation, UpstreamError> {
        match registry {
            Registry::Pypi => self.locate_sdist(package, version),
            Registry::Crates => {
                let file_name = format!("{package}-{version}.crate");
                Ok(ArchiveLocation {
                    registry,
                    package: package.to_string(),
                    version: version.to_string(),
                    url: format!("{}/crates/{package}/{file_name}", self.crates),
                    file_name,
                    sha256: None,
                })
            }
        }
    }

    /// [`Registries::locate`], with the sha256 the registry publishes (crates.io: from the
    /// sparse index).
    pub fn locate_with_sha256(
        &self,
        registry: Registry,
        package: &str,
        version: &str,
    ) -> Result<(ArchiveLocation, Sha256Hex), UpstreamError> {
        let mut location = self.locate(registry, package, version)?;
        let sha = match location.sha256.clone() {
            Some(sha) => sha,
            None if registry == Registry::Crates => self.crate_checksum(package, version)?,
            None => {
                return Err(UpstreamError::NotFound {
                    registry,
                    package: package.to_string(),
                    version: version.to_string(),
                    detail: format!("the index lists {} without a sha256", location.file_name),
                })
            }
        };
        location.sha256 = Some(sha.clone());
        Ok((location, sha))
    }

    fn locate_sdist(&self, package: &str, version: &str) -> Result<ArchiveLocation, UpstreamError> {
        let normalized = pep503(package);
        let url = format!("{}/simple/{normalized}/", self.pypi);
        let not_found = |detail: String| UpstreamError::NotFound {
            registry: Registry::Pypi,
            package: package.to_string(),
            version: version.to_string(),
            detail,
        };
        let body = match get(&url, Some("application/vnd.pypi.simple.v1+json"))? {
            Got::Body(b) => b,
            Got::NotFound => return Err(not_found(format!("{url} answered 404"))),
        };
        let project: SimpleProject =
            serde_json::from_slice(&body).map_err(|e| UpstreamError::Fetch {
                url: url.clone(),
                reason: format!(
                    "expected the simple index's JSON (PEP 691), found what does not parse: {e}"
                ),
            })?;
        let wanted: Vec<String> = [
            package.to_ascii_lowercase(),
            normalized.clone(),
            normalized.replace('-', "_"),
            normalized.replace('-', "."),
        ]
        .iter()
        .map(|n| format!("{n}-{}.tar.gz", version.to_ascii_lowercase()))
        .collect();
        let file = project
            .files
            .into_iter()
            .find(|f| wanted.contains(&f.filename.to_ascii_lowercase()))
            .ok_or_else(|| {
                not_found(format!(
                    "{url} lists no sdist named {}; `pip download --no-binary :all: {package}=={version}` shows what exists",
                    wanted[2]
                ))
            })?;
        let base = reqwest::Url::parse(&url).map_err(|e| UpstreamError::Fetch {
            url: url.clone(),
            reason: e.to_string(),
        })?;
        let file_url = base.join(&file.url).map_err(|e| UpstreamError::Fetch {
            url: url.clone(),
            reason: format!("the sdist's url \"{}\" is not a URL: {e}", file.url),
        })?;
        let sha256 = file
            .hashes
            .get("sha256")
            .and_then(|s| Sha256Hex::try_from(s.clone()).ok());
        let mut url = file_url;
        url.set_fragment(None);
        Ok(ArchiveLocation {
            registry: Registry::Pypi,
            package: package.to_string(),
            version: version.to_string(),
            url: url.to_string(),
            file_name: file.filename,
            sha256,
        })
    }

    /// The `cksum` of `package` `version` in crates.io's sparse index.
    pub fn crate_checksum(&self, package: &str, version: &str) -> Result<Sha256Hex, UpstreamError> {
        let name = package.to_ascii_lowercase();
        let url = format!("{}/{}/{name}", self.crates_index, index_prefix(&name));
        let not_found = |detail: String| UpstreamError::NotFound {
            registry: Registry::Crates,
            package: package.to_string(),
            version: version.to_string(),
            detail,
        };
        let body = match get(&url, None)? {
            Got::Body(b) => b,
            Got::NotFound => return Err(not_found(format!("{url} answered 404"))),
        };
        let text = String::from_utf8_lossy(&body);
        let mut versions = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let entry: IndexLine =
                serde_json::from_str(line).map_err(|e| UpstreamError::Fetch {
                    url: url.clone(),
                    reason: format!(
                        "expected one JSON object a line (the sparse index), found: {e}"
                    ),
                })?;
            if entry.vers == version {
                return Sha256Hex::try_from(entry.cksum).map_err(|reason| UpstreamError::Fetch {
                    url: url.clone(),
                    reason,
                });
            }
            versions.push(entry.vers);
        }
        let last: Vec<&str> = versions.iter().rev().take(8).map(String::as_str).collect();
        Err(not_found(format!(
            "{url} lists no version {version}; the latest listed: {}",
            last.join(", ")
        )))
    }

    /// The bytes at `location` (a 404 is [`UpstreamError::NotFound`]).
    pub fn download(&self, location: &ArchiveLocation) -> Result<Vec<u8>, UpstreamError> {
        match get(&location.url, None)? {
            Got::Body(b) => Ok(b),
            Got::NotFound => Err(UpstreamError::NotFound {
                registry: location.registry,
                package: location.package.clone(),
                version: location.version.clone(),
                detail: format!("{} answered 404", location.url),
            }),
        }
    }
}

/// PEP 503's normal form: lower case, each run of `-`, `_` and `.` one `-`.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_run = false;
        }
    }
    out
}

/// The sparse index's folder for a (lower-case) crate name: `1`, `2`, `3/a`, `ab/cd`.
pub fn index_prefix(name: &str) -> String {
    match name.len() {
        0 | 1 => "1".into(),
        2 => "2".into(),
        3 => format!("3/{}", &name[..1]),
        _ => format!("{}/{}", &name[..2], &name[2..4]),
    }
}

/// GETs `url` (following redirects) on a runtime of its own.
fn get(url: &str, accept: Option<&str>) -> Result<Got, UpstreamError> {
    let fail = |reason: String| UpstreamError::Fetch {
        url: url.to_string(),
        reason,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(format!("starting the HTTP runtime: {e}")))?;
    runtime.block_on(async {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(30))
            .timeout(Duration::from_secs(600))
            .user_agent(concat!("refbench/", env!("CARGO_PKG_VERSION")));
        for cert in extra_roots().map_err(&fail)? {
            builder = builder.add_root_certificate(cert);
        }
        let client = builder.build().map_err(|e| fail(e.to_string()))?;
        let mut request = client.get(url);
        if let Some(accept) = accept {
            request = request.header(reqwest::header::ACCEPT, accept);
        }
        let response = request.send().await.map_err(|e| fail(error_chain(&e)))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(Got::NotFound);
        }
        if !status.is_success() {
            return Err(fail(format!("the server answered {status}")));
        }
        let body = response.bytes().await.map_err(|e| fail(error_chain(&e)))?;
        Ok(Got::Body(body.to_vec()))
    })
}

/// The certificates of `SSL_CERT_FILE` (a PEM bundle), trusted besides the built-in roots:
/// networks that inspect TLS (a company proxy, a CI sandbox) name their own authority there,
/// as curl, pip and git expect.
fn extra_roots() -> Result<Vec<reqwest::Certificate>, String> {
    let Some(file) = std::env::var_os("SSL_CERT_FILE").filter(|f| !f.is_empty()) else {
        return Ok(Vec::new());
    };
    let pem = std::fs::read(&file).map_err(|e| {
        format!(
            "SSL_CERT_FILE={}: cannot read it: {e}; point it at a PEM bundle or unset it",
            std::path::Path::new(&file).display()
        )
    })?;
    reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        format!(
            "SSL_CERT_FILE={}: not a PEM certificate bundle: {e}",
            std::path::Path::new(&file).display()
        )
    })
}

/// An error with its causes, `a: b: c`.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalise_as_pep_503_says() {
        assert_eq!(pep503("Flask_SQLAlchemy"), "flask-sqlalchemy");
        assert_eq!(pep503("zope.interface"), "zope-interface");
        assert_eq!(pep503("a-_.b"), "a-b");
    }

    #[test]
    fn sparse_index_prefixes() {
        assert_eq!(index_prefix("a"), "1");
        assert_eq!(index_prefix("ab"), "2");
        assert_eq!(index_prefix("abc"), "3/a");
        assert_eq!(index_prefix("serde"), "se/rd");
    }
}
