"""Webhook authenticity, checked on the exact raw bytes before anything is parsed or stored."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import load_der_public_key
from starlette.datastructures import Headers

from app.config import Settings
from app.intake.errors import MalformedPayload, ProviderNotConfigured, SignatureInvalid, UpstreamFailed
from app.intake.providers.forms import header as _any_header
from app.intake.providers.forms import parse_form

# SNS retries stop within an hour, so an older signed timestamp is a replay.
SNS_MAX_AGE_SECONDS = 3600
_SNS_HOST_RE = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")


@dataclass
class Verified:
    """What a successful check leaves for the store step (a one-use nonce to record)."""

    nonce: str | None = None


def header(headers: Mapping[str, str], name: str) -> str:
    """Case-insensitive header lookup; a request's own Headers answer directly (no scan of every header)."""
    if isinstance(headers, Headers):
        return headers.get(name, "")
    return _any_header(headers, name)


def _now() -> float:
    return time.time()


def _secret(value: Any) -> str:
    return value.get_secret_value() if hasattr(value, "get_secret_value") else (value or "")


def _check_fresh(timestamp: str, tolerance: int, what: str) -> None:
    try:
        stamp = int(timestamp.strip())
    except (ValueError, AttributeError):
        raise SignatureInvalid(f"The {what} timestamp is missing or not a number.") from None
    if abs(_now() - stamp) > tolerance:
        raise SignatureInvalid(f"The {what} timestamp is outside the allowed window (stale or replayed).")


def _basic_ok(headers: Mapping[str, str], user: str | None, password: Any) -> bool:
    """Constant-time check of HTTP Basic credentials."""
    value = header(headers, "authorization")
    scheme, _, encoded = value.partition(" ")
    if scheme.lower() != "basic" or not user:
        return False
    try:
        given_user, _, given_pw = (
            base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
        )
    except (binascii.Error, ValueError):
        return False
    user_ok = hmac.compare_digest(given_user.encode(), user.encode())
    pw_ok = hmac.compare_digest(given_pw.encode(), _secret(password).encode())
    return user_ok and pw_ok


def _require_basic(headers: Mapping[str, str], user: str | None, password: Any) -> None:
    if not _basic_ok(headers, user, password):
        raise SignatureInvalid("The webhook credentials (HTTP Basic auth) are missing or wrong.")


# --- configuration --------------------------------------------------------------------------


def _basic_configured(user: str | None, password: Any) -> bool:
    return bool(user and _secret(password))


def missing_setting(provider: str, settings: Settings) -> str | None:
    """The setting to configure when a provider has no secret, else None."""
    if provider == "sendgrid":
        ok = settings.sendgrid_public_key or _basic_configured(
            settings.sendgrid_webhook_user, settings.sendgrid_webhook_password
        )
        return None if ok else "MOU_SENDGRID_PUBLIC_KEY (or MOU_SENDGRID_WEBHOOK_USER and _PASSWORD)"
    if provider == "mailgun":
        return None if _secret(settings.mailgun_signing_key) else "MOU_MAILGUN_SIGNING_KEY"
    if provider == "postmark":
        ok = _basic_configured(settings.postmark_webhook_user, settings.postmark_webhook_password)
        return None if ok else "MOU_POSTMARK_WEBHOOK_USER and MOU_POSTMARK_WEBHOOK_PASSWORD"
    if provider == "ses":
        return None if settings.ses_topic_arns else "MOU_SES_TOPIC_ARNS"
    ok = _secret(settings.webhook_secret) or _basic_configured(
        settings.mime_webhook_user, settings.mime_webhook_password
    )
    return None if ok else "MOU_WEBHOOK_SECRET (or MOU_MIME_WEBHOOK_USER and _PASSWORD)"


def require_configured(provider: str, settings: Settings) -> None:
    """Raise 503 naming the missing setting when the provider's webhook is not set up."""
    missing = missing_setting(provider, settings)
    if missing:
        raise ProviderNotConfigured(f"{missing} is not set, so the {provider} webhook is off.")


# --- per provider -----------------------------------------------------------------------------


