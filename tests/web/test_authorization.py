"""Pages are scoped exactly like the API: others' MOUs are 404, other roles' pages are 403."""

from __future__ import annotations

import pytest

from app.accounts import service as accounts
from tests.web.conftest import COMPLETE, csrf_from, sign_in

MOU_PAGES = ("/mous/{id}", "/mous/{id}/email.html", "/mous/new?from={id}", "/mous/{id}/edit")
MANAGER_PAGES = ("/queue", "/dashboard", "/queue/export.csv")
ADMIN_PAGES = (
    "/admin/users",
    "/admin/teams",
    "/admin/templates",
    "/admin/inbound",
    "/admin/templates/new",
    "/admin/templates/preview/structured",
)


@pytest.fixture
def mou_a1(world, make_mou):
    """A memo of rep A1 (team A)."""
    return make_mou(world.rep_a1.user, company="Northwind Logistics")


def test_signed_out_visitors_are_sent_to_sign_in(browser, mou_a1):
    for path in ("/", "/mous", "/mous/new", *MANAGER_PAGES, *ADMIN_PAGES, "/settings", "/account/password"):
        response = browser.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next="), path
    for pattern in MOU_PAGES:
        assert browser.get(pattern.format(id=mou_a1.id)).status_code == 303


def test_a_rep_cannot_see_or_change_another_reps_mou(browser, world, mou_a1):
    token = sign_in(browser, world.rep_a2.user.email)
    for pattern in MOU_PAGES:
        response = browser.get(pattern.format(id=mou_a1.id))
        assert response.status_code == 404, pattern
        assert "Northwind" not in response.text
    for action, data in (
        (f"/mous/{mou_a1.id}/send", {}),
        (f"/mous/{mou_a1.id}/reviews", {"verdict": "approved"}),
        (f"/mous/{mou_a1.id}/edit", {**COMPLETE, "mode": "fields", "action": "save", "company": "Hijacked"}),
    ):
        assert browser.post(action, data={**data, "csrf_token": token}).status_code == 404
    assert "Northwind" not in browser.get("/mous").text


def test_a_manager_cannot_see_another_teams_mou(browser, world, mou_a1):
    token = sign_in(browser, world.manager_b.user.email)
    for pattern in MOU_PAGES:
        assert browser.get(pattern.format(id=mou_a1.id)).status_code == 404, pattern
    review = {"verdict": "approved", "csrf_token": token}
    assert browser.post(f"/mous/{mou_a1.id}/reviews", data=review).status_code == 404
    assert "Northwind" not in browser.get("/queue").text
    assert "Northwind" not in browser.get("/queue/export.csv").text
    assert "Northwind" not in browser.get("/dashboard").text


def test_the_teams_manager_sees_it_but_cannot_edit_it(browser, world, mou_a1, session):
    token = sign_in(browser, world.manager_a.user.email)
    for pattern in MOU_PAGES[:2]:
        assert browser.get(pattern.format(id=mou_a1.id)).status_code == 200, pattern
    assert "Northwind" in browser.get("/queue").text
    assert browser.get(f"/mous/{mou_a1.id}/edit").status_code == 403
    data = {**COMPLETE, "mode": "fields", "action": "save", "company": "Hijacked", "csrf_token": token}
    assert browser.post(f"/mous/{mou_a1.id}/edit", data=data).status_code == 403
    session.expire_all()
    assert session.get(type(mou_a1), mou_a1.id).company == "Northwind Logistics"


def admin_posts(world, address_id: int) -> list[tuple[str, dict]]:
    """The admin forms added for templates and users, with plausible bodies."""
    rep = world.rep_a1.user.id
    template = {"name": "sneaky", "subject": "Hi", "html": "<p>x</p>", "text": "x"}
    return [
        ("/admin/templates/new", template),
        ("/admin/templates/1/edit", template),
        ("/admin/templates/1/delete", {}),
        ("/admin/templates/preview", template),
        (f"/admin/teams/{world.team_a.id}/template", {"template": "conversational"}),
        (f"/admin/users/{rep}", {"role": "admin", "team_id": ""}),
        (f"/admin/users/{rep}/active", {"active": "no"}),
        (f"/admin/users/{rep}/addresses", {"email": "sneaky@example.com"}),
        (f"/admin/users/{rep}/addresses/{address_id}/delete", {}),
    ]


@pytest.mark.parametrize("who", ["rep_a1", "manager_a"])
def test_non_admins_get_403_on_every_new_admin_form(browser, world, session, who):
    address = accounts.add_address(session, world.rep_a1.user, "dana.personal@example.com")
    session.commit()
    token = sign_in(browser, getattr(world, who).user.email)
    for path, data in admin_posts(world, address.id):
        assert browser.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    for path in (f"/admin/users/{world.rep_a1.user.id}", "/admin/templates/1/edit"):
        assert browser.get(path).status_code == 403, path
    session.expire_all()
    rep = session.get(type(world.rep_a1.user), world.rep_a1.user.id)
    assert rep.role == "rep" and rep.is_active
    assert session.get(type(world.team_a), world.team_a.id).template == "structured"
    assert accounts.find_user_by_address(session, "dana.personal@example.com").id == rep.id


def test_reps_cannot_open_manager_or_admin_pages(browser, world):
    sign_in(browser, world.rep_a1.user.email)
    for path in (*MANAGER_PAGES, *ADMIN_PAGES):
        response = browser.get(path)
        assert response.status_code == 403, path
        assert "Only" in response.text
    nav = browser.get("/mous").text
    assert 'href="/queue"' not in nav and 'href="/admin/users"' not in nav


def test_managers_cannot_open_admin_pages_or_post_admin_forms(browser, world):
    token = sign_in(browser, world.manager_a.user.email)
    for path in ADMIN_PAGES:
        assert browser.get(path).status_code == 403, path
    data = {"csrf_token": token, "email": "x@acme-sales.example", "name": "X", "role": "admin"}
    assert browser.post("/admin/users", data=data).status_code == 403


def test_a_rep_cannot_review_even_their_own_mou(browser, world, mou_a1):
    token = sign_in(browser, world.rep_a1.user.email)
    page = browser.get(f"/mous/{mou_a1.id}").text
    assert f'action="/mous/{mou_a1.id}/reviews"' not in page
    response = browser.post(f"/mous/{mou_a1.id}/reviews", data={"verdict": "approved", "csrf_token": token})
    assert response.status_code == 403


def test_only_the_author_can_send_a_saved_draft(browser, world, make_mou):
    draft = make_mou(world.rep_a1.user)
    token = sign_in(browser, world.manager_a.user.email)
    assert browser.post(f"/mous/{draft.id}/send", data={"csrf_token": token}).status_code == 403


@pytest.mark.parametrize("bad_id", ["0", "-1", str(2**63), str(10**30), "abc"])
def test_hostile_ids_are_clean_4xx(browser, world, bad_id):
    sign_in(browser, world.admin.user.email)
    assert browser.get(f"/mous/{bad_id}").status_code in (404, 422)
    assert browser.get(f"/mous/new?from={bad_id}").status_code in (200, 404)
    for path in ("/mous/{}/edit", "/admin/users/{}", "/admin/templates/{}/edit"):
        assert browser.get(path.format(bad_id)).status_code in (404, 422), path
    token = csrf_from(browser.get("/settings").text)
    assert browser.post(f"/admin/inbound/{bad_id}/reprocess", data={"csrf_token": token}).status_code in (
        404,
        422,
    )
