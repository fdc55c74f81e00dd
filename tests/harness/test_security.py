"""Security properties of the running app: headers on pages, rate limits, no secret in any log line,
and the raw inbound store visible to admins only."""

from __future__ import annotations

import logging
import re
import time

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from bench.benchlib import MEMO
from tests.api.helpers import COMPLETE, cookie_session
from tests.harness.conftest import CLOUDMAILIN_AUTH, SIGNER, Harness, draft
from tests.intake.conftest import MAILGUN_KEY, POSTMARK_AUTH, WHSEC, basic, mailgun_fields

PAGES = ("/login", "/", "/mous", "/mous/new", "/queue", "/dashboard", "/settings", "/admin/inbound")


def _csp(response) -> dict[str, str]:
    value = response.headers.get("content-security-policy", "")
    return {d.split()[0]: d for d in (part.strip() for part in value.split(";")) if d}


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_csp_without_inline_script_and_no_framing(h: Harness, path: str):
    """Every page: CSP whose script-src has no 'unsafe-inline', frame-ancestors 'none', nosniff."""
    client = TestClient(h.client.app)
    cookie_session(client, h.world.admin.user)
    response = client.get(path, follow_redirects=False)
    assert response.status_code < 500
    csp = _csp(response)
    script_src = csp.get("script-src") or csp.get("default-src", "")
    assert script_src and "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert csp.get("frame-ancestors") == "frame-ancestors 'none'"
    assert response.headers.get("x-content-type-options") == "nosniff"
    if response.headers.get("content-type", "").startswith("text/html"):
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.text), "inline <script> block"
        assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", response.text, re.I), "inline event handler"


def test_api_and_webhook_answers_carry_the_headers_too(h: Harness):
    """JSON answers (and errors) get nosniff and the CSP as well."""
    for response in (
        h.client.get("/api/mous", headers=h.world.rep_a1.headers),
        h.client.get("/api/mous/999999", headers=h.world.rep_a1.headers),
        h.client.post("/webhooks/inbound/postmark", json={}),
    ):
        assert response.headers.get("x-content-type-options") == "nosniff"
        assert "frame-ancestors 'none'" in response.headers.get("content-security-policy", "")


def _limited_client(h: Harness, **limits: int) -> TestClient:
    settings = h.settings.model_copy(update=limits)
    return TestClient(create_app(settings, run_worker=False))


def test_webhooks_are_rate_limited_per_client_address(h: Harness):
    """Past MOU_WEBHOOK_RATE_PER_MINUTE a client gets 429 with Retry-After; nothing is stored for it."""
    with _limited_client(h, webhook_rate_per_minute=5) as client:
        codes = [
            client.post(
                "/webhooks/inbound/postmark", json={}, headers={"Authorization": "Basic x"}
            ).status_code
            for _ in range(8)
        ]
        assert codes[:5] == [401] * 5 and codes[5:] == [429] * 3
        limited = client.post("/webhooks/inbound/mime", content=b"x")
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["error"]["code"] == "rate_limited"
        assert client.get("/healthz").status_code == 200  # other paths are not limited
    assert h.inbox() == []


def _login(client: TestClient, email: str, password: str):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "login form has a CSRF token"
    form = {"email": email, "password": password, "csrf_token": token.group(1)}
    return client.post("/login", data=form, follow_redirects=False)


def test_login_is_rate_limited_per_account_and_per_address(h: Harness):
    """Guessing one password: 429 after MOU_LOGIN_RATE_PER_MINUTE misses; spraying many accounts from
    one address: 429 after three times that, whatever the account."""
    with _limited_client(h, login_rate_per_minute=3) as client:
        codes = [_login(client, h.world.rep_a1.user.email, "wrong").status_code for _ in range(5)]
        assert codes[:3] == [401] * 3 and codes[3:] == [429] * 2
    with _limited_client(h, login_rate_per_minute=3) as client:
        codes = [_login(client, f"nobody{i}@acme-sales.example", "wrong").status_code for i in range(11)]
        assert codes[:9] == [401] * 9 and codes[9:] == [429, 429]


def test_no_secret_is_ever_logged(h: Harness, caplog):
    """A run touching every provider, the API and the pages with every secret configured: no log
    record (any logger, DEBUG up) contains a secret, a token or a password."""
    secrets = {
        "webhook secret": WHSEC,
        "webhook secret key": WHSEC.removeprefix("whsec_"),
        "mailgun key": MAILGUN_KEY,
        "postmark password": POSTMARK_AUTH[1],
        "mime password": CLOUDMAILIN_AUTH[1],
        "session secret": h.settings.secret_key.get_secret_value(),
        "api token": h.world.rep_a1.token,
        "admin token": h.world.admin.token,
        "password": h.world.rep_a1.password,
    }
    caplog.set_level(logging.DEBUG)
    ts = int(time.time())
    c = h.client
    c.post("/webhooks/inbound/mailgun", data={**mailgun_fields(ts, "tok-log-1"), "body-plain": MEMO})
    c.post("/webhooks/inbound/mailgun", data={**mailgun_fields(ts, "tok-log-1", "wrong-key"), "x": "y"})
    postmark, wrong = (
        {"Authorization": basic(*POSTMARK_AUTH)},
        {"Authorization": basic("postmark-inbound", "x")},
    )
    c.post("/webhooks/inbound/postmark", json={"TextBody": "x"}, headers=postmark)
    c.post("/webhooks/inbound/postmark", json={}, headers=wrong)
    h.post_mime(draft(message_id="<log@x>"))
    body = draft(message_id="<log-2@x>")
    c.post("/webhooks/inbound/sendgrid", content=body, headers=SIGNER.headers(body))
    c.post("/api/mous", json={**COMPLETE, "send": True}, headers=h.world.rep_a1.headers)
    c.get("/api/inbound", headers=h.world.admin.headers)
    c.get("/api/mous", headers={"Authorization": f"Bearer {h.world.rep_a1.token}x"})
    with TestClient(c.app) as fresh:
        _login(fresh, h.world.rep_a1.user.email, h.world.rep_a1.password)
        _login(fresh, h.world.rep_a1.user.email, "wrong " + h.world.rep_a1.password)
    h.process()
    text = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records)
    assert caplog.records, "the run logged nothing at all; the check would be empty"
    for name, value in secrets.items():
        assert value not in text, f"{name} appears in the log"


@pytest.mark.parametrize("who", ["rep_a1", "manager_a"])
def test_raw_inbound_store_is_for_admins_only(h: Harness, who: str):
    """GET /api/inbound, reprocess and the admin inbox page: 403/404 for reps and managers, 200 for admins."""
    response = h.post_mime(draft(message_id=f"<admin-only-{who}@x>"))
    assert response.status_code == 200
    inbound_id = response.json()["id"]
    person = getattr(h.world, who)
    assert h.client.get("/api/inbound", headers=person.headers).status_code in (403, 404)
    reprocess = h.client.post(f"/api/inbound/{inbound_id}/reprocess", headers=person.headers)
    assert reprocess.status_code in (403, 404)
    page_client = TestClient(h.client.app)
    cookie_session(page_client, person.user)
    assert page_client.get("/admin/inbound", follow_redirects=False).status_code in (303, 403, 404)
    listing = h.client.get("/api/inbound", headers=h.world.admin.headers)
    assert listing.status_code == 200
    assert inbound_id in {item["id"] for item in listing.json()["items"]}
    assert "raw" not in listing.json()["items"][0]
    assert h.client.get("/api/inbound").status_code == 401
