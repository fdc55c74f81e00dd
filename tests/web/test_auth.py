"""Sign-in, sign-out, password change, API tokens: cookies, CSRF and the login rate limit."""

from __future__ import annotations

from app.accounts.security import SESSION_COOKIE
from tests.web.conftest import csrf_from, sign_in

PASSWORD = "correct horse battery staple"


def post_login(client, email, password, **extra):
    token = csrf_from(client.get("/login").text)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token, **extra})


def test_sign_in_sets_a_protected_session_cookie_and_lands_by_role(browser, world):
    response = post_login(browser, world.rep_a1.user.email, PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/mous"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert browser.get("/mous").status_code == 200
    browser.cookies.clear()
    assert post_login(browser, world.manager_a.user.email, PASSWORD).headers["location"] == "/queue"


def test_session_cookie_is_secure_when_configured(app, world):
    from fastapi.testclient import TestClient

    app.state.settings = app.state.settings.model_copy(update={"cookie_secure": True})
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        response = post_login(client, world.rep_a1.user.email, PASSWORD)
    assert response.status_code == 303
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "Secure" in cookie


def test_wrong_password_is_refused_without_a_session(browser, world):
    response = post_login(browser, world.rep_a1.user.email, "not the password")
    assert response.status_code == 401
    assert "do not match" in response.text
    assert SESSION_COOKIE not in response.cookies
    assert browser.get("/mous").status_code == 303


def test_unknown_user_gets_the_same_answer(browser, world):
    response = post_login(browser, "nobody@acme-sales.example", PASSWORD)
    assert response.status_code == 401
    assert "do not match" in response.text


def test_sign_in_without_or_with_a_foreign_csrf_token_is_refused(browser, world):
    browser.get("/login")
    data = {"email": world.rep_a1.user.email, "password": PASSWORD}
    assert browser.post("/login", data=data).status_code == 403
    assert browser.post("/login", data={**data, "csrf_token": "0" * 64}).status_code == 403
    browser.cookies.clear()  # the token belongs to a cookie the attacker does not have
    token = csrf_from(browser.get("/login").text)
    browser.cookies.clear()
    response = browser.post("/login", data={**data, "csrf_token": token})
    assert response.status_code == 403
    assert "expired" in response.text


def test_login_attempts_are_rate_limited_per_address_and_email(app, browser, world):
    limit = app.state.settings.login_rate_per_minute
    for _ in range(limit):
        assert post_login(browser, world.rep_a1.user.email, "wrong").status_code == 401
    blocked = post_login(browser, world.rep_a1.user.email, PASSWORD)
    assert blocked.status_code == 429
    assert "Too many sign-in attempts" in blocked.text
    assert int(blocked.headers["retry-after"]) > 0
    assert post_login(browser, world.rep_a2.user.email, PASSWORD).status_code == 303


def test_next_is_followed_only_within_the_site(browser, world):
    response = browser.get("/queue?stage=change")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fqueue%3Fstage%3Dchange"
    ok = post_login(browser, world.manager_a.user.email, PASSWORD, next="/queue?stage=change")
    assert ok.headers["location"] == "/queue?stage=change"
    browser.cookies.clear()
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = post_login(browser, world.manager_a.user.email, PASSWORD, next=evil)
        assert response.headers["location"] == "/queue"
        browser.cookies.clear()


def test_sign_out_needs_csrf_and_ends_the_session_everywhere(browser, world):
    token = sign_in(browser, world.rep_a1.user.email)
    old_cookie = browser.cookies.get(SESSION_COOKIE)
    assert browser.post("/logout").status_code == 403
    assert browser.get("/mous").status_code == 200
    response = browser.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert browser.get("/mous").status_code == 303
    browser.cookies.set(SESSION_COOKIE, old_cookie)  # a copied cookie stops working too
    assert browser.get("/mous").status_code == 303


def test_password_change_checks_the_current_one_and_ends_other_sessions(app, browser, world):
    from fastapi.testclient import TestClient

    token = sign_in(browser, world.rep_a1.user.email)
    with TestClient(app, headers={"Accept": "text/html"}, follow_redirects=False) as other:
        sign_in(other, world.rep_a1.user.email)
        bad = {
            "csrf_token": token,
            "current_password": "wrong",
            "new_password": "a" * 12,
            "confirm": "a" * 12,
        }
        assert browser.post("/account/password", data=bad).status_code == 422
        short = {**bad, "current_password": PASSWORD, "new_password": "short", "confirm": "short"}
        assert "at least 10" in browser.post("/account/password", data=short).text
        good = {
            **bad,
            "current_password": PASSWORD,
            "new_password": "a new long password",
            "confirm": "a new long password",
        }
        assert browser.post("/account/password", data=good).status_code == 303
        assert browser.get("/mous").status_code == 200
        assert other.get("/mous").status_code == 303
    browser.cookies.clear()
    assert post_login(browser, world.rep_a1.user.email, "a new long password").status_code == 303


def test_api_token_is_shown_once_and_can_be_revoked(browser, world):
    token = sign_in(browser, world.rep_a1.user.email)
    created = browser.post("/settings/tokens", data={"csrf_token": token, "name": "CRM sync"})
    assert created.status_code == 201
    assert "will not be shown again" in created.text
    secret = created.text.split('id="new-token">', 1)[1].split("<", 1)[0]
    api = {"Authorization": f"Bearer {secret}"}
    assert browser.get("/api/mous", headers=api).status_code == 200
    page = browser.get("/settings").text
    assert secret not in page and "CRM sync" in page
    ids = [part.split("/revoke")[0] for part in page.split("/settings/tokens/")[1:]]
    token_id = max(ids, key=int)
    assert browser.post(f"/settings/tokens/{token_id}/revoke", data={"csrf_token": token}).status_code == 303
    assert browser.get("/api/mous", headers=api).status_code == 401


def test_cannot_revoke_someone_elses_token(browser, world, session):
    from app.accounts import service

    theirs = service.list_tokens(session, world.rep_a2.user)[0]
    token = sign_in(browser, world.rep_a1.user.email)
    response = browser.post(f"/settings/tokens/{theirs.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 404
    assert browser.get("/api/mous", headers=world.rep_a2.headers).status_code == 200
