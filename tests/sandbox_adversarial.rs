//! The adversarial suite: small tasks whose gold patch is hostile test code, run through the
//! real binary with the full sandbox. Each attempt must end within its limit with a verdict that
//! names what stopped it, the canaries outside the attempt must be unchanged, the listener
//! opened here must see no connection, no process of the run may be left, the fake API key in
//! refbench's environment must appear nowhere, and the run must go on to the next attempt.

mod common;

use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use common::text;

const FAKE_KEY: &str = "sk-refbench-adversarial-0123456789abcdef";
/// The limit for the tasks whose job is to be stopped by the clock (the endless loop, the fork
/// bomb, the 2 GiB flood): short, so the suite stays quick.
const HOSTILE_TIMEOUT_S: u64 = 8;
/// The limit for the tasks that end by themselves once contained (denied writes, a refused
/// connection, the environment scan, the allocation). They run with `--jobs 2` beside the
/// CPU-hungry ones, so a short limit would let a loaded machine turn their verdict into a
/// timeout; a generous one keeps the verdict about containment, not scheduling.
const CONTAINED_TIMEOUT_S: u64 = 120;

/// Whether a task is meant to end on its time limit.
fn ends_on_the_clock(name: &str) -> bool {
    matches!(name, "fork-bomb" | "loop-forever" | "print-2g")
}

