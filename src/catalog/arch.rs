//! Architectural rules as written in task.toml (`[[arch_rules]]`), validated on load.
//!
//! A rule says what the refactored tree's dependency graph must look like. Each has an `id`
//! (unique in its task), an optional `description` shown in reports, and a `kind` deciding its
//! other keys:
//!
//! | kind | keys | holds when |
//! |---|---|---|
//! | `forbid-import` | `from`, `to` (globs) | no file matching `from` imports a file matching `to` |
//! | `layers` | `layers` (globs, top first) | a file imports only files of its own layer or lower ones |
//! | `no-cycles` | `within` (glob) | the imports among files matching `within` have no cycle |
//! | `symbol-exists` | `symbol`, optional `symbol_kind` | a definition has that qualified path (and kind) |
//! | `symbol-absent` | `symbol` | no definition has that qualified path |
//! | `file-absent` | `path` (glob) | no file matches `path` |
//! | `confined-use` | `target`, `only_in` (glob) | files outside `only_in` never import or name `target` |
//!
//! Qualified paths are the graph's (`refbench graph DIR --format json`): Python
//! `app.auth.service.AuthService`, Rust `auth::service::AuthService` (module path below the
//! crate's `src`). The checks themselves live in the scoring stage's rules module.

use serde::{Deserialize, Serialize};

use super::SymbolKind;

/// Identifier of a rule within its task.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RuleId(pub String);

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a rule asserts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RuleKind {
    /// No file matching `from` imports a file matching `to`.
    ForbidImport {
        /// Importing files.
        from: String,
        /// Imported files.
        to: String,
    },
    /// Layers, top first: a file may import files of its own layer or of lower layers only.
    /// A file belongs to the first layer whose glob it matches.
    Layers {
        /// One glob per layer.
        layers: Vec<String>,
    },
    /// The imports among files matching `within` form no cycle.
    NoCycles {
        /// The files considered.
        within: String,
    },
    /// A definition with this qualified path exists (with this kind, when given).
    SymbolExists {
        /// Qualified path.
        symbol: String,
        /// Required kind.
        symbol_kind: Option<SymbolKind>,
    },
    /// No definition has this qualified path.
    SymbolAbsent {
        /// Qualified path.
        symbol: String,
    },
    /// No file matches this glob.
    FileAbsent {
        /// Glob relative to the repo root.
        path: String,
    },
    /// Only files matching `only_in` import or name `target` (a Rust path such as
    /// `std::sync::Mutex` or a Python dotted path such as `threading.Lock`, defined in the tree
    /// or not).
    ConfinedUse {
        /// The type, function or module.
        target: String,
        /// Files allowed to use it.
        only_in: String,
    },
}

impl RuleKind {
    /// The kind as written in task.toml.
    pub fn name(&self) -> &'static str {
        match self {
            RuleKind::ForbidImport { .. } => "forbid-import",
            RuleKind::Layers { .. } => "layers",
            RuleKind::NoCycles { .. } => "no-cycles",
            RuleKind::SymbolExists { .. } => "symbol-exists",
            RuleKind::SymbolAbsent { .. } => "symbol-absent",
            RuleKind::FileAbsent { .. } => "file-absent",
            RuleKind::ConfinedUse { .. } => "confined-use",
        }
    }
}

/// A validated rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchRule {
    /// Unique within the task.
    pub id: RuleId,
    /// Shown in reports; defaults to a sentence built from the rule.
    pub description: String,
    /// What it asserts.
    #[serde(flatten)]
    pub kind: RuleKind,
}

/// One `[[arch_rules]]` table as written: every key any kind takes, checked per kind after.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleFile {
    id: Option<String>,
    kind: Option<String>,
    description: Option<String>,
    from: Option<String>,
    to: Option<String>,
    layers: Option<Vec<String>>,
    within: Option<String>,
    symbol: Option<String>,
    symbol_kind: Option<SymbolKind>,
    path: Option<String>,
    target: Option<String>,
    only_in: Option<String>,
}

const KINDS: &str =
    "forbid-import, layers, no-cycles, symbol-exists, symbol-absent, file-absent, confined-use";

