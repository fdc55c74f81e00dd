"""The pipeline's outgoing mail, in one place: queued through delivery's outbox, never sent here."""

from __future__ import annotations

import importlib
import logging

from sqlmodel import Session

from app.config import Settings
from app.errors import DomainError
from app.models import Mou

log = logging.getLogger("mou.intake")


class DeliveryUnavailable(DomainError):
    """The delivery service cannot queue this message yet."""

    status = 503
    code = "delivery_unavailable"


def _enqueue(name: str):
    try:
        module = importlib.import_module("app.delivery.service")
    except ModuleNotFoundError as exc:
        raise DeliveryUnavailable("app.delivery.service is not installed.") from exc
    func = getattr(module, name, None)
    if func is None:
        raise DeliveryUnavailable(f"app.delivery.service has no {name}().")
    return func


def queue_customer_mou(session: Session, mou: Mou, settings: Settings) -> None:
    """Queue the rendered MOU to the customer (rep in Cc, managers in Bcc) in this transaction."""
    _enqueue("enqueue_mou_delivery")(session, mou, settings=settings)


def queue_rep_feedback(session: Session, mou: Mou, settings: Settings) -> None:
    """Queue a note to the rep listing the missing elements with their hints."""
    _enqueue("enqueue_rep_feedback")(session, mou, mou.checklist, settings=settings)
