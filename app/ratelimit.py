"""Per-client-IP rate limits for the webhooks and the sign-in POST, as pure ASGI middleware.

Reuses the sign-in page's sliding-window limiter. A limit of 0 turns that limit off (benchmarks, or a
deployment that limits at its proxy). The client IP is what uvicorn resolved (proxy headers only from
trusted proxies), so a caller cannot pick its own bucket with X-Forwarded-For."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from app.config import Settings
from app.web.ratelimit import SlidingWindowLimiter

# Sign-in attempts per IP across every account: the per-account limit on the page stops guessing one
# password, this one stops spraying many accounts from one address (an office behind NAT still fits).
LOGIN_IP_FACTOR = 3


class RateLimitMiddleware:
    """429 with Retry-After once a client IP passes its per-minute budget on a limited path."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.webhooks = _limiter(settings.webhook_rate_per_minute)
        self.login = _limiter(settings.login_rate_per_minute * LOGIN_IP_FACTOR)

    def _limiter_for(self, scope: Scope) -> SlidingWindowLimiter | None:
        path, method = scope.get("path", ""), scope.get("method", "")
        if path.startswith("/webhooks/"):
            return self.webhooks
        if path == "/login" and method == "POST":
            return self.login
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the request against its bucket; answer 429 without touching the app when over."""
        limiter = self._limiter_for(scope) if scope["type"] == "http" else None
        if limiter is None:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        key = client[0] if client else "-"
        if limiter.blocked(key):
            await _too_many(send, limiter.retry_after(key))
            return
        limiter.hit(key)
        await self.app(scope, receive, send)


def _limiter(per_minute: int) -> SlidingWindowLimiter | None:
    return SlidingWindowLimiter(per_minute, 60.0) if per_minute > 0 else None


async def _too_many(send: Send, retry_after: int) -> None:
    body = json.dumps(
        {
            "error": {
                "code": "rate_limited",
                "message": f"Too many requests from this address. Try again in {retry_after} seconds.",
            }
        }
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(retry_after).encode()),
    ]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})
