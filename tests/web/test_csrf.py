"""Every form post is refused (403) without the session's CSRF token, and nothing changes."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.models import EmailTemplate, InboundMessage, Mou, Review, Team, User, UserAddress
from tests.web.conftest import COMPLETE, sign_in


@pytest.fixture
def targets(world, make_mou, session):
    """One of each object a form can change, owned by the admin signing in."""
    draft = make_mou(world.admin.user)
    inbound = InboundMessage(provider="mime", content_hash="0" * 64, dedupe_key="csrf-test")
    session.add(inbound)
    session.commit()
    from app.accounts import service

    token_id = service.list_tokens(session, world.admin.user)[0].id
    template = EmailTemplate(name="kept_note", **{k: v for k, v in TEMPLATE.items() if k != "name"})
    session.add(template)
    address = service.add_address(session, world.rep_a1.user, "dana.personal@example.com")
    session.commit()
    return {
        "address": address.id,
        "mou": draft.id,
        "inbound": inbound.id,
        "token": token_id,
        "template": template.id,
        "team": world.team_a.id,
        "user": world.rep_a1.user.id,
    }


TEMPLATE = {"name": "sneaky", "subject": "Hi {{ customer_first_name }}", "html": "<p>x</p>", "text": "x"}


def form_posts(t: dict) -> list[tuple[str, dict]]:
    """Every form action of the UI with a plausible body."""
    return [
        ("/logout", {}),
        ("/account/password", {"current_password": "x", "new_password": "y" * 12, "confirm": "y" * 12}),
        ("/settings/tokens", {"name": "sneaky"}),
        (f"/settings/tokens/{t['token']}/revoke", {}),
        ("/mous/new", {**COMPLETE, "mode": "fields", "action": "send"}),
        ("/mous/preview", {**COMPLETE, "mode": "fields"}),
        (f"/mous/{t['mou']}/send", {}),
        (f"/mous/{t['mou']}/reviews", {"verdict": "approved", "comment": "ok"}),
        ("/admin/users", {"email": "new@acme-sales.example", "name": "New", "role": "rep"}),
        ("/admin/teams", {"name": "Sneaky team", "template": "structured"}),
        (f"/admin/inbound/{t['inbound']}/reprocess", {}),
        (f"/mous/{t['mou']}/edit", {**COMPLETE, "mode": "fields", "action": "save", "company": "Changed"}),
        ("/admin/templates/new", TEMPLATE),
        (f"/admin/templates/{t['template']}/edit", {**TEMPLATE, "subject": "Changed"}),
        (f"/admin/templates/{t['template']}/delete", {}),
        ("/admin/templates/preview", TEMPLATE),
        (f"/admin/teams/{t['team']}/template", {"template": "kept_note"}),
        (f"/admin/users/{t['user']}", {"role": "admin", "team_id": ""}),
        (f"/admin/users/{t['user']}/active", {"active": "no"}),
        (f"/admin/users/{t['user']}/addresses", {"email": "sneaky@example.com"}),
        (f"/admin/users/{t['user']}/addresses/{t['address']}/delete", {}),
    ]


def snapshot(session) -> tuple:
    session.expire_all()
    return (
        [(m.id, m.status, m.review) for m in session.exec(select(Mou))],
        session.exec(select(Review.id)).all(),
        session.exec(select(User.id)).all(),
        session.exec(select(Team.id)).all(),
        [(i.id, i.attempts) for i in session.exec(select(InboundMessage))],
        [(m.id, m.company, m.updated_at) for m in session.exec(select(Mou))],
        [(t.id, t.subject) for t in session.exec(select(EmailTemplate))],
        [(t.id, t.template) for t in session.exec(select(Team))],
        [(u.id, u.role, u.is_active) for u in session.exec(select(User))],
        session.exec(select(UserAddress.id)).all(),
    )


@pytest.mark.parametrize("token", [None, "forged", "other-session"])
def test_every_form_post_needs_the_csrf_token(app, browser, world, targets, session, token):
    from fastapi.testclient import TestClient

    sign_in(browser, world.admin.user.email)
    if token == "other-session":
        with TestClient(app, headers={"Accept": "text/html"}, follow_redirects=False) as other:
            token = sign_in(other, world.manager_a.user.email)
    before = snapshot(session)
    for path, data in form_posts(targets):
        body = dict(data) if token is None else {**data, "csrf_token": token}
        response = browser.post(path, data=body)
        assert response.status_code == 403, path
        assert "did not come from this site" in response.text, path
    assert snapshot(session) == before
    assert browser.get("/mous").status_code == 200  # still signed in: logout was refused too


def test_cookie_authenticated_api_calls_need_the_csrf_header(browser, world):
    token = sign_in(browser, world.rep_a1.user.email)
    body = {"situation": "They run twelve depots with spreadsheets today."}
    assert browser.post("/api/check", json=body).status_code == 403
    assert browser.post("/api/check", json=body, headers={"X-CSRF-Token": token}).status_code == 200


def test_the_page_token_is_the_one_the_live_checklist_sends(browser, world):
    token = sign_in(browser, world.rep_a1.user.email)
    page = browser.get("/mous/new").text
    assert f'<meta name="csrf-token" content="{token}">' in page