/// Validates the rules of a task. Errors are (key, message) with keys such as
/// `arch_rules[1].from`.
pub(crate) fn validate(raw: Vec<RuleFile>) -> Result<Vec<ArchRule>, (String, String)> {
    let mut out: Vec<ArchRule> = Vec::new();
    for (i, r) in raw.into_iter().enumerate() {
        let key = |k: &str| format!("arch_rules[{i}].{k}");
        let id = r.id.clone().ok_or_else(|| {
            (
                key("id"),
                "required key `id` is missing: name the rule (lowercase letters, digits, - and _)"
                    .to_string(),
            )
        })?;
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err((
                key("id"),
                format!("expected lowercase letters, digits, - and _, found \"{id}\""),
            ));
        }
        if out.iter().any(|o| o.id.0 == id) {
            return Err((key("id"), format!("\"{id}\" is used by an earlier rule")));
        }
        let kind_name = r.kind.clone().ok_or_else(|| {
            (
                key("kind"),
                format!("required key `kind` is missing: one of {KINDS}"),
            )
        })?;
        // Every key a kind does not take is refused, so a typo never silently weakens a rule.
        let given: Vec<(&str, bool)> = vec![
            ("from", r.from.is_some()),
            ("to", r.to.is_some()),
            ("layers", r.layers.is_some()),
            ("within", r.within.is_some()),
            ("symbol", r.symbol.is_some()),
            ("symbol_kind", r.symbol_kind.is_some()),
            ("path", r.path.is_some()),
            ("target", r.target.is_some()),
            ("only_in", r.only_in.is_some()),
        ];
        let takes: &[&str] = match kind_name.as_str() {
            "forbid-import" => &["from", "to"],
            "layers" => &["layers"],
            "no-cycles" => &["within"],
            "symbol-exists" => &["symbol", "symbol_kind"],
            "symbol-absent" => &["symbol"],
            "file-absent" => &["path"],
            "confined-use" => &["target", "only_in"],
            other => {
                return Err((
                    key("kind"),
                    format!("expected one of {KINDS}, found \"{other}\""),
                ))
            }
        };
        if let Some((extra, _)) = given.iter().find(|(k, set)| *set && !takes.contains(k)) {
            return Err((
                key(extra),
                format!(
                    "a `{kind_name}` rule takes {}; `{extra}` does not belong to it",
                    takes
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let need = |k: &str, v: Option<String>| -> Result<String, (String, String)> {
            match v {
                Some(s) if !s.trim().is_empty() => Ok(s),
                Some(_) => Err((key(k), "expected non-empty text, found \"\"".into())),
                None => Err((
                    key(k),
                    format!("required key `{k}` is missing for a `{kind_name}` rule"),
                )),
            }
        };
        let need_glob = |k: &str, v: Option<String>| -> Result<String, (String, String)> {
            let g = need(k, v)?;
            globset::Glob::new(&g)
                .map_err(|e| (key(k), format!("expected a glob, found \"{g}\": {e}")))?;
            Ok(g)
        };
        let kind = match kind_name.as_str() {
            "forbid-import" => RuleKind::ForbidImport {
                from: need_glob("from", r.from)?,
                to: need_glob("to", r.to)?,
            },
            "layers" => {
                let layers = r.layers.unwrap_or_default();
                if layers.len() < 2 {
                    return Err((
                        key("layers"),
                        format!(
                            "expected at least two globs, top layer first, found {}",
                            layers.len()
                        ),
                    ));
                }
                for (j, g) in layers.iter().enumerate() {
                    globset::Glob::new(g).map_err(|e| {
                        (
                            format!("arch_rules[{i}].layers[{j}]"),
                            format!("expected a glob, found \"{g}\": {e}"),
                        )
                    })?;
                }
                RuleKind::Layers { layers }
            }
            "no-cycles" => RuleKind::NoCycles {
                within: need_glob("within", r.within)?,
            },
            "symbol-exists" => RuleKind::SymbolExists {
                symbol: need("symbol", r.symbol)?,
                symbol_kind: r.symbol_kind,
            },
            "symbol-absent" => RuleKind::SymbolAbsent {
                symbol: need("symbol", r.symbol)?,
            },
            "file-absent" => RuleKind::FileAbsent {
                path: need_glob("path", r.path)?,
            },
            "confined-use" => RuleKind::ConfinedUse {
                target: need("target", r.target)?,
                only_in: need_glob("only_in", r.only_in)?,
            },
            _ => unreachable!("kind checked above"),
        };
        let description = r
            .description
            .filter(|d| !d.trim().is_empty())
            .unwrap_or_else(|| default_description(&kind));
        out.push(ArchRule {
            id: RuleId(id),
            description,
            kind,
        });
    }
    Ok(out)
}

/// A sentence saying what the rule asserts.
fn default_description(kind: &RuleKind) -> String {
    match kind {
        RuleKind::ForbidImport { from, to } => format!("{from} must not import {to}"),
        RuleKind::Layers { layers } => {
            format!("layers, imports only downward: {}", layers.join(" > "))
        }
        RuleKind::NoCycles { within } => format!("no import cycle within {within}"),
        RuleKind::SymbolExists {
            symbol,
            symbol_kind: Some(k),
        } => format!("{symbol} exists as a {}", kind_word(*k)),
        RuleKind::SymbolExists { symbol, .. } => format!("{symbol} exists"),
        RuleKind::SymbolAbsent { symbol } => format!("{symbol} is gone"),
        RuleKind::FileAbsent { path } => format!("no file matches {path}"),
        RuleKind::ConfinedUse { target, only_in } => {
            format!("{target} is used only in {only_in}")
        }
    }
}

/// The kind as written in task.toml (`class`, `struct`, ...).
pub fn kind_word(k: SymbolKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<ArchRule>, (String, String)> {
        #[derive(Deserialize)]
        struct Doc {
            arch_rules: Vec<RuleFile>,
        }
        let doc: Doc = toml::from_str(text).expect("valid toml");
        validate(doc.arch_rules)
    }

    #[test]
    fn every_kind_parses() {
        let rules = parse(
            r#"
[[arch_rules]]
id = "a"
kind = "forbid-import"
from = "app/handlers/**"
to = "app/db/**"
[[arch_rules]]
id = "b"
kind = "layers"
layers = ["app/web/**", "app/core/**"]
[[arch_rules]]
id = "c"
kind = "no-cycles"
within = "app/**"
[[arch_rules]]
id = "d"
kind = "symbol-exists"
symbol = "app.auth.AuthService"
symbol_kind = "class"
[[arch_rules]]
id = "e"
kind = "symbol-absent"
symbol = "app.auth.check"
[[arch_rules]]
id = "f"
kind = "file-absent"
path = "app/legacy.py"
[[arch_rules]]
id = "g"
kind = "confined-use"
target = "threading.Lock"
only_in = "app/sync.py"
description = "locks come from the shim"
"#,
        )
        .unwrap();
        assert_eq!(rules.len(), 7);
        assert_eq!(
            rules[3].kind,
            RuleKind::SymbolExists {
                symbol: "app.auth.AuthService".into(),
                symbol_kind: Some(SymbolKind::Class)
            }
        );
        assert_eq!(
            rules[0].description,
            "app/handlers/** must not import app/db/**"
        );
        assert_eq!(rules[6].description, "locks come from the shim");
    }

    #[test]
    fn mistakes_name_the_key() {
        let cases = [
            (
                "id = \"a\"\nkind = \"forbid-import\"\nfrom = \"x\"",
                "arch_rules[0].to",
                "missing",
            ),
            (
                "id = \"a\"\nkind = \"no-cycle\"\nwithin = \"x\"",
                "arch_rules[0].kind",
                "no-cycles",
            ),
            (
                "kind = \"no-cycles\"\nwithin = \"x\"",
                "arch_rules[0].id",
                "missing",
            ),
            (
                "id = \"a\"\nkind = \"no-cycles\"\nwithin = \"x\"\nfrom = \"y\"",
                "arch_rules[0].from",
                "does not belong",
            ),
            (
                "id = \"a\"\nkind = \"file-absent\"\npath = \"a/[\"",
                "arch_rules[0].path",
                "expected a glob",
            ),
            (
                "id = \"a\"\nkind = \"layers\"\nlayers = [\"x\"]",
                "arch_rules[0].layers",
                "at least two",
            ),
            (
                "id = \"A b\"\nkind = \"file-absent\"\npath = \"x\"",
                "arch_rules[0].id",
                "lowercase",
            ),
        ];
        for (body, key, says) in cases {
            let (k, m) = parse(&format!("[[arch_rules]]\n{body}\n")).unwrap_err();
            assert_eq!(k, key, "{body}");
            assert!(m.contains(says), "{body}: {m}");
        }
        let (k, m) = parse(
            "[[arch_rules]]\nid = \"a\"\nkind = \"file-absent\"\npath = \"x\"\n[[arch_rules]]\nid = \"a\"\nkind = \"file-absent\"\npath = \"y\"\n",
        )
        .unwrap_err();
        assert_eq!(k, "arch_rules[1].id");
        assert!(m.contains("earlier rule"));
    }
}