/// Hostile test bodies, by task name. `{canary}`, `{home}`, `{port}` are filled in.
fn evil_tests() -> Vec<(&'static str, String)> {
    let head = "import os, socket, subprocess, sys, time\n\n\ndef test_evil():\n";
    let body = |b: &str| {
        format!(
            "{head}{}\n",
            b.lines()
                .map(|l| format!("    {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    };
    vec![
        (
            "fork-bomb",
            body("while True:\n    try:\n        os.fork()\n    except OSError:\n        pass"),
        ),
        ("loop-forever", body("while True:\n    pass")),
        ("allocate-50g", body("block = bytearray(50 * 2**30)\nassert block")),
        (
            "write-canaries",
            body(
                "for path in ['{canary}', '{home}/.bashrc', os.path.expanduser('~/../../../../{home}/.bashrc')]:\n    with open(path, 'a') as f:\n        f.write('pwned\\n')",
            ),
        ),
        (
            "connect-listener",
            body("s = socket.create_connection(('127.0.0.1', {port}), timeout=3)\ns.sendall(b'pwned')"),
        ),
        (
            "print-2g",
            body("chunk = 'x' * (1 << 20)\nfor _ in range(2048):\n    os.write(1, chunk.encode())"),
        ),
        (
            "setsid-daemon",
            body("subprocess.Popen([sys.executable, '-c', 'import time\\nwhile True: time.sleep(0.1)'], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\ntime.sleep(0.5)"),
        ),
        (
            "dump-environment",
            body(
                "found = [k for k, v in os.environ.items() if 'sk-' in v]\nprint(dict(os.environ))\nstart = time.time()\nfor pid in os.listdir('/proc'):\n    if time.time() - start > 4:\n        break\n    try:\n        data = open(f'/proc/{pid}/environ', 'rb').read()\n    except OSError:\n        continue\n    if b'sk-refbench' in data:\n        print('LEAK', data)\n        found.append(pid)\nassert not found",
            ),
        ),
    ]
}

fn evil_project(canary: &Path, home: &Path, port: u16) -> tempfile::TempDir {
    let dir = common::mini_project();
    let root = dir.path();
    for (name, code) in evil_tests() {
        let code = code
            .replace("{canary}", &canary.display().to_string())
            .replace("{home}", &home.display().to_string())
            .replace("{port}", &port.to_string());
        let test_timeout = if ends_on_the_clock(name) {
            HOSTILE_TIMEOUT_S
        } else {
            CONTAINED_TIMEOUT_S
        };
        common::add_test_task(
            root,
            &format!("evil-{name}"),
            &format!("Adversarial: {name}"),
            "tests/test_evil.py::test_evil",
            &code,
            &format!("\n[timeouts]\ntests = {test_timeout}\ndetector = 30\n"),
        );
    }
    dir
}

/// Processes whose environment mentions `marker` (every process of an attempt has its HOME
/// and TMPDIR below it).
fn processes_mentioning(marker: &str) -> Vec<String> {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let pid = e.file_name().to_string_lossy().into_owned();
            if !pid.chars().all(|c| c.is_ascii_digit()) || pid == me {
                return None;
            }
            let env = std::fs::read(e.path().join("environ")).ok()?;
            String::from_utf8_lossy(&env).contains(marker).then(|| {
                let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
                format!(
                    "{pid}: {}",
                    String::from_utf8_lossy(&cmd).replace('\0', " ")
                )
            })
        })
        .collect()
}

fn grep_tree(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut hits = vec![];
    for entry in walk(dir) {
        if let Ok(data) = std::fs::read(&entry) {
            if let Some(at) = data.windows(needle.len()).position(|w| w == needle) {
                let context = &data[at.saturating_sub(300)..(at + 100).min(data.len())];
                hits.push(format!(
                    "{}: ...{}...",
                    entry.display(),
                    String::from_utf8_lossy(context)
                ));
            }
        }
    }
    hits
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn hostile_tests_are_contained_and_the_run_goes_on() {
    let outside = tempfile::tempdir().unwrap();
    let canary = outside.path().join("canary.txt");
    std::fs::write(&canary, "untouched\n").unwrap();
    let home = outside.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join(".bashrc"), "# untouched\n").unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    // Attempt directories go below this one, so every process of the run can be found.
    let attempts_tmp = outside.path().join("attempts");
    std::fs::create_dir_all(&attempts_tmp).unwrap();

    let project = evil_project(&canary, &home, port);
    let root = project.path();
    let started = Instant::now();
    let out = common::refbench()
        .arg("--root")
        .arg(root)
        .arg("--runs-dir")
        .arg(root.join("runs"))
        .arg("--cache-dir")
        .arg(common::shared_cache())
        .args(["run", "-t", "mini/evil-*", "-m", "gold", "--jobs", "2"])
        .env("TMPDIR", &attempts_tmp)
        .env("HOME", &home)
        .env("REFBENCH_FAKE_API_KEY", FAKE_KEY)
        .env("OPENAI_API_KEY", FAKE_KEY)
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stderr = text(&out.stderr);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("sandbox: full"), "{stdout}\n{stderr}");

    let run_dir = common::only_run(&root.join("runs"));
    let records = common::attempt_records(&run_dir);
    // The run went on through every attempt, each graded (not a harness error).
    assert_eq!(records.len(), evil_tests().len(), "{stderr}");
    let detail = |name: &str| -> String {
        let r = records
            .iter()
            .find(|r| r["key"]["task"] == format!("mini/evil-{name}"))
            .unwrap_or_else(|| panic!("no record for {name}"));
        assert_eq!(r["outcome"], "unresolved", "{name}: {r}");
        r["verdict"]["tests"]["detail"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let expect = [
        ("fork-bomb", "timed out"),
        ("loop-forever", "timed out"),
        ("allocate-50g", "memory limit"),
        ("write-canaries", "sandbox denial"),
        ("connect-listener", "sandbox denial"),
        ("dump-environment", "exit 0"), // it looked everywhere and found no key
    ];
    for (name, verdict) in expect {
        let d = detail(name);
        assert!(
            d.contains(verdict),
            "{name}: expected `{verdict}`, got `{d}`"
        );
    }
    // pytest captures the output, hits the file-size limit, then tries to report the 256 MiB
    // it captured: the limit or the clock ends it, whichever comes first on a busy machine.
    let flood = detail("print-2g");
    assert!(
        flood.contains("file-size limit") || flood.contains("timed out"),
        "print-2g: {flood}"
    );
    // The daemon's test itself passes; what matters is that the daemon is gone (below).
    assert!(detail("setsid-daemon").starts_with("exit"));
    assert!(
        detail("fork-bomb").contains("process limit"),
        "{}",
        detail("fork-bomb")
    );
    // Every attempt ended within its own limit (above); the whole run must not hang either.
    assert!(elapsed < Duration::from_secs(300), "took {elapsed:?}");

    assert_eq!(std::fs::read_to_string(&canary).unwrap(), "untouched\n");
    assert_eq!(
        std::fs::read_to_string(home.join(".bashrc")).unwrap(),
        "# untouched\n"
    );
    match listener.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("the listener saw a connection: {other:?}"),
    }
    // Give killed processes a moment to be reaped, then nothing of the run may be left.
    let marker = attempts_tmp.display().to_string();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut left = processes_mentioning(&marker);
    while !left.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        left = processes_mentioning(&marker);
    }
    assert!(left.is_empty(), "processes left behind: {left:?}");
    let leaks = grep_tree(&run_dir, FAKE_KEY.as_bytes());
    assert!(leaks.is_empty(), "the fake key leaked into {leaks:?}");
    let leaks = grep_tree(&attempts_tmp, FAKE_KEY.as_bytes());
    assert!(leaks.is_empty(), "the fake key leaked into {leaks:?}");
}
