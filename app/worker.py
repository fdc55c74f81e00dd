"""The worker: sends the outbox, processes the inbound inbox and runs scheduled follow-through jobs.

One loop (app.delivery.worker) runs everything; this module registers the jobs of each domain once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from app.config import Settings, get_settings
from app.delivery import periodic
from app.delivery import worker as delivery_worker
from app.models import utcnow

_registered_for: set[int] = set()


def register_jobs(settings: Settings) -> None:
    """Hand inbound processing, reminders and digests to the worker loop (idempotent)."""
    if id(settings) in _registered_for:
        return
    _registered_for.add(id(settings))
    from app.followup.digest import send_weekly_digests
    from app.followup.reminders import send_due_reminders
    from app.intake.service import process_pending

    def inbound(session: Session) -> object:
        return process_pending(session, settings)

    periodic.register_periodic("inbound", inbound, every_seconds=0.5)
    periodic.register_periodic("reminders", lambda s: send_due_reminders(s, utcnow(), settings), 300)
    periodic.register_periodic("digest", lambda s: send_weekly_digests(s, utcnow(), settings), 900)


def run_forever(settings: Settings | None = None) -> None:
    """`mou worker`: loop until interrupted."""
    settings = settings or get_settings()
    register_jobs(settings)
    stop = threading.Event()
    try:
        delivery_worker.run_worker(stop, settings=settings)
    except KeyboardInterrupt:
        stop.set()


def run_once_all(settings: Settings | None = None) -> int:
    """`mou worker --once`: process the inbox, send what is due and run every job once."""
    settings = settings or get_settings()
    register_jobs(settings)
    factory = delivery_worker.default_session_factory(settings)
    jobs = periodic.run_periodic(factory, force=True)
    sent = delivery_worker.run_once(factory, settings=settings)
    return jobs + sent


def start_in_process(app_state: Any) -> Callable[[], None]:
    """Start the worker thread inside the web process (lifespan); returns its stop function."""
    register_jobs(app_state.settings)
    return delivery_worker.start_in_process_worker(app_state)
