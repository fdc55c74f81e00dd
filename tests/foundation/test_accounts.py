"""Accounts: hashed passwords and tokens, sessions, and the visibility rule."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.accounts import service
from app.accounts.deps import load_visible_mou
from app.accounts.security import (
    csrf_token,
    csrf_valid,
    read_session,
    sign_session,
    token_digest,
    verify_password,
)
from app.errors import Conflict, InvalidInput, MouNotFound
from app.models import ApiToken, Mou, User


def _mou(session, rep: User) -> Mou:
    mou = Mou(
        rep_id=rep.id, team_id=rep.team_id, customer_email="c@customer.example", reply_token=rep.email[:12]
    )
    session.add(mou)
    session.flush()
    return mou


def test_passwords_are_argon2_hashed(world):
    user = world.rep_a1.user
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, world.rep_a1.password)
    assert not verify_password(user.password_hash, "wrong password")
    assert not verify_password("not-a-hash", "anything")


def test_tokens_are_stored_hashed_and_revocable(session, world):
    rows = session.exec(select(ApiToken).where(ApiToken.user_id == world.rep_a1.user.id)).all()
    assert [r.token_hash for r in rows] == [token_digest(world.rep_a1.token)]
    assert world.rep_a1.token not in {r.prefix for r in rows}
    assert service.user_for_token(session, world.rep_a1.token).id == world.rep_a1.user.id
    service.revoke_token(session, world.rep_a1.user, rows[0].id)
    assert service.user_for_token(session, world.rep_a1.token) is None


def test_api_rejects_revoked_and_unknown_tokens(client, session, world):
    assert client.get("/api/mous", headers={"Authorization": "Bearer mou_nope"}).status_code == 401


def test_duplicate_and_invalid_users_refused(session, world):
    with pytest.raises(Conflict):
        service.create_user(session, email="DANA.Whitfield@acme-sales.example", name="Dup")
    with pytest.raises(InvalidInput):
        service.create_user(session, email="x@y.example", name="X", role="overlord")
    with pytest.raises(Conflict):
        service.create_team(session, "Enterprise East")


def test_sender_lookup_is_case_insensitive_and_knows_extra_addresses(session, world):
    rep = world.rep_a1.user
    service.add_address(session, rep, "Dana@Personal.Example")
    assert service.find_user_by_address(session, "DANA.WHITFIELD@acme-sales.example").id == rep.id
    assert service.find_user_by_address(session, "dana@personal.example").id == rep.id
    assert service.find_user_by_address(session, "stranger@nowhere.example") is None


def test_visibility_rule(session, world):
    mou = _mou(session, world.rep_a1.user)
    assert load_visible_mou(session, world.rep_a1.user, mou.id).id == mou.id
    assert load_visible_mou(session, world.manager_a.user, mou.id).id == mou.id
    assert load_visible_mou(session, world.admin.user, mou.id).id == mou.id
    for outsider in (world.rep_a2.user, world.rep_b1.user, world.manager_b.user):
        with pytest.raises(MouNotFound):
            load_visible_mou(session, outsider, mou.id)
    for bad_id in (0, -1, 2**63, 2**70):
        with pytest.raises(MouNotFound):
            load_visible_mou(session, world.admin.user, bad_id)


def test_session_cookie_and_csrf():
    cookie = sign_session("k", 7, 3)
    assert read_session("k", cookie)["uid"] == 7
    assert read_session("other-key", cookie) is None
    assert read_session("k", cookie + "x") is None
    token = csrf_token("k", cookie)
    assert csrf_valid("k", cookie, token)
    tampered = token[:-1] + ("1" if token[-1] == "0" else "0")
    assert not csrf_valid("k", cookie, tampered)
    assert not csrf_valid("k", None, token)


def test_password_change_ends_other_sessions(session, world):
    user = world.rep_a1.user
    before = user.session_version
    service.set_password(session, user, "a brand new passphrase")
    assert user.session_version == before + 1
    assert service.authenticate(session, user.email, "a brand new passphrase").id == user.id
    with pytest.raises(InvalidInput):
        service.set_password(session, user, "short")