def verify_sendgrid(settings: Settings, headers: Mapping[str, str], body: bytes) -> Verified:
    """ECDSA P-256 over timestamp + body (signed-webhook policy) and/or Basic auth."""
    signature = header(headers, "x-twilio-email-event-webhook-signature")
    checked = False
    if settings.sendgrid_public_key and signature:
        timestamp = header(headers, "x-twilio-email-event-webhook-timestamp")
        _check_fresh(timestamp, settings.webhook_tolerance_seconds, "SendGrid signature")
        # Hashed in two updates: `timestamp + body` would copy the whole body once more.
        digest = hashlib.sha256(timestamp.strip().encode())
        digest.update(body)
        _verify_ecdsa(settings.sendgrid_public_key, signature, digest.digest())
        checked = True
    if _basic_configured(settings.sendgrid_webhook_user, settings.sendgrid_webhook_password) and (
        header(headers, "authorization") or not checked
    ):
        _require_basic(headers, settings.sendgrid_webhook_user, settings.sendgrid_webhook_password)
        checked = True
    if not checked:
        raise SignatureInvalid("The SendGrid request is not signed.")
    return Verified()


@functools.lru_cache(maxsize=8)
def _sendgrid_key(public_key_b64: str) -> ec.EllipticCurvePublicKey:
    try:
        key = load_der_public_key(base64.b64decode(public_key_b64))
    except (ValueError, binascii.Error) as exc:
        raise ProviderNotConfigured("MOU_SENDGRID_PUBLIC_KEY is not a base64 DER public key.") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ProviderNotConfigured("MOU_SENDGRID_PUBLIC_KEY is not an ECDSA key.")
    return key


