//! What cargo prints, read: the test targets and executables a
//! `--message-format=json-render-diagnostics` build built (and whether it ran the tree's own
//! code), and the build time cargo reports. Output text in, typed reports out. (Each test
//! executable's own output is read by [`super::libtest`].)

use serde::Deserialize;

use crate::lang::{BuildReport, TestExecutable};

/// The build time cargo reports before running tests (`Finished `test` profile [...] target(s)
/// in 7.09s`, or `in 1m 02s` past a minute), in milliseconds; `None` when it printed none
/// (the build failed or was killed).
pub fn cargo_build_ms(output: &str) -> Option<u64> {
    output
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let rest = l.strip_prefix("Finished ")?;
            let (_, time) = rest.rsplit_once(" in ")?;
            let mut ms = 0.0;
            for part in time.split_whitespace() {
                if let Some(m) = part.strip_suffix('m') {
                    ms += m.parse::<f64>().ok()? * 60_000.0;
                } else if let Some(sec) = part.strip_suffix('s') {
                    ms += sec.parse::<f64>().ok()? * 1000.0;
                } else {
                    return None;
                }
            }
            Some(ms.round() as u64)
        })
        .next()
}

/// Parses the output of a keep-going test build: which test targets compiled.
pub fn parse_cargo_test_build(output: &str) -> BuildReport {
    #[derive(Deserialize)]
    struct Target {
        kind: Vec<String>,
        name: String,
        #[serde(default)]
        src_path: String,
    }
    #[derive(Deserialize)]
    struct Profile {
        test: bool,
    }
    #[derive(Deserialize)]
    #[serde(tag = "reason", rename_all = "kebab-case")]
    enum Message {
        CompilerArtifact {
            package_id: String,
            target: Target,
            profile: Profile,
            #[serde(default)]
            executable: Option<String>,
        },
        BuildScriptExecuted {
            package_id: String,
        },
        BuildFinished {
            success: bool,
        },
        #[serde(other)]
        Other,
    }
    // A package of the tree (`path+file://...`), named `NAME@VERSION` after the `#`.
    let local = |id: &str| {
        id.starts_with("path+file://")
            .then(|| id.rsplit('#').next().unwrap_or(id).to_string())
    };
    let mut build = BuildReport::default();
    for line in output.lines() {
        let message = line
            .starts_with("{\"reason\":")
            .then(|| serde_json::from_str::<Message>(line).ok())
            .flatten();
        match message {
            Some(Message::BuildScriptExecuted { package_id }) => {
                if let Some(name) = local(&package_id) {
                    build
                        .ran_local_code
                        .get_or_insert(format!("{name} (build script)"));
                }
            }
            Some(Message::CompilerArtifact {
                package_id, target, ..
            }) if target.kind.iter().any(|k| k == "proc-macro") => {
                if let Some(name) = local(&package_id) {
                    build
                        .ran_local_code
                        .get_or_insert(format!("{name} (proc macro {})", target.name));
                }
            }
            Some(Message::CompilerArtifact {
                target,
                profile,
                executable,
                ..
            }) if profile.test => {
                if let Some(path) = executable {
                    build.programs.push(path.clone().into());
                    build.executables.push(TestExecutable {
                        source: target.src_path.clone().into(),
                        path: path.into(),
                    });
                }
                let kind = target.kind.first().map(String::as_str);
                let args = match kind {
                    Some("lib" | "rlib" | "dylib" | "cdylib" | "staticlib" | "proc-macro") => {
                        vec!["--lib".to_string()]
                    }
                    Some(k @ ("test" | "bin" | "example")) => vec![format!("--{k}"), target.name],
                    _ => continue,
                };
                build.targets.push(args);
            }
            Some(Message::CompilerArtifact {
                executable: Some(path),
                ..
            }) => build.programs.push(path.into()),
            Some(Message::BuildFinished { success }) => {
                build.finished = true;
                build.success = success;
            }
            Some(_) => {}
            None => {
                build.human.push_str(line);
                build.human.push('\n');
            }
        }
    }
    build.targets.sort();
    build.targets.dedup();
    build
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn cargo_build_time_is_read_from_the_finished_line() {
        let out = "   Compiling q v0.1.0 (/x)\n    Finished `test` profile [unoptimized + debuginfo] target(s) in 7.09s\n     Running unittests src/lib.rs\n";
        assert_eq!(cargo_build_ms(out), Some(7090));
        let long = "    Finished `test` profile [unoptimized] target(s) in 1m 02s\n";
        assert_eq!(cargo_build_ms(long), Some(62_000));
        assert_eq!(cargo_build_ms("error[E0425]: cannot find value\n"), None);
    }

    #[test]
    fn a_keep_going_test_build_names_the_targets_that_compiled() {
        // Trimmed from cargo 1.95's output on a fixture whose hidden test event_bus does not
        // compile: the library (once as a dependency, once as unit tests) and two test targets
        // did.
        let output = r#"{"reason":"compiler-artifact","package_id":"path+file:///t#rsauth@0.7.3","target":{"kind":["lib"],"crate_types":["lib"],"name":"rsauth","src_path":"/t/src/lib.rs","test":true},"profile":{"opt_level":"0","debuginfo":0,"test":true},"features":[],"fresh":false}
{"reason":"compiler-artifact","package_id":"path+file:///t#rsauth@0.7.3","target":{"kind":["lib"],"crate_types":["lib"],"name":"rsauth","src_path":"/t/src/lib.rs","test":true},"profile":{"opt_level":"0","debuginfo":0,"test":false},"features":[],"fresh":false}
   Compiling rsauth v0.7.3 (/t)
error[E0432]: unresolved import `rsauth::events`
{"reason":"compiler-artifact","package_id":"path+file:///t#rsauth@0.7.3","target":{"kind":["test"],"crate_types":["bin"],"name":"login_flow","src_path":"/t/tests/login_flow.rs","test":true},"profile":{"opt_level":"0","debuginfo":0,"test":true},"features":[],"executable":"/t/target/debug/deps/login_flow-ab12","fresh":true}
{"reason":"compiler-artifact","package_id":"path+file:///t#rsauth@0.7.3","target":{"kind":["bin"],"crate_types":["bin"],"name":"admin","src_path":"/t/src/main.rs","test":true},"profile":{"opt_level":"0","debuginfo":0,"test":true},"features":[],"fresh":true}
{"reason":"compiler-artifact","package_id":"path+file:///t#rsauth@0.7.3","target":{"kind":["bin"],"crate_types":["bin"],"name":"admin","src_path":"/t/src/main.rs","test":true},"profile":{"opt_level":"0","debuginfo":0,"test":false},"features":[],"executable":"/t/target/debug/admin","fresh":true}
error: could not compile `rsauth` (test "event_bus") due to 1 previous error
{"reason":"build-finished","success":false}
"#;
        let build = parse_cargo_test_build(output);
        assert!(build.finished);
        assert!(!build.success);
        assert_eq!(build.ran_local_code, None);
        assert_eq!(
            build.executables,
            vec![TestExecutable {
                source: "/t/tests/login_flow.rs".into(),
                path: "/t/target/debug/deps/login_flow-ab12".into(),
            }]
        );
        // What the tests may run and read of the build cache: the test executable and the
        // crate's own program.
        assert_eq!(
            build.programs,
            vec![
                PathBuf::from("/t/target/debug/deps/login_flow-ab12"),
                PathBuf::from("/t/target/debug/admin"),
            ]
        );
        assert_eq!(
            build.targets,
            vec![
                vec!["--bin".to_string(), "admin".into()],
                vec!["--lib".to_string()],
                vec!["--test".to_string(), "login_flow".into()],
            ]
        );
        assert_eq!(
            build.human,
            "   Compiling rsauth v0.7.3 (/t)\nerror[E0432]: unresolved import `rsauth::events`\nerror: could not compile `rsauth` (test \"event_bus\") due to 1 previous error\n"
        );
        // The tree's own build script and proc macros run at build time; dependencies' do not
        // count (they come from the registry).
        let scripts = r#"{"reason":"build-script-executed","package_id":"registry+https://github.com/rust-lang/crates.io-index#libc@0.2.1","linked_libs":[],"linked_paths":[],"cfgs":[],"env":[],"out_dir":"/o"}
{"reason":"compiler-artifact","package_id":"path+file:///t/macros#fx-macros@0.1.0","target":{"kind":["proc-macro"],"crate_types":["proc-macro"],"name":"fx_macros","src_path":"/t/macros/src/lib.rs","test":true},"profile":{"opt_level":"0","debuginfo":0,"test":false},"features":[],"fresh":false}
{"reason":"build-script-executed","package_id":"path+file:///t#fx@0.1.0","linked_libs":[],"linked_paths":[],"cfgs":[],"env":[],"out_dir":"/o"}
{"reason":"build-finished","success":true}
"#;
        let build = parse_cargo_test_build(scripts);
        assert!(build.success);
        assert_eq!(
            build.ran_local_code.as_deref(),
            Some("fx-macros@0.1.0 (proc macro fx_macros)")
        );
        // A cargo that does not know the flags says so in words and sends no JSON.
        let old = parse_cargo_test_build("error: unexpected argument '--keep-going' found\n");
        assert!(!old.finished);
        assert!(old.targets.is_empty());
    }
}
