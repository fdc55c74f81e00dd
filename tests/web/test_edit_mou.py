"""A rep edits their own held or draft memo (re-checked on save); sent memos are read-only."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.models import AuditLog, Mou, MouStatus
from tests.web.conftest import COMPLETE, sign_in


def fresh(session, mou_id: int) -> Mou:
    session.expire_all()
    return session.get(Mou, mou_id)


def form(token: str, action: str = "save", **fields) -> dict:
    return {**COMPLETE, "mode": "fields", "action": action, "csrf_token": token, **fields}


@pytest.fixture
def held(world, make_mou, session):
    """An incomplete memo of rep A1 that was held."""
    mou = make_mou(world.rep_a1.user, obstacles="", complications="")
    mou.status = MouStatus.held
    session.add(mou)
    session.commit()
    return mou


def test_the_edit_form_is_the_new_form_prefilled(browser, world, held):
    sign_in(browser, world.rep_a1.user.email)
    page = browser.get(f"/mous/{held.id}/edit")
    assert page.status_code == 200
    assert f'action="/mous/{held.id}/edit"' in page.text
    assert COMPLETE["situation"] in page.text and "Northwind Logistics" in page.text
    assert "Missing" in page.text  # the stored checklist shows what is still absent
    assert f'href="/mous/{held.id}/edit"' in browser.get(f"/mous/{held.id}").text


def test_saving_rechecks_the_memo_and_keeps_its_identity(browser, world, held, session):
    token = sign_in(browser, world.rep_a1.user.email)
    token_before = held.reply_token
    response = browser.post(f"/mous/{held.id}/edit", data=form(token, company="Northwind Ltd"))
    assert response.status_code == 303
    assert response.headers["location"] == f"/mous/{held.id}?done=updated"
    mou = fresh(session, held.id)
    assert mou.complete and mou.status == MouStatus.draft and mou.missing_mask == 0
    assert (mou.company, mou.obstacles) == ("Northwind Ltd", COMPLETE["obstacles"])
    assert mou.reply_token == token_before and mou.rep_id == world.rep_a1.user.id
    assert session.exec(select(Mou).where(Mou.rep_id == world.rep_a1.user.id)).all() == [mou]
    actions = session.exec(select(AuditLog.action).where(AuditLog.object_id == held.id)).all()
    assert "mou.update" in actions


def test_an_edit_that_is_still_incomplete_stays_held(browser, world, held, session):
    token = sign_in(browser, world.rep_a1.user.email)
    data = form(token, obstacles="", complications="", goals="")
    assert browser.post(f"/mous/{held.id}/edit", data=data).status_code == 303
    mou = fresh(session, held.id)
    assert mou.status == MouStatus.held and not mou.complete and mou.goals == ""


def test_send_from_the_edit_form_is_refused_until_complete_then_sends(browser, world, held, session):
    token = sign_in(browser, world.rep_a1.user.email)
    data = form(token, "send", obstacles="", complications="")
    response = browser.post(f"/mous/{held.id}/edit", data=data)
    assert response.status_code == 422 and "Not sent" in response.text
    assert fresh(session, held.id).status == MouStatus.held
    response = browser.post(f"/mous/{held.id}/edit", data=form(token, "send"))
    assert response.status_code == 303
    assert fresh(session, held.id).status == MouStatus.queued


def test_bad_input_comes_back_with_the_form_and_changes_nothing(browser, world, held, session):
    token = sign_in(browser, world.rep_a1.user.email)
    response = browser.post(f"/mous/{held.id}/edit", data=form(token, customer_email="not an address"))
    assert response.status_code == 422 and 'id="form-errors"' in response.text
    assert fresh(session, held.id).customer_email == COMPLETE["customer_email"]
    response = browser.post(f"/mous/{held.id}/edit", data=form(token, company="X\r\nBcc: a@b.example"))
    assert response.status_code == 422
    assert fresh(session, held.id).company == "Northwind Logistics"


@pytest.mark.parametrize("status", [MouStatus.queued, MouStatus.sent, MouStatus.logged])
def test_memos_that_went_out_are_read_only(browser, world, make_mou, session, status):
    mou = make_mou(world.rep_a1.user)
    mou.status = status
    session.add(mou)
    session.commit()
    token = sign_in(browser, world.rep_a1.user.email)
    assert browser.get(f"/mous/{mou.id}/edit").status_code == 409
    assert browser.post(f"/mous/{mou.id}/edit", data=form(token, company="Changed")).status_code == 409
    assert fresh(session, mou.id).company == "Northwind Logistics"
    assert f'href="/mous/{mou.id}/edit"' not in browser.get(f"/mous/{mou.id}").text


def test_other_reps_get_404_and_managers_403(browser, world, held, session):
    token = sign_in(browser, world.rep_a2.user.email)
    assert browser.get(f"/mous/{held.id}/edit").status_code == 404
    assert browser.post(f"/mous/{held.id}/edit", data=form(token)).status_code == 404
    browser.cookies.clear()
    token = sign_in(browser, world.manager_a.user.email)
    assert browser.get(f"/mous/{held.id}/edit").status_code == 403
    assert browser.post(f"/mous/{held.id}/edit", data=form(token)).status_code == 403
    assert f'href="/mous/{held.id}/edit"' not in browser.get(f"/mous/{held.id}").text
    browser.cookies.clear()
    token = sign_in(browser, world.manager_b.user.email)
    assert browser.get(f"/mous/{held.id}/edit").status_code == 404
    assert fresh(session, held.id).status == MouStatus.held


def test_a_pasted_memo_reopens_as_text_and_is_rechecked(browser, world, make_mou, session):
    blank = dict.fromkeys(("situation", "goals", "obstacles", "complications", "next_step"), "")
    mou = make_mou(world.rep_a1.user, **blank, body="We met. Nothing much.", subject="Notes")
    assert not mou.complete
    token = sign_in(browser, world.rep_a1.user.email)
    page = browser.get(f"/mous/{mou.id}/edit").text
    assert 'name="body"' in page and "We met. Nothing much." in page
    body = " ".join(COMPLETE[n] for n in ("situation", "goals", "obstacles", "complications"))
    data = {"mode": "paste", "body": body, "subject": "Notes", "action": "save", "csrf_token": token}
    data.update(customer_email=COMPLETE["customer_email"], customer_name="Jordan", company="Northwind")
    assert browser.post(f"/mous/{mou.id}/edit", data=data).status_code == 303
    saved = fresh(session, mou.id)
    assert saved.body == body and saved.complete and saved.missing_mask != 0b1111
