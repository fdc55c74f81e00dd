"""HTML, script, event handlers and template syntax typed into any field stay inert on every page."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from sqlmodel import select

from app.accounts import service as accounts
from app.models import CustomerReply, EmailTemplate, InboundMessage, Role, User
from tests.web.conftest import COMPLETE, csrf_from, sign_in

HOSTILE = (
    '<script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:alert(3)" onclick="x()">'
    "{{7*7}} {% raw %}raw{% endraw %} ${7*7} </textarea></title>"
)
TEXT_FIELDS = ("customer_name", "company", "situation", "goals", "obstacles", "complications", "next_step")


class LiveMarkup(HTMLParser):
    """Collects what a browser would act on: script elements, event handlers, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and dict(attrs).get("src") != "/static/app.js":
            self.found.append("inline <script>")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.found.append("payload <img>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"handler {name}")
            if (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"javascript: URL in {name}")


def live_markup(html: str) -> list[str]:
    """The live markup found in a page."""
    parser = LiveMarkup()
    parser.feed(html)
    return parser.found


def assert_inert(html: str, where: str) -> None:
    """No live markup from the payload survives (its escaped text may), and no textarea/title escape."""
    assert live_markup(html) == [], where
    assert "</textarea></title>" not in html, where


@pytest.fixture
def hostile_mous(world, make_mou, session):
    """Memos of rep A1 with the payload in every field, in field and paste (HTML) modes, and a review."""
    fields = {name: f"{COMPLETE.get(name, '')} {HOSTILE}" for name in TEXT_FIELDS}
    structured = make_mou(world.rep_a1.user, **fields, next_step_due="2020-01-01")
    pasted = make_mou(
        world.rep_a1.user,
        **dict.fromkeys(("situation", "goals", "obstacles", "complications", "next_step"), ""),
        body=f"<p>{COMPLETE['situation']}</p>{HOSTILE}",
        format="html",
        subject=f"Subject {HOSTILE}",
    )
    from app.review import service as review

    review.add_review(session, world.manager_a.user, structured, "coach", f"Coaching {HOSTILE}")
    session.add(
        InboundMessage(
            provider="mime",
            content_hash="1" * 64,
            dedupe_key="hostile",
            subject=f"Inbound {HOSTILE}",
            envelope_from="a@b.example",
            detail=HOSTILE,
        )
    )
    accounts.create_user(session, email="odd@acme-sales.example", name=f"Odd {HOSTILE}", role=Role.rep)
    session.add(
        EmailTemplate(
            name="hostile_note",
            description=f"Desc {HOSTILE}",
            subject="Hi {{ customer_first_name }}",
            html=f"<p>{{{{ situation }}}}</p><!-- {HOSTILE} -->",
            text=f"{{{{ situation }}}} {HOSTILE}",
        )
    )
    structured.status = "sent"
    session.add(structured)
    session.add(
        CustomerReply(
            mou_id=structured.id,
            from_addr="jordan@northwind.example",
            classification="corrected",
            body=f"Reply {HOSTILE}",
            correction=f"Northwind runs 14 regional depots {HOSTILE}",
        )
    )
    session.commit()
    return structured, pasted


def test_rep_pages_show_the_payload_as_text(browser, world, hostile_mous):
    structured, pasted = hostile_mous
    sign_in(browser, world.rep_a1.user.email)
    for path in (
        "/mous",
        f"/mous/{structured.id}",
        f"/mous/{pasted.id}",
        f"/mous/new?from={structured.id}",
        f"/mous/new?from={pasted.id}",
        f"/mous/{pasted.id}/edit",
    ):
        response = browser.get(path)
        assert response.status_code == 200, path
        assert_inert(response.text, path)
        assert "{{7*7}}" in response.text and "{% raw %}" in response.text, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text, path


def odd_user(session) -> User:
    """The user whose name carries the payload."""
    return session.exec(select(User).where(User.email == "odd@acme-sales.example")).one()


def test_manager_and_admin_pages_show_the_payload_as_text(browser, world, hostile_mous, session):
    structured, _ = hostile_mous
    sign_in(browser, world.admin.user.email)
    pages = (
        "/queue",
        "/queue?q=Northwind",
        "/dashboard",
        f"/mous/{structured.id}",
        "/admin/users",
        "/admin/inbound",
        "/admin/teams",
        "/admin/templates",
        "/admin/templates/new",
        f"/admin/users/{odd_user(session).id}",
        f"/admin/users/{world.rep_a1.user.id}",
    )
    for path in pages:
        response = browser.get(path)
        assert response.status_code == 200, path
        assert_inert(response.text, path)
    assert "{{7*7}}" in browser.get("/queue").text
    detail = browser.get(f"/mous/{structured.id}").text
    assert "Coaching &lt;script&gt;" in detail
    assert "Reply &lt;script&gt;" in detail and "&lt;/textarea&gt;" in detail  # the reply, as text


def test_the_payload_typed_into_the_form_comes_back_inert(browser, world):
    token = sign_in(browser, world.rep_a1.user.email)
    data = {**dict.fromkeys(TEXT_FIELDS, HOSTILE), "mode": "fields", "action": "check", "csrf_token": token}
    response = browser.post("/mous/new", data=data)
    assert response.status_code == 200
    assert_inert(response.text, "/mous/new check")
    paste = {"mode": "paste", "body": HOSTILE, "subject": HOSTILE, "action": "check", "csrf_token": token}
    assert_inert(browser.post("/mous/new", data=paste).text, "/mous/new paste")


def test_email_views_are_sanitised_and_locked_down(browser, world, hostile_mous):
    structured, pasted = hostile_mous
    token = sign_in(browser, world.rep_a1.user.email)
    data = {
        **COMPLETE,
        "company": HOSTILE,
        "situation": HOSTILE + COMPLETE["situation"],
        "mode": "fields",
        "csrf_token": token,
    }
    preview = browser.post("/mous/preview", data=data)
    views = [("preview", preview)]
    for mou in (structured, pasted):
        views.append((f"email {mou.id}", browser.get(f"/mous/{mou.id}/email.html")))
    for where, response in views:
        assert response.status_code == 200, where
        csp = response.headers["content-security-policy"]
        assert "sandbox" in csp and "script-src" not in csp and "default-src 'none'" in csp, where
        assert live_markup(response.text) == [], where
        assert "<script" not in response.text.lower(), where


def test_pages_carry_a_csp_without_inline_script(browser, world, hostile_mous):
    sign_in(browser, world.rep_a1.user.email)
    response = browser.get(f"/mous/{hostile_mous[0].id}")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in response.text  # our own script is an external file
    assert csrf_from(response.text)


def test_the_inertness_check_itself_catches_live_markup():
    assert {"inline <script>", "payload <img>", "handler onerror", "handler onclick"} <= set(
        live_markup(HOSTILE)
    )


def test_admin_template_pages_show_template_source_as_text(browser, world, hostile_mous, session):
    token = sign_in(browser, world.admin.user.email)
    row = session.exec(select(EmailTemplate).where(EmailTemplate.name == "hostile_note")).one()
    edit = browser.get(f"/admin/templates/{row.id}/edit")
    assert edit.status_code == 200
    assert_inert(edit.text, "template edit")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in edit.text
    refused = {"name": "x", "subject": HOSTILE, "html": HOSTILE + "{% if %}", "text": HOSTILE}
    response = browser.post("/admin/templates/new", data={**refused, "csrf_token": token})
    assert response.status_code == 422
    assert_inert(response.text, "template refused")
    preview = browser.post(
        "/admin/templates/preview",
        data={"subject": "Hi", "html": "<p>{{ situation }}</p>" + HOSTILE, "text": "t", "csrf_token": token},
    )
    # The template's own markup is HTML by design: sanitised (no script, handlers or javascript: URLs).
    assert set(live_markup(preview.text)) <= {"payload <img>"}
    assert "<script" not in preview.text.lower()
    assert "default-src 'none'" in preview.headers["content-security-policy"]


def test_the_edit_form_echoes_hostile_input_inert(browser, world, hostile_mous):
    pasted = hostile_mous[1]
    token = sign_in(browser, world.rep_a1.user.email)
    data = {**dict.fromkeys(TEXT_FIELDS, HOSTILE), "mode": "fields", "action": "check", "csrf_token": token}
    response = browser.post(f"/mous/{pasted.id}/edit", data=data)
    assert response.status_code == 200
    assert_inert(response.text, "edit check")
