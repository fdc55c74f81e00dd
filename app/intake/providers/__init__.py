"""One adapter per mail provider: (request headers, raw body) → InboundEmail."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from app.intake.inbound import InboundEmail
from app.intake.providers import mailgun, mime, postmark, sendgrid, ses

Adapter = Callable[[Mapping[str, str], bytes, int], InboundEmail]

ADAPTERS: dict[str, Adapter] = {
    "sendgrid": sendgrid.adapt,
    "mailgun": mailgun.adapt,
    "postmark": postmark.adapt,
    "ses": ses.adapt,
    "mime": mime.adapt,
}
PROVIDERS = tuple(ADAPTERS)
