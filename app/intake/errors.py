"""Intake errors: what a provider retry cannot fix is a 4xx; only our own failures are 5xx."""

from __future__ import annotations

from app.errors import DomainError, InvalidInput, NotConfigured, NotFound, PayloadTooLarge, Unauthorized


class MalformedEmail(InvalidInput):
    """The message cannot be read as an email."""

    code = "malformed_email"


class MalformedPayload(InvalidInput):
    """The webhook payload is not in the provider's format."""

    code = "malformed_payload"


class SignatureInvalid(Unauthorized):
    """The webhook signature or credentials do not check out."""

    code = "signature_invalid"


class ProviderNotConfigured(NotConfigured):
    """The provider's secret is not configured, so its webhook is off."""

    code = "provider_not_configured"


class BodyTooLarge(PayloadTooLarge):
    """The webhook body is larger than MOU_WEBHOOK_MAX_BYTES."""

    code = "webhook_body_too_large"


class UnknownProvider(NotFound):
    """No such inbound provider."""

    code = "unknown_provider"


class UpstreamFailed(DomainError):
    """A call to the provider failed; the provider should retry."""

    status = 502
    code = "upstream_failed"


__all__ = [
    "BodyTooLarge",
    "MalformedEmail",
    "MalformedPayload",
    "ProviderNotConfigured",
    "SignatureInvalid",
    "UnknownProvider",
    "UpstreamFailed",
]
