"""Password hashing (argon2), API tokens (stored as SHA-256) and signed session cookies with CSRF."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

TOKEN_PREFIX = "mou_"  # noqa: S105 - a public marker, not a secret
SESSION_COOKIE = "mou_session"
SESSION_MAX_AGE = 14 * 24 * 3600

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """Argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; never raises on a malformed hash."""
    if not password_hash:
        # Spend comparable time so unknown users and users without a password look alike.
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_api_token() -> str:
    """A fresh random bearer token (shown once to the user)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What we store for a token: its SHA-256 (tokens are long random strings, no salt needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="mou-session")


def sign_session(secret: str, user_id: int, session_version: int) -> str:
    """Cookie value naming the user and the session generation (bumped on password change)."""
    nonce = secrets.token_urlsafe(16)
    return _serializer(secret).dumps({"uid": user_id, "sv": session_version, "n": nonce})


def read_session(secret: str, value: str | None) -> dict | None:
    """The session payload from a cookie, or None when missing, forged or expired."""
    if not value:
        return None
    try:
        data = _serializer(secret).loads(value, max_age=SESSION_MAX_AGE)
    except BadSignature:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("uid"), int) else None


def csrf_token(secret: str, session_value: str) -> str:
    """The CSRF token bound to one session cookie."""
    return hmac.new(secret.encode(), b"csrf:" + session_value.encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret: str, session_value: str | None, submitted: str | None) -> bool:
    """Constant-time check of a submitted CSRF token against the session."""
    if not session_value or not submitted:
        return False
    return hmac.compare_digest(csrf_token(secret, session_value), submitted)
