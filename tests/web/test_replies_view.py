"""The MOU page shows the customer's replies: classification badge and the correction placed in the memo."""

from __future__ import annotations

import pytest

from app.models import CustomerReply, MouStatus
from tests.web.conftest import sign_in


@pytest.fixture
def answered(world, make_mou, session):
    """A sent memo of rep A1 with a confirmation and a correction of its situation."""
    mou = make_mou(world.rep_a1.user)
    mou.status = MouStatus.sent
    session.add(mou)
    correction = (
        "Northwind runs 14 regional depots and plans routes in spreadsheets; dispatch takes 3 hours a day."
    )
    session.add_all(
        [
            CustomerReply(
                mou_id=mou.id,
                from_addr="jordan@northwind.example",
                classification="confirmed",
                body="Looks right, thanks!",
            ),
            CustomerReply(
                mou_id=mou.id,
                from_addr="jordan@northwind.example",
                classification="corrected",
                body=f"One correction: {correction}",
                correction=correction,
            ),
        ]
    )
    session.commit()
    return mou


def test_the_rep_sees_the_replies_with_badges_and_the_correction(browser, world, answered):
    sign_in(browser, world.rep_a1.user.email)
    page = browser.get(f"/mous/{answered.id}").text
    section = page.split('id="replies"', 1)[1]
    assert 'class="badge badge-ok">Confirmed' in section
    assert 'class="badge badge-warn">Corrected' in section
    assert "<del>12</del>" in section and "<ins>14</ins>" in section
    assert "Situation" in section and "Looks right, thanks!" in section


def test_the_manager_sees_them_and_other_reps_do_not(browser, world, answered):
    sign_in(browser, world.manager_a.user.email)
    assert "<ins>14</ins>" in browser.get(f"/mous/{answered.id}").text
    browser.cookies.clear()
    sign_in(browser, world.rep_a2.user.email)
    response = browser.get(f"/mous/{answered.id}")
    assert response.status_code == 404 and "Looks right" not in response.text


def test_no_replies_says_so(browser, world, make_mou):
    mou = make_mou(world.rep_a1.user)
    sign_in(browser, world.rep_a1.user.email)
    assert "No replies from the customer yet." in browser.get(f"/mous/{mou.id}").text
