"""Periodic jobs other domains hand to the worker loop (inbound processing, reminders, digests)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

log = logging.getLogger("mou.delivery")
SessionFactory = Callable[[], Session]


@dataclass
class PeriodicJob:
    """A job other domains hand to the worker loop (inbound processing, reminders, digests)."""

    name: str
    fn: Callable[[Session], object]
    every_seconds: float
    last_run: float | None = None


_periodic: dict[str, PeriodicJob] = {}


def register_periodic(name: str, fn: Callable[[Session], object], every_seconds: float = 60.0) -> None:
    """Run `fn(session)` from the worker loop every `every_seconds`; the worker commits after it.

    Every worker process runs every job, so a job must be safe to run concurrently (claim its rows)."""
    _periodic[name] = PeriodicJob(name, fn, every_seconds)


def run_periodic(session_factory: SessionFactory, *, force: bool = False) -> int:
    """Run the registered jobs that are due; a failing job is logged and does not stop the others."""
    ran = 0
    for job in list(_periodic.values()):
        now = time.monotonic()
        if not force and job.last_run is not None and now - job.last_run < job.every_seconds:
            continue
        job.last_run = now
        with session_factory() as session:
            try:
                job.fn(session)
                session.commit()
                ran += 1
            except Exception:
                session.rollback()
                log.exception("periodic job %s failed", job.name)
    return ran
