"""Long work in the background: a bounded queue of jobs with their progress.

The dashboard (and later other services) hand work that takes longer than a page may wait,
such as writing a month's committee pack, to a :class:`JobQueue` and answer at once; the page
then asks for the job's progress until it is done. The queue runs a fixed number of jobs at a
time, refuses new work past a limit (saying when to try again), and keeps one job per key: a
second request for the same pack joins the job already under way, and a finished job's result
is kept for the next request. A failed job is started afresh when asked again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from cscperf.errors import CscperfError

LOG = logging.getLogger("cscperf.app.jobs")
WAITING, RUNNING, DONE, FAILED = "waiting", "running", "done", "failed"

#: how a job reports progress: what it is doing, and the share done (0 to 1)
Progress = Callable[[str, float], None]


class QueueFull(CscperfError):
    """The queue holds as many jobs as it may: the caller should try again later."""


@dataclass
class Job:
    key: Hashable
    label: str  # what the job makes, for people ("the PDF pack for November 2026")
    state: str = WAITING
    step: str = "Waiting for the jobs ahead of it to finish"
    fraction: float = 0.0
    result: Any = None
    error: str = ""
    created: float = field(default_factory=time.monotonic)
    finished: float | None = None

    @property
    def active(self) -> bool:
        return self.state in (WAITING, RUNNING)

    @property
    def percent(self) -> int:
        return round(100 * self.fraction)


class JobQueue:
    """At most ``workers`` jobs run at once and at most ``limit`` are active (waiting or
    running); the last ``keep`` finished jobs are remembered with their results."""

    def __init__(self, workers: int = 1, limit: int = 4, keep: int = 64) -> None:
        self.limit = limit
        self.keep = keep
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cscperf-job")
        self._jobs: OrderedDict[Hashable, Job] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Job | None:
        with self._lock:
            return self._jobs.get(key)

    def forget(self, key: Hashable) -> None:
        """Forget a finished job (its result is no longer good), so that the next request
        starts it again; a job waiting or running is kept."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and not job.active:
                del self._jobs[key]

    def submit(self, key: Hashable, label: str, work: Callable[[Progress], Any]) -> Job:
        """The job for ``key``: the one already waiting, running or done, else a new one
        running ``work(progress)``. Raises :class:`QueueFull` past the limit."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.state != FAILED:
                return job
            active = sum(1 for j in self._jobs.values() if j.active)
            if active >= self.limit:
                raise QueueFull(
                    f"{active} jobs are already waiting or running, the most this service "
                    "takes on at once; try again in a few minutes"
                )
            job = Job(key, label)
            self._jobs.pop(key, None)
            self._jobs[key] = job
            self._forget_old()
        self._pool.submit(self._run, job, work)
        return job

    def _forget_old(self) -> None:
        finished = [k for k, j in self._jobs.items() if not j.active]
        for key in finished[: max(0, len(finished) - self.keep)]:
            del self._jobs[key]

    def _run(self, job: Job, work: Callable[[Progress], Any]) -> None:
        def progress(step: str, fraction: float) -> None:
            job.step = step
            job.fraction = min(max(fraction, 0.0), 1.0)

        job.state = RUNNING
        job.step = "Starting"
        try:
            job.result = work(progress)
        except CscperfError as exc:
            job.error = str(exc)
            job.state = FAILED
        except Exception as exc:  # a job's failure is reported on its page, not lost
            LOG.exception("job %s failed", job.label)
            job.error = f"{type(exc).__name__}: {exc}"
            job.state = FAILED
        else:
            job.fraction = 1.0
            job.step = "Done"
            job.state = DONE
        finally:
            job.finished = time.monotonic()

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
