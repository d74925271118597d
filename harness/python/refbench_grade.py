"""refbench's pytest plugin: the harness-owned results channel of a graded run.

Loaded by refbench with ``-p refbench_grade --refbench-results=PATH`` (PATH in the
run's scratch folder).  It writes one JSON object per line to PATH:

* ``{"id": NODEID, "when": "setup"|"call"|"teardown", "outcome": ...}`` for each
  test phase, as pytest reports it (flushed at once, so a process that dies keeps
  what it wrote);
* ``{"finished": EXITSTATUS}`` when the session ends.

refbench cross-checks these records with the JUnit report, the process's exit
status and the harness canaries; any disagreement means the run's results are not
trusted.  The channel is opened when pytest configures the plugin, before any test
module (or the code it imports) is loaded.
"""

import json
import os

_channel = None


def pytest_addoption(parser):
    parser.addoption(
        "--refbench-results",
        default=None,
        help="refbench: file the harness's per-test results are written to",
    )


def _write(record):
    if _channel is not None:
        os.write(_channel, (json.dumps(record) + "\n").encode())


def pytest_configure(config):
    global _channel
    path = config.getoption("--refbench-results")
    if path and _channel is None:
        _channel = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)


def pytest_runtest_logreport(report):
    _write({"id": report.nodeid, "when": report.when, "outcome": report.outcome})


def pytest_sessionfinish(session, exitstatus):
    _write({"finished": int(exitstatus)})
