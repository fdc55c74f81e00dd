"""Delivery errors: domain errors for people (422) and send failures the worker classifies."""

from __future__ import annotations

from app.errors import HeaderInjection, InvalidInput


class InvalidAddress(InvalidInput):
    """An email address is not valid."""

    code = "invalid_address"


class SendError(Exception):
    """A send attempt failed; subclasses say whether trying again can help."""


class TemporaryFailure(SendError):
    """Nothing was delivered and a later attempt may work (connection trouble, 4xx replies)."""


class PermanentFailure(SendError):
    """The server refused the message for good (5xx replies); retrying would not help."""


class AmbiguousFailure(SendError):
    """The connection failed after the message data was sent: it may or may not have been accepted."""


__all__ = [
    "AmbiguousFailure",
    "HeaderInjection",
    "InvalidAddress",
    "PermanentFailure",
    "SendError",
    "TemporaryFailure",
]
