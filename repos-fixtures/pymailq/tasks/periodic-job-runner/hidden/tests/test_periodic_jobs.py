import threading

import pytest

from mailq import metrics
from mailq.clock import FakeClock, SystemClock
from mailq.message import MessageStatus
from mailq.periodic import JobRunner, PeriodicJob
from mailq.settings import Settings, from_env

from .conftest import ADMIN, call, submit


def test_jobs_run_when_due():
    clock = FakeClock(1000.0)
    runner = JobRunner(clock)
    calls = []
    runner.add("b-often", 10, lambda: calls.append("b"))
    runner.add("a-rare", 30, lambda: calls.append("a"))
    assert runner.run_due() == []
    clock.advance(10)
    assert runner.run_due() == ["b-often"]
    assert runner.run_due() == []
    clock.advance(20)
    assert runner.run_due() == ["b-often", "a-rare"]      # b-often was due at 1020
    assert calls == ["b", "b", "a"]
    job = runner.job("b-often")
    assert isinstance(job, PeriodicJob)
    assert job.runs == 2 and job.next_run_at == 1040.0
    assert [j.name for j in runner.jobs()] == ["a-rare", "b-often"]


def test_due_jobs_run_earliest_first_then_by_name():
    clock = FakeClock(0.0)
    runner = JobRunner(clock)
    order = []
    runner.add("zeta", 5, lambda: order.append("zeta"))
    runner.add("alpha", 5, lambda: order.append("alpha"))
    runner.add("late", 7, lambda: order.append("late"))
    clock.advance(100)
    assert runner.run_due() == ["alpha", "zeta", "late"]
    assert order == ["alpha", "zeta", "late"]


def test_run_immediately_and_run_all():
    clock = FakeClock(0.0)
    runner = JobRunner(clock)
    runner.add("now", 60, lambda: None, run_immediately=True)
    runner.add("later", 60, lambda: None)
    assert runner.run_due() == ["now"]
    assert runner.run_all() == ["later", "now"]
    assert runner.job("later").runs == 1 and runner.job("later").next_run_at == 60.0


def test_a_failing_job_is_counted_and_rescheduled():
    clock = FakeClock(0.0)
    runner = JobRunner(clock)
    ran = []

    def broken():
        raise RuntimeError("relay down")
    runner.add("broken", 5, broken)
    runner.add("fine", 5, lambda: ran.append(1))
    clock.advance(5)
    assert runner.run_due() == ["broken", "fine"]
    job = runner.job("broken")
    assert job.failures == 1 and job.runs == 1
    assert job.last_error == "RuntimeError: relay down"
    assert job.next_run_at == 10.0 and ran == [1]
    assert metrics.counter("jobs.failed", job="broken") == 1
    assert metrics.counter("jobs.run", job="fine") == 1


def test_add_and_remove_are_checked():
    runner = JobRunner(FakeClock())
    runner.add("x", 1, lambda: None)
    with pytest.raises(ValueError):
        runner.add("x", 1, lambda: None)
    with pytest.raises(ValueError):
        runner.add("y", 0, lambda: None)
    with pytest.raises(ValueError):
        JobRunner(FakeClock(), poll_seconds=0)
    assert runner.remove("x") is True and runner.remove("x") is False
    with pytest.raises(KeyError):
        runner.job("x")


def test_the_application_registers_its_jobs(clock, relay):
    from mailq.app import Application
    settings = Settings(scheduler_poll_seconds=2, housekeeping_seconds=30,
                        metrics_flush_seconds=15, job_poll_seconds=0.25)
    app = Application(settings, clock)
    assert isinstance(app.jobs, JobRunner) and app.jobs.poll_seconds == 0.25
    assert [(j.name, j.interval) for j in app.jobs.jobs()] == [
        ("housekeeping", 30.0), ("metrics-flush", 15.0), ("retry-release", 2.0)]
    response = call(app, "GET", "/admin/jobs", headers={"X-Admin-Token": settings.admin_token})
    assert [j["name"] for j in response.body["jobs"]] == ["housekeeping", "metrics-flush",
                                                          "retry-release"]
    assert response.body["jobs"][0] == {"name": "housekeeping", "interval": 30.0,
                                        "next_run_at": clock.now() + 30, "runs": 0,
                                        "failures": 0, "last_error": None}


def test_due_retries_are_released_by_the_job(app, relay, clock):
    relay.script("alice", [451, 250])
    spool_id = submit(app).body["id"]
    app.process_pending()
    assert app.spool.require(spool_id).status == MessageStatus.DEFERRED
    clock.advance(60)
    assert "retry-release" in app.jobs.run_due()
    assert app.spool.require(spool_id).status == MessageStatus.QUEUED
    app.process_pending()
    assert app.spool.require(spool_id).status == MessageStatus.DELIVERED
    assert call(app, "GET", "/admin/jobs", headers=ADMIN).status == 200


def test_housekeeping_and_metrics_jobs(app, clock):
    seen = []
    metrics.add_sink(seen.append)
    submit(app)
    clock.advance(app.settings.housekeeping_seconds)
    names = app.jobs.run_due()
    assert "housekeeping" in names and "metrics-flush" in names
    assert app.housekeeper.runs == 1
    assert seen and seen[-1]["counters"]["intake.accepted{source=api}"] == 1


def test_one_runner_thread_instead_of_three(app):
    before = {t.name for t in threading.enumerate()}
    app.start()
    try:
        names = {t.name for t in threading.enumerate()} - before
        assert "periodic-jobs" in names
        assert not names & {"retry-scheduler", "housekeeper", "metrics-flusher"}
        assert app.jobs.running
    finally:
        app.stop()
    assert not app.jobs.running
    assert "periodic-jobs" not in {t.name for t in threading.enumerate()}
    assert not hasattr(app.scheduler, "start") and not hasattr(app.housekeeper, "start")


def test_the_runner_thread_runs_due_jobs():
    ran = threading.Event()
    runner = JobRunner(SystemClock(), poll_seconds=0.01)
    runner.add("tick", 0.01, ran.set)
    runner.start()
    try:
        assert ran.wait(10), "the job never ran"
    finally:
        runner.stop()
    assert runner.job("tick").runs >= 1 and not runner.running


def test_stop_flushes_what_the_last_deliveries_produced(app, relay):
    seen = []
    metrics.add_sink(seen.append)
    submit(app)
    app.start()
    try:
        assert app.queue.join(timeout=10)
    finally:
        app.stop()
    assert seen and seen[-1]["counters"].get("delivery.delivered") == 1


def test_job_intervals_come_from_the_environment():
    settings = from_env({"POSTROOM_SCHEDULER_POLL_SECONDS": "5",
                         "POSTROOM_HOUSEKEEPING_SECONDS": "120",
                         "POSTROOM_JOB_POLL_SECONDS": "0.1"})
    assert (settings.scheduler_poll_seconds, settings.housekeeping_seconds,
            settings.job_poll_seconds) == (5.0, 120.0, 0.1)
    assert Settings().scheduler_poll_seconds == 1.0 and Settings().housekeeping_seconds == 60.0
    with pytest.raises(ValueError):
        from_env({"POSTROOM_HOUSEKEEPING_SECONDS": "0"})