def _verify_ecdsa(public_key_b64: str, signature_b64: str, sha256_digest: bytes) -> None:
    key = _sendgrid_key(public_key_b64)
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        key.verify(signature, sha256_digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    except (InvalidSignature, binascii.Error, ValueError):
        raise SignatureInvalid("The SendGrid signature does not match the request body.") from None


def verify_mailgun(settings: Settings, headers: Mapping[str, str], body: bytes) -> Verified:
    """HMAC-SHA256(timestamp + token) in a time window; the token is returned to be used once."""
    form = parse_form(header(headers, "content-type"), bytes(body))
    timestamp, token = form.get("timestamp") or "", form.get("token") or ""
    signature = form.get("signature") or ""
    if not (timestamp and token and signature):
        raise SignatureInvalid("The Mailgun request has no timestamp, token and signature.")
    _check_fresh(timestamp, settings.webhook_tolerance_seconds, "Mailgun")
    key = _secret(settings.mailgun_signing_key).encode()
    expected = hmac.new(key, (timestamp + token).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        raise SignatureInvalid("The Mailgun signature does not match.")
    return Verified(nonce=token[:255])


def verify_postmark(settings: Settings, headers: Mapping[str, str], body: bytes) -> Verified:
    """Postmark signs nothing: Basic credentials in the webhook URL are the proof."""
    _require_basic(headers, settings.postmark_webhook_user, settings.postmark_webhook_password)
    return Verified()


def verify_mime(settings: Settings, headers: Mapping[str, str], body: bytes) -> Verified:
    """Standard Webhooks HMAC (`whsec_…`) when the request is signed, else Basic auth."""
    secret = _secret(settings.webhook_secret)
    if header(headers, "webhook-signature") and secret:
        _verify_standard_webhook(secret, headers, body, settings.webhook_tolerance_seconds)
        return Verified()
    if _basic_configured(settings.mime_webhook_user, settings.mime_webhook_password):
        _require_basic(headers, settings.mime_webhook_user, settings.mime_webhook_password)
        return Verified()
    raise SignatureInvalid("The request carries no Standard Webhooks signature.")


def _verify_standard_webhook(secret: str, headers: Mapping[str, str], body: bytes, tolerance: int) -> None:
    msg_id, timestamp = header(headers, "webhook-id"), header(headers, "webhook-timestamp")
    if not msg_id:
        raise SignatureInvalid("The webhook-id header is missing.")
    _check_fresh(timestamp, tolerance, "webhook")
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"))
    except (binascii.Error, ValueError) as exc:
        raise ProviderNotConfigured("MOU_WEBHOOK_SECRET is not a whsec_ base64 secret.") from exc
    mac = hmac.new(key, f"{msg_id}.{timestamp.strip()}.".encode(), hashlib.sha256)
    mac.update(body)  # not `prefix + body`: that would copy the body once more
    expected = base64.b64encode(mac.digest())
    for entry in header(headers, "webhook-signature").split():
        version, _, value = entry.partition(",")
        if version == "v1" and hmac.compare_digest(expected, value.encode()):
            return
    raise SignatureInvalid("No webhook signature matches the request body.")


# --- Amazon SNS -------------------------------------------------------------------------------

_NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
_CONFIRMATION_KEYS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")


def sns_string_to_sign(envelope: dict[str, Any]) -> bytes:
    """The canonical `key\\nvalue\\n` string SNS signs (Subject only when present)."""
    keys = _NOTIFICATION_KEYS if envelope.get("Type") == "Notification" else _CONFIRMATION_KEYS
    lines = []
    for key in keys:
        value = envelope.get(key)
        if value is None:
            if key == "Subject":
                continue
            raise SignatureInvalid(f"The SNS message has no {key}.")
        lines.append(f"{key}\n{value}\n")
    return "".join(lines).encode("utf-8")


def check_sns_url(url: str) -> None:
    """Only https://sns.<region>.amazonaws.com(.cn) URLs may ever be fetched (SSRF guard)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise SignatureInvalid("The SNS URL is not a valid URL.") from None
    host = parts.hostname or ""
    if (
        parts.scheme != "https"
        or not _SNS_HOST_RE.fullmatch(host)
        or parts.username
        or port not in (None, 443)
    ):
        raise SignatureInvalid("The SNS URL is not an https://sns.<region>.amazonaws.com address.")


def cert_cache_path(cache_dir: Path, url: str) -> Path:
    """Where a signing certificate for this URL is cached."""
    return cache_dir / f"{hashlib.sha256(url.encode('utf-8')).hexdigest()}.pem"


def http_get(url: str) -> bytes:
    """GET a URL already checked by check_sns_url (the one outside call; tests replace it)."""
    response = httpx.get(url, timeout=10.0, follow_redirects=False)
    response.raise_for_status()
    return response.content


def load_sns_certificate(url: str, cache_dir: Path) -> x509.Certificate:
    """The signing certificate: from the on-disk cache when present, else fetched and cached."""
    check_sns_url(url)
    path = cert_cache_path(cache_dir, url)
    if path.exists():
        pem = path.read_bytes()
    else:
        try:
            pem = http_get(url)
        except httpx.HTTPError as exc:
            raise SignatureInvalid("The SNS signing certificate could not be fetched.") from exc
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise SignatureInvalid("The SNS signing certificate is not a PEM certificate.") from exc
    if not path.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pem)
        tmp.replace(path)
    return cert


def verify_sns(settings: Settings, envelope: dict[str, Any]) -> Verified:
    """SNS signature v1 (SHA1) or v2 (SHA256), allowed topic, host-checked certificate, age."""
    if envelope.get("TopicArn") not in settings.ses_topic_arns:
        raise SignatureInvalid("The SNS topic is not one of MOU_SES_TOPIC_ARNS.")
    algorithm = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(str(envelope.get("SignatureVersion")))  # noqa: S303
    if algorithm is None:
        raise SignatureInvalid("Unsupported SNS SignatureVersion.")
    url = envelope.get("SigningCertURL")
    if not isinstance(url, str):
        raise SignatureInvalid("The SNS message has no SigningCertURL.")
    check_sns_url(url)
    signed = sns_string_to_sign(envelope)
    cert = load_sns_certificate(url, settings.sns_cert_dir)
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureInvalid("The SNS certificate does not hold an RSA key.")
    try:
        signature = base64.b64decode(str(envelope.get("Signature") or ""), validate=True)
        key.verify(signature, signed, padding.PKCS1v15(), algorithm)
    except (InvalidSignature, binascii.Error, ValueError):
        raise SignatureInvalid("The SNS signature does not match the message.") from None
    _check_sns_age(str(envelope.get("Timestamp") or ""), settings.webhook_tolerance_seconds)
    return Verified()


def _check_sns_age(timestamp: str, tolerance: int) -> None:
    try:
        sent = datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise SignatureInvalid("The SNS Timestamp is not a valid time.") from None
    if _now() - sent > max(tolerance, SNS_MAX_AGE_SECONDS) or sent - _now() > tolerance:
        raise SignatureInvalid("The SNS message is too old (stale or replayed).")


def confirm_subscription(envelope: dict[str, Any]) -> None:
    """After verification only: GET the SubscribeURL (itself host-checked) to confirm."""
    url = envelope.get("SubscribeURL")
    if not isinstance(url, str):
        raise MalformedPayload("The SubscriptionConfirmation has no SubscribeURL.")
    check_sns_url(url)
    try:
        http_get(url)
    except httpx.HTTPError as exc:
        raise UpstreamFailed("The SNS subscription could not be confirmed; SNS will retry.") from exc
