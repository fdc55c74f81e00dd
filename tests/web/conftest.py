"""Web test helpers: a browser-like client (HTML accepted, redirects not followed) and sign-in."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.intake.submit import MouInput, create_mou
from app.models import Mou, Source

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
COMPLETE = {
    "customer_email": "jordan@northwind.example",
    "customer_name": "Jordan Alvarez",
    "company": "Northwind Logistics",
    "situation": (
        "Northwind runs 12 regional depots and plans routes in spreadsheets; dispatch takes 3 hours a day."
    ),
    "goals": (
        "They want to cut dispatch time to under an hour and cover the new Leeds depot without new hires."
    ),
    "obstacles": (
        "Route data lives in three systems that do not talk to each other, and IT has no spare capacity."
    ),
    "complications": (
        "The CFO must approve anything over 50k and the budget cycle closes in "
        "June; a WMS contract renews in May."
    ),
    "next_step": (
        "Jordan will share last quarter's route data with our solutions engineer by Friday 14 March."
    ),
}


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = TOKEN_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = "correct horse battery staple") -> str:
    """Sign in through the form; returns the session's CSRF token."""
    page = client.get("/login")
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 303, response.text
    return csrf_from(client.get("/settings").text)


@pytest.fixture
def browser(app) -> Iterator[TestClient]:
    """A client that asks for HTML like a browser and shows redirects instead of following them."""
    with TestClient(app, headers={"Accept": "text/html"}, follow_redirects=False) as c:
        yield c


@pytest.fixture
def make_mou(session):
    """Store a memo for a rep through the intake service."""

    def _make(rep, **fields) -> Mou:
        data = {**COMPLETE, **fields}
        mou = create_mou(session, rep, MouInput(**data), source=Source.form)
        session.commit()
        return mou

    return _make
