"""Periodic jobs, driven by an external tick (cron calls ``run_due``)."""

import threading
import traceback

from ..errors import NotFound


class Job:
    def __init__(self, name: str, interval: float, fn, first_run: float):
        self.name = name
        self.interval = interval
        self.fn = fn
        self.next_run = first_run
        self.runs = 0
        self.last_error = None


class JobScheduler:
    def __init__(self, clock, db=None):
        self._clock = clock
        self._jobs = {}
        self._lock = threading.Lock()
        self._runs = db.table("job_runs") if db is not None else None

    def every(self, name: str, seconds: float, fn, *, start_in: float | None = None) -> Job:
        first = self._clock.now() + (seconds if start_in is None else start_in)
        job = Job(name, seconds, fn, first)
        with self._lock:
            self._jobs[name] = job
        return job

    def jobs(self) -> list:
        with self._lock:
            return sorted(self._jobs)

    def job(self, name: str) -> Job:
        with self._lock:
            job = self._jobs.get(name)
        if job is None:
            raise NotFound(f"no job {name}")
        return job

    def run(self, name: str):
        job = self.job(name)
        started = self._clock.now()
        try:
            result = job.fn()
            job.last_error = None
            ok = True
        except Exception:  # noqa: BLE001 - a failing job is recorded, the others go on
            result = None
            job.last_error = traceback.format_exc(limit=3)
            ok = False
        job.runs += 1
        job.next_run = self._clock.now() + job.interval
        if self._runs is not None:
            self._runs.insert({"job": name, "started_at": started, "ok": ok,
                               "error": job.last_error})
        return result

    def run_due(self) -> list:
        now = self._clock.now()
        with self._lock:
            due = sorted((j for j in self._jobs.values() if j.next_run <= now),
                         key=lambda j: (j.next_run, j.name))
        return [(job.name, self.run(job.name)) for job in due]
