"""Admins add, edit, preview and delete customer templates; a template that fails lint is never saved."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.models import EmailTemplate, Team
from tests.web.conftest import COMPLETE, sign_in

GOOD = {
    "name": "short_note",
    "description": "A short note",
    "subject": "Our meeting, {{ customer_first_name }}",
    "html": "<p>Hi {{ customer_first_name }},</p>\n<p>{{ situation }}</p>",
    "text": "Hi {{ customer_first_name }},\n\n{{ situation }}",
}


def rows(session) -> list[EmailTemplate]:
    session.expire_all()
    return list(session.exec(select(EmailTemplate).order_by(EmailTemplate.name)))


@pytest.fixture
def admin_token(browser, world) -> str:
    return sign_in(browser, world.admin.user.email)


def create(browser, token, **overrides):
    return browser.post("/admin/templates/new", data={**GOOD, **overrides, "csrf_token": token})


def test_an_admin_creates_a_template_and_it_is_listed(browser, admin_token, session):
    response = create(browser, admin_token)
    assert response.status_code == 303
    assert [r.name for r in rows(session)] == ["short_note"]
    page = browser.get("/admin/templates").text
    assert "short_note" in page and "A short note" in page
    assert f"/admin/templates/{rows(session)[0].id}/edit" in page


@pytest.mark.parametrize(
    ("part", "source", "shown"),
    [
        ("html", "<p>ok</p>\n<p>{% if %}</p>", "HTML, line 2: syntax error"),
        ("text", "Hi {{ secret_sauce }}", "unknown variable &#39;secret_sauce&#39;"),
        ("html", "<p>{{ situation|safe }}</p>", "HTML, line 1: the &#39;safe&#39; filter"),
        ("html", "<p>{{ 'a' * 10**7 }}</p>", "Test render: rendering the sample context failed"),
        ("subject", "", "Subject: this part is missing or empty"),
    ],
)
def test_a_template_that_fails_lint_or_the_test_render_is_refused_inline(
    browser, admin_token, session, part, source, shown
):
    response = create(browser, admin_token, **{part: source})
    assert response.status_code == 422
    assert shown in response.text
    assert 'id="template-form"' in response.text  # the form comes back with what was typed
    assert rows(session) == []


@pytest.mark.parametrize(
    ("name", "status"), [("structured", 409), ("bad name!", 422), ("-x", 422), ("x" * 81, 422)]
)
def test_names_must_be_new_and_plain(browser, admin_token, session, name, status):
    assert create(browser, admin_token, name=name).status_code == status
    assert rows(session) == []


def test_editing_saves_good_changes_and_refuses_bad_ones(browser, admin_token, session):
    create(browser, admin_token)
    row = rows(session)[0]
    page = browser.get(f"/admin/templates/{row.id}/edit")
    assert page.status_code == 200 and "Our meeting, {{ customer_first_name }}" in page.text
    changed = {**GOOD, "subject": "Recap for {{ company }}", "description": "Changed", "name": "renamed"}
    response = browser.post(f"/admin/templates/{row.id}/edit", data={**changed, "csrf_token": admin_token})
    assert response.status_code == 303
    row = rows(session)[0]
    assert (row.name, row.subject, row.description) == ("short_note", "Recap for {{ company }}", "Changed")
    bad = {**GOOD, "html": "{% for x in %}"}
    response = browser.post(f"/admin/templates/{row.id}/edit", data={**bad, "csrf_token": admin_token})
    assert response.status_code == 422 and "syntax error" in response.text
    assert rows(session)[0].html == GOOD["html"]


def test_preview_renders_the_form_in_the_sandbox_with_the_sample(browser, admin_token):
    response = browser.post("/admin/templates/preview", data={**GOOD, "csrf_token": admin_token})
    assert response.status_code == 200
    assert "Our meeting, Jordan" in response.text and "12 regional depots" in response.text
    assert "sandbox" in response.headers["content-security-policy"]
    escape_try = {**GOOD, "html": "{{ cycler.__init__.__globals__ }}"}
    response = browser.post("/admin/templates/preview", data={**escape_try, "csrf_token": admin_token})
    assert response.status_code == 200 and "No preview" in response.text
    assert "__builtins__" not in response.text
    for name in ("structured", "short_note"):
        if name == "short_note":
            create(browser, admin_token)
        shown = browser.get(f"/admin/templates/preview/{name}")
        assert shown.status_code == 200 and "Jordan" in shown.text, name
    assert browser.get("/admin/templates/preview/nope").status_code == 404


def test_a_team_default_cannot_be_deleted_and_an_unused_one_can(browser, admin_token, session, world):
    create(browser, admin_token)
    row = rows(session)[0]
    data = {"template": "short_note", "csrf_token": admin_token}
    assert browser.post(f"/admin/teams/{world.team_a.id}/template", data=data).status_code == 303
    session.expire_all()
    assert session.get(Team, world.team_a.id).template == "short_note"
    response = browser.post(f"/admin/templates/{row.id}/delete", data={"csrf_token": admin_token})
    assert response.status_code == 409 and "Enterprise East" in response.text
    assert len(rows(session)) == 1
    data = {"template": "structured", "csrf_token": admin_token}
    browser.post(f"/admin/teams/{world.team_a.id}/template", data=data)
    response = browser.post(f"/admin/templates/{row.id}/delete", data={"csrf_token": admin_token})
    assert response.status_code == 303
    assert rows(session) == []


def test_shipped_templates_have_no_edit_or_delete(browser, admin_token):
    page = browser.get("/admin/templates").text
    assert "/admin/templates/0/" not in page
    assert browser.get("/admin/templates/0/edit").status_code == 404
    assert browser.post("/admin/templates/0/delete", data={"csrf_token": admin_token}).status_code == 404
    assert browser.post("/admin/templates/99999/delete", data={"csrf_token": admin_token}).status_code == 404


def test_an_unknown_team_default_is_refused(browser, admin_token, world, session):
    data = {"template": "nope", "csrf_token": admin_token}
    assert browser.post(f"/admin/teams/{world.team_a.id}/template", data=data).status_code == 422
    session.expire_all()
    assert session.get(Team, world.team_a.id).template == "structured"
    assert browser.post("/admin/teams/99999/template", data=data).status_code == 404


def test_reps_can_pick_an_admin_template_and_the_email_uses_it(browser, admin_token, world, app):
    create(browser, admin_token)
    browser.cookies.clear()
    token = sign_in(browser, world.rep_a1.user.email)
    assert 'value="short_note"' in browser.get("/mous/new").text
    data = {**COMPLETE, "mode": "fields", "template": "short_note", "csrf_token": token}
    preview = browser.post("/mous/preview", data=data)
    assert "Our meeting, Jordan" in preview.text


def test_a_template_used_by_unsent_memos_cannot_be_deleted(browser, admin_token, world, make_mou, session):
    create(browser, admin_token)
    make_mou(world.rep_a1.user, template="short_note")
    row = rows(session)[0]
    response = browser.post(f"/admin/templates/{row.id}/delete", data={"csrf_token": admin_token})
    assert response.status_code == 409 and "unsent" in response.text
