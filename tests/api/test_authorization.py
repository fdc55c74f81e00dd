"""Who may do what, for every API route: 401 without credentials, 404 outside one's scope, 403 by role,
and cookie-authenticated writes refused without the CSRF header."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from app.models import ApiToken, Delivery, Review
from tests.api.helpers import COMPLETE, cookie_session, insert_mou

MOU_ID = "{mou}"
ROUTES = [
    ("GET", "/api/me"),
    ("GET", "/api/me/tokens"),
    ("POST", "/api/me/tokens"),
    ("DELETE", "/api/me/tokens/1"),
    ("GET", "/api/mous"),
    ("POST", "/api/mous"),
    ("POST", "/api/check"),
    ("POST", "/api/preview"),
    ("GET", "/api/mous.csv"),
    ("GET", "/api/queue/export.csv"),
    ("GET", "/api/dashboard"),
    ("GET", "/api/mous/{mou}"),
    ("GET", "/api/mous/{mou}/preview"),
    ("POST", "/api/mous/{mou}/reviews"),
    ("POST", "/api/mous/{mou}/send"),
]
BODIES = {
    "/api/me/tokens": {"name": "ci"},
    "/api/mous": COMPLETE,
    "/api/check": COMPLETE,
    "/api/preview": COMPLETE,
    "/api/mous/{mou}/reviews": {"verdict": "coach", "comment": "Ask who signs off."},
}
MOU_ROUTES = [(m, p) for m, p in ROUTES if "{mou}" in p]
WRITE_ROUTES = [(m, p) for m, p in ROUTES if m in ("POST", "DELETE")]


@pytest.fixture
def mou(session, world):
    """A complete draft written by rep_a1 (team A)."""
    m = insert_mou(session, world.rep_a1.user, status="draft", customer_email="jo@northwind.example")
    session.commit()
    return m


def call(client, method: str, path: str, mou_id: int, headers: dict | None = None):
    return client.request(
        method, path.format(mou=mou_id), json=BODIES.get(path) if method == "POST" else None, headers=headers
    )


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_every_api_route_is_listed_here(app):
    """A new route must join this matrix."""
    listed = {(m, p.replace("{mou}", "{mou_id}").replace("/1", "/{token_id}")) for m, p in ROUTES}
    ours = {
        (method, route.path)
        for route in app.routes
        for method in getattr(route, "methods", ()) or ()
        if route.path.startswith(
            ("/api/me", "/api/mous", "/api/check", "/api/preview", "/api/queue", "/api/dash")
        )
    }
    assert ours - {("HEAD", p) for _, p in ours} <= listed


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_no_credentials_is_401(client, mou, method, path):
    response = call(client, method, path, mou.id)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_bad_token_is_401(client, mou, method, path):
    response = call(client, method, path, mou.id, {"Authorization": "Bearer mou_not-a-real-token"})
    assert response.status_code == 401


@pytest.mark.parametrize(("method", "path"), MOU_ROUTES)
@pytest.mark.parametrize("who", ["rep_a2", "rep_b1", "manager_b"])
def test_memo_outside_scope_is_404(client, world, session, mou, method, path, who):
    response = call(client, method, path, mou.id, getattr(world, who).headers)
    assert response.status_code == 404, response.text
    assert count(session, Review) == 0 and count(session, Delivery) == 0


@pytest.mark.parametrize(("method", "path"), MOU_ROUTES)
def test_missing_and_absurd_ids_are_404(client, world, method, path):
    for bad in (0, -1, 999_999, 2**31 - 1, 2**31, 2**32, 2**63, 2**64 + 5):
        response = call(client, method, path, bad, world.admin.headers)
        assert response.status_code == 404, (bad, response.text)


@pytest.mark.parametrize("path", ["/api/mous/abc", "/api/mous/1.5", "/api/mous/1e3/preview"])
def test_non_numeric_ids_are_422(client, world, path):
    assert client.get(path, headers=world.admin.headers).status_code == 422


@pytest.mark.parametrize("who", ["rep_a1", "manager_a", "admin"])
def test_memo_in_scope_is_visible(client, world, mou, who):
    headers = getattr(world, who).headers
    assert client.get(f"/api/mous/{mou.id}", headers=headers).status_code == 200
    assert client.get(f"/api/mous/{mou.id}/preview", headers=headers).status_code == 200
    ids = [item["id"] for item in client.get("/api/mous", headers=headers).json()["items"]]
    assert ids == [mou.id]


@pytest.mark.parametrize("who", ["rep_a2", "rep_b1", "manager_b"])
def test_lists_exports_and_dashboard_leave_others_out(client, world, mou, who):
    headers = getattr(world, who).headers
    assert client.get("/api/mous", headers=headers).json()["items"] == []
    assert "jo@northwind.example" not in client.get("/api/mous.csv", headers=headers).text
    assert client.get("/api/dashboard", headers=headers).json()["total_mous"] == 0


def test_rep_cannot_review_even_their_own_memo(client, world, session, mou):
    response = client.post(f"/api/mous/{mou.id}/reviews", json=BODIES["/api/mous/{mou}/reviews"],
                           headers=world.rep_a1.headers)  # fmt: skip
    assert response.status_code == 403
    assert count(session, Review) == 0


@pytest.mark.parametrize("who", ["manager_a", "admin"])
def test_team_manager_and_admin_can_review(client, world, mou, who):
    response = client.post(f"/api/mous/{mou.id}/reviews", json=BODIES["/api/mous/{mou}/reviews"],
                           headers=getattr(world, who).headers)  # fmt: skip
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("who", ["manager_a", "admin"])
def test_only_the_rep_sends_their_memo(client, world, session, mou, who):
    response = client.post(f"/api/mous/{mou.id}/send", headers=getattr(world, who).headers)
    assert response.status_code == 403
    assert count(session, Delivery) == 0


@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES)
def test_cookie_write_without_csrf_header_is_403(client, world, session, mou, method, path):
    cookie_session(client, world.manager_a.user)
    response = call(client, method, path, mou.id)
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    assert count(session, Review) == 0 and count(session, Delivery) == 0


@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES)
def test_cookie_write_with_wrong_csrf_header_is_403(client, world, mou, method, path):
    cookie_session(client, world.rep_a1.user)
    response = call(client, method, path, mou.id, {"X-CSRF-Token": "0" * 64})
    assert response.status_code == 403


def test_cookie_write_with_csrf_header_works(client, world, mou):
    token = cookie_session(client, world.manager_a.user)
    response = client.post(f"/api/mous/{mou.id}/reviews", json={"verdict": "approved"},
                           headers={"X-CSRF-Token": token})  # fmt: skip
    assert response.status_code == 201
    assert client.get("/api/mous", headers={}).status_code == 200  # reads need no CSRF header


def test_tokens_are_the_callers_own(client, world, session):
    theirs = session.exec(select(ApiToken).where(ApiToken.user_id == world.rep_b1.user.id)).one()
    assert client.delete(f"/api/me/tokens/{theirs.id}", headers=world.rep_a1.headers).status_code == 404
    listed = client.get("/api/me/tokens", headers=world.rep_a1.headers).json()
    assert [t["id"] for t in listed] != [] and theirs.id not in [t["id"] for t in listed]
    assert client.get("/api/me", headers=world.rep_b1.headers).status_code == 200  # still valid


def test_token_create_list_revoke(client, world):
    created = client.post("/api/me/tokens", json={"name": "laptop"}, headers=world.rep_a1.headers)
    assert created.status_code == 201
    token = created.json()["token"]
    new_headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/me", headers=new_headers).json()
    assert me["email"] == world.rep_a1.user.email and me["team"]["name"] == world.team_a.name
    listed = client.get("/api/me/tokens", headers=new_headers).json()
    assert "token" not in listed[0] and listed[0]["name"] == "laptop"
    revoke = client.delete(f"/api/me/tokens/{created.json()['id']}", headers=world.rep_a1.headers)
    assert revoke.status_code == 204
    assert client.get("/api/me", headers=new_headers).status_code == 401
    for bad in (2**31, 2**63, 2**64):
        assert client.delete(f"/api/me/tokens/{bad}", headers=world.rep_a1.headers).status_code == 404
