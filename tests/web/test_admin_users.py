"""Admins change a user's role and team, deactivate and reactivate them, add and remove sender addresses."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.accounts import service as accounts
from app.intake.service import find_rep, rep_addresses
from app.models import InboundMessage, Mou, Source, User, UserAddress
from tests.web.conftest import sign_in


def fresh(session, user_id: int) -> User:
    session.expire_all()
    return session.get(User, user_id)


@pytest.fixture
def admin_token(browser, world) -> str:
    return sign_in(browser, world.admin.user.email)


def test_the_user_page_is_linked_and_shows_the_forms(browser, admin_token, world):
    rep = world.rep_a1.user
    assert f'href="/admin/users/{rep.id}"' in browser.get("/admin/users").text
    page = browser.get(f"/admin/users/{rep.id}")
    assert page.status_code == 200 and rep.email in page.text
    assert f'action="/admin/users/{rep.id}/active"' in page.text
    assert browser.get("/admin/users/99999").status_code == 404


def test_an_admin_moves_a_rep_to_another_team_as_manager(browser, admin_token, world, session):
    rep = world.rep_a1.user
    data = {"role": "manager", "team_id": str(world.team_b.id), "csrf_token": admin_token}
    assert browser.post(f"/admin/users/{rep.id}", data=data).status_code == 303
    user = fresh(session, rep.id)
    assert (user.role, user.team_id) == ("manager", world.team_b.id)
    data = {"role": "rep", "team_id": "", "csrf_token": admin_token}
    assert browser.post(f"/admin/users/{rep.id}", data=data).status_code == 303
    assert fresh(session, rep.id).team_id is None


@pytest.mark.parametrize(
    ("role", "team", "status"), [("owner", "", 422), ("rep", "99999", 422), ("rep", "abc", 422)]
)
def test_bad_role_or_team_is_refused(browser, admin_token, world, session, role, team, status):
    rep = world.rep_a1.user
    data = {"role": role, "team_id": team, "csrf_token": admin_token}
    response = browser.post(f"/admin/users/{rep.id}", data=data)
    assert response.status_code == status and 'role="alert"' in response.text
    user = fresh(session, rep.id)
    assert (user.role, user.team_id) == ("rep", world.team_a.id)


def test_an_admin_cannot_lock_themselves_out(browser, admin_token, world, session):
    me = world.admin.user
    data = {"role": "rep", "team_id": "", "csrf_token": admin_token}
    assert browser.post(f"/admin/users/{me.id}", data=data).status_code == 409
    data = {"active": "no", "csrf_token": admin_token}
    assert browser.post(f"/admin/users/{me.id}/active", data=data).status_code == 409
    me = fresh(session, me.id)
    assert me.role == "admin" and me.is_active


def test_a_deactivated_user_cannot_sign_in_and_their_token_and_session_stop(
    app, browser, admin_token, world, session
):
    rep = world.rep_a1
    with TestClient(app, headers={"Accept": "text/html"}, follow_redirects=False) as theirs:
        sign_in(theirs, rep.user.email)
        assert theirs.get("/mous").status_code == 200
        assert theirs.get("/api/mous", headers=rep.headers).status_code == 200
        data = {"active": "no", "csrf_token": admin_token}
        assert browser.post(f"/admin/users/{rep.user.id}/active", data=data).status_code == 303
        assert not fresh(session, rep.user.id).is_active
        assert theirs.get("/mous").status_code == 303  # the open session ended
        assert theirs.get("/api/mous", headers=rep.headers).status_code == 401
        login = theirs.get("/login")
        token = login.text.split('name="csrf_token" value="')[1].split('"')[0]
        data = {"email": rep.user.email, "password": rep.password, "csrf_token": token}
        assert theirs.post("/login", data=data).status_code != 303
        assert accounts.authenticate(session, rep.user.email, rep.password) is None
    data = {"active": "yes", "csrf_token": admin_token}
    assert browser.post(f"/admin/users/{rep.user.id}/active", data=data).status_code == 303
    assert fresh(session, rep.user.id).is_active
    assert accounts.user_for_token(session, rep.token) is not None


def test_an_extra_sender_address_is_added_once(browser, admin_token, world, session):
    rep = world.rep_a1.user
    data = {"email": "Dana.Personal@Example.com", "csrf_token": admin_token}
    assert browser.post(f"/admin/users/{rep.id}/addresses", data=data).status_code == 303
    assert "dana.personal@example.com" in browser.get(f"/admin/users/{rep.id}").text
    assert accounts.find_user_by_address(session, "dana.personal@example.com").id == rep.id
    for bad, status in (
        ("dana.personal@example.com", 409),
        (world.rep_a2.user.email, 409),
        ("not an address", 422),
        ("a@b.example\r\nBcc: x@y.example", 422),
    ):
        data = {"email": bad, "csrf_token": admin_token}
        assert browser.post(f"/admin/users/{rep.id}/addresses", data=data).status_code == status, bad
    session.expire_all()
    assert len(session.exec(select(UserAddress)).all()) == 1


def test_an_admin_removes_an_address_and_mail_from_it_no_longer_finds_the_rep(
    browser, admin_token, world, session, make_mou
):
    rep = world.rep_a1.user
    kept = accounts.add_address(session, rep, "dana.kept@example.com")
    gone = accounts.add_address(session, rep, "dana.old@example.com")
    old, gone_id = gone.email, gone.id
    inbound = InboundMessage(
        provider="mime", content_hash="1" * 64, dedupe_key="from-old-address", envelope_from=old
    )
    session.add(inbound)
    session.flush()
    mou = make_mou(rep)
    mou.inbound_id, mou.source = inbound.id, Source.email
    session.add(mou)
    session.commit()
    session.expire_all()
    before = session.get(Mou, mou.id).model_dump()
    assert find_rep(session, old).id == rep.id
    data = {"csrf_token": admin_token}
    response = browser.post(f"/admin/users/{rep.id}/addresses/{gone_id}/delete", data=data)
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/users/{rep.id}?done=address_removed"
    session.expire_all()
    assert find_rep(session, old) is None
    assert find_rep(session, kept.email).id == rep.id
    assert rep_addresses(session, fresh(session, rep.id)) == {rep.email.lower(), kept.email}
    page = browser.get(response.headers["location"]).text
    assert old not in page and "dana.kept@example.com" in page
    assert session.get(Mou, mou.id).model_dump() == before
    assert session.get(InboundMessage, inbound.id).envelope_from == old


@pytest.mark.parametrize("bad_id", ["other", "missing", "0", str(2**63), "abc"])
def test_removing_an_address_that_is_not_the_users_is_404(browser, admin_token, world, session, bad_id):
    rep, other = world.rep_a1.user, world.rep_a2.user
    theirs = accounts.add_address(session, other, "leo.personal@example.com")
    session.commit()
    address_id = {"other": str(theirs.id), "missing": str(theirs.id + 1000)}.get(bad_id, bad_id)
    data = {"csrf_token": admin_token}
    response = browser.post(f"/admin/users/{rep.id}/addresses/{address_id}/delete", data=data)
    assert response.status_code in ((404,) if bad_id in ("other", "missing", "0") else (404, 422))
    session.expire_all()
    assert session.exec(select(UserAddress.user_id)).all() == [other.id]
    assert find_rep(session, "leo.personal@example.com").id == other.id
