"""The pages at work: writing, refusing and sending an MOU, reviewing, the queue, dashboard and admin."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app.models import Delivery, Mou, Review, Team, User, utcnow
from tests.web.conftest import COMPLETE, sign_in

INCOMPLETE = {k: v for k, v in COMPLETE.items() if k not in ("obstacles", "complications")}


def form(token: str, action: str, **fields) -> dict:
    return {"csrf_token": token, "mode": "fields", "action": action, **fields}


def test_send_is_refused_until_the_four_elements_are_present(browser, world, session):
    token = sign_in(browser, world.rep_a1.user.email)
    refused = browser.post("/mous/new", data=form(token, "send", **INCOMPLETE))
    assert refused.status_code == 422
    assert "Not sent: add Obstacles, Complications first" in refused.text
    assert COMPLETE["situation"] in refused.text  # what the rep typed is kept
    assert 'data-element="obstacles"' in refused.text and "is-missing" in refused.text
    assert session.exec(select(Mou)).all() == []
    assert session.exec(select(Delivery)).all() == []


def test_check_shows_the_checklist_without_storing(browser, world, session):
    token = sign_in(browser, world.rep_a1.user.email)
    page = browser.post("/mous/new", data=form(token, "check", **INCOMPLETE))
    assert page.status_code == 200
    assert "Something required is missing." in page.text
    assert session.exec(select(Mou)).all() == []


def test_a_complete_memo_is_sent_once_and_shown(browser, world, session):
    token = sign_in(browser, world.rep_a1.user.email)
    response = browser.post("/mous/new", data=form(token, "send", stage="research", **COMPLETE))
    assert response.status_code == 303
    mou = session.exec(select(Mou)).one()
    assert response.headers["location"] == f"/mous/{mou.id}?done=sent"
    assert mou.status == "queued" and mou.rep_id == world.rep_a1.user.id and mou.source == "form"
    deliveries = session.exec(select(Delivery).where(Delivery.mou_id == mou.id)).all()
    assert [d.kind for d in deliveries] == ["customer_mou"]
    page = browser.get(response.headers["location"]).text
    assert "Sent. The customer email is on its way" in page
    assert "<mark>" in page  # the evidence is highlighted in the memo
    again = browser.post(f"/mous/{mou.id}/send", data={"csrf_token": token})
    assert again.status_code == 409
    assert len(session.exec(select(Delivery).where(Delivery.mou_id == mou.id)).all()) == 1


def test_save_draft_then_send_it(browser, world, session):
    token = sign_in(browser, world.rep_a1.user.email)
    saved = browser.post("/mous/new", data=form(token, "save", **COMPLETE))
    assert saved.status_code == 303
    mou = session.exec(select(Mou)).one()
    assert mou.status == "draft"
    assert "Send to customer" in browser.get(f"/mous/{mou.id}").text
    assert browser.post(f"/mous/{mou.id}/send", data={"csrf_token": token}).status_code == 303
    session.refresh(mou)
    assert mou.status == "queued"


def test_an_incomplete_saved_draft_cannot_be_sent(browser, world, session):
    token = sign_in(browser, world.rep_a1.user.email)
    browser.post("/mous/new", data=form(token, "save", **INCOMPLETE))
    mou = session.exec(select(Mou)).one()
    page = browser.get(f"/mous/{mou.id}").text
    assert f'action="/mous/{mou.id}/send"' not in page and "Complete in a new draft" in page
    assert browser.post(f"/mous/{mou.id}/send", data={"csrf_token": token}).status_code == 422
    assert session.exec(select(Delivery)).all() == []


def test_paste_mode_and_bad_input_get_clear_answers(browser, world):
    token = sign_in(browser, world.rep_a1.user.email)
    memo = "\n".join(COMPLETE[k] for k in ("situation", "goals", "obstacles", "complications", "next_step"))
    paste = {"csrf_token": token, "mode": "paste", "action": "check", "body": memo, "subject": "Our meeting"}
    assert "All four required elements are present." in browser.post("/mous/new", data=paste).text
    bad = browser.post("/mous/new", data=form(token, "save", **{**COMPLETE, "meeting_date": "yesterday"}))
    assert bad.status_code == 422 and "meeting date" in bad.text
    bad_email = browser.post("/mous/new", data=form(token, "send", **{**COMPLETE, "customer_email": "nope"}))
    assert bad_email.status_code == 422 and "not a valid email address" in bad_email.text
    injected = browser.post(
        "/mous/new", data=form(token, "save", **{**COMPLETE, "company": "A\r\nBcc: x@y.z"})
    )
    assert injected.status_code == 422


def test_preview_is_a_sanitised_document_for_the_frame(browser, world):
    token = sign_in(browser, world.rep_a1.user.email)
    response = browser.post("/mous/preview", data=form(token, "preview", **COMPLETE))
    assert response.status_code == 200
    assert "Northwind Logistics" in response.text
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response.headers["content-security-policy"]


def test_manager_reviews_and_the_rep_sees_the_coaching(app, browser, world, make_mou, session):
    mou = make_mou(world.rep_a1.user)
    token = sign_in(browser, world.manager_a.user.email)
    empty = browser.post(f"/mous/{mou.id}/reviews", data={"csrf_token": token, "verdict": "coach"})
    assert empty.status_code == 422 and "a comment is needed" in empty.text
    bogus = browser.post(f"/mous/{mou.id}/reviews", data={"csrf_token": token, "verdict": "delete"})
    assert bogus.status_code == 422
    data = {"csrf_token": token, "verdict": "coach", "comment": "Ask who signs off before June."}
    assert browser.post(f"/mous/{mou.id}/reviews", data=data).status_code == 303
    assert session.exec(select(Review)).one().verdict == "coach"
    assert session.exec(select(Delivery).where(Delivery.kind == "coaching")).first() is not None
    browser.cookies.clear()
    sign_in(browser, world.rep_a1.user.email)
    mine = browser.get("/mous").text
    assert "Ask who signs off before June." in mine and "María Núñez" in mine


def test_queue_order_filters_and_keyset_pages(browser, world, make_mou, session):
    now = utcnow()
    for i in range(27):
        m = make_mou(
            world.rep_a1.user if i % 2 else world.rep_a2.user, company=f"Customer {i:02d}", stage="research"
        )
        m.created_at = now - timedelta(hours=100 - i)
        session.add(m)
    make_mou(world.rep_a2.user, company="Earliest Stage Co", stage="change")
    gap = make_mou(world.rep_a2.user, company="Gap Co", obstacles="")
    gap.created_at = now - timedelta(days=30)
    session.add(gap)
    session.commit()
    sign_in(browser, world.manager_a.user.email)
    first = browser.get("/queue").text
    assert first.index("Earliest Stage Co") < first.index("Customer 00")
    assert first.count('class="mou-title"') == 25
    next_link = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = browser.get(next_link).text
    assert second.count('class="mou-title"') == 4 and 'rel="next"' not in second
    missing = browser.get("/queue?missing=obstacles").text
    assert "Gap Co" in missing and "Customer 00" not in missing
    by_rep = browser.get(f"/queue?rep={world.rep_a1.user.id}").text
    assert "Customer 01" in by_rep and "Customer 00" not in by_rep
    assert "Earliest Stage Co" in browser.get("/queue?q=earliest").text
    assert browser.get("/queue?cursor=garbage").status_code == 200  # a clear message, not a 500
    assert browser.get("/queue?stage=nonsense&status=%3Cb%3E").status_code == 200


def test_queue_export_is_csv_with_the_same_scope(browser, world, make_mou):
    make_mou(world.rep_a1.user, company="=HYPERLINK(1)")
    sign_in(browser, world.manager_a.user.email)
    response = browser.get("/queue/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "'=HYPERLINK(1)" in response.text
    assert 'href="/queue/export.csv?' in browser.get("/queue?stage=change").text


def test_dashboard_charts_are_svg_without_script(browser, world, make_mou):
    make_mou(world.rep_a1.user, stage="research", meeting_date=str(utcnow().date() - timedelta(days=2)))
    sign_in(browser, world.manager_a.user.email)
    page = browser.get("/dashboard").text
    assert page.count("<svg") == 3 and "<script>" not in page
    for text in ("Needs", "Options", "Decision", "Results", "Dana Whitfield", "Most-missed element per rep"):
        assert text in page


def test_admin_adds_users_and_teams_with_clear_errors(browser, world, session):
    token = sign_in(browser, world.admin.user.email)
    user = {
        "csrf_token": token,
        "email": "new.rep@acme-sales.example",
        "name": "New Rep",
        "role": "rep",
        "team_id": str(world.team_a.id),
        "password": "a long enough password",
    }
    assert browser.post("/admin/users", data=user).status_code == 303
    assert session.exec(select(User).where(User.email == "new.rep@acme-sales.example")).one().team_id
    duplicate = browser.post("/admin/users", data=user)
    assert duplicate.status_code == 422 and "already exists" in duplicate.text
    assert (
        browser.post("/admin/users", data={**user, "email": "x@y.example", "role": "god"}).status_code == 422
    )
    team = {"csrf_token": token, "name": "Channel", "template": "structured"}
    assert browser.post("/admin/teams", data=team).status_code == 303
    assert session.exec(select(Team).where(Team.name == "Channel")).one()
    assert browser.post("/admin/teams", data={**team, "template": "../../etc"}).status_code == 422


def test_static_files_and_error_pages(browser, world):
    assert browser.get("/static/app.css").headers["content-type"].startswith("text/css")
    assert browser.get("/static/app.js").status_code == 200
    for path in ("/static/nope.js", "/static/..%2Froutes.py", "/static/%2e%2e/routes.py"):
        assert browser.get(path).status_code == 404, path
    sign_in(browser, world.rep_a1.user.email)
    missing = browser.get("/mous/999999")
    assert missing.status_code == 404 and "Not found" in missing.text and "New MOU" in missing.text
