"""Accounts grouped by company and contact with stage history, the overdue list, scoping and the page."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine

from app.accounts.security import SESSION_COOKIE, sign_session
from tests.followup.conftest import send_mou

LATER = date(2099, 1, 1)


def _history(session, session_factory, settings, world):
    """Northwind moves research -> comparison across two contacts; BrightPath stays with another rep."""
    rep = world.rep_a1.user
    with time_machine.travel(datetime(2026, 2, 2, 10, tzinfo=UTC), tick=False):
        send_mou(session, session_factory, settings, rep, stage="research", next_step_due=LATER)
    with time_machine.travel(datetime(2026, 2, 20, 10, tzinfo=UTC), tick=False):
        send_mou(
            session,
            session_factory,
            settings,
            rep,
            stage="comparison",
            next_step_due=LATER,
            customer_email="mei@northwind.example",
            customer_name="Mei Chen",
            company="northwind  logistics",
        )
    send_mou(
        session,
        session_factory,
        settings,
        world.rep_a2.user,
        company="BrightPath",
        stage="change",
        customer_email="anna@brightpath.example",
        next_step_due=date(2020, 1, 1),
    )
    send_mou(
        session,
        session_factory,
        settings,
        world.rep_b1.user,
        company="Helios",
        stage="fear",
        customer_email="priya@helios.example",
    )


def test_accounts_are_grouped_with_stage_history_and_scoped(
    client, session, session_factory, settings, world
):
    _history(session, session_factory, settings, world)
    mine = client.get("/api/accounts", headers=world.rep_a1.headers).json()["items"]
    assert [a["company"] for a in mine] == ["northwind  logistics"]
    (northwind,) = mine
    assert northwind["key"] == "northwind logistics"
    assert northwind["mous"] == 2 and len(northwind["contacts"]) == 2
    assert (northwind["current_stage"], northwind["current_phase"]) == ("comparison", "options")

    team = client.get("/api/accounts", headers=world.manager_a.headers).json()["items"]
    assert sorted(a["key"] for a in team) == ["brightpath", "northwind logistics"]
    everyone = client.get("/api/accounts", headers=world.admin.headers).json()["items"]
    assert len(everyone) == 3
    staged = client.get("/api/accounts?stage=fear", headers=world.admin.headers).json()["items"]
    assert [a["key"] for a in staged] == ["helios"]

    detail = client.get("/api/accounts/Northwind%20Logistics", headers=world.manager_a.headers).json()
    assert [(p["stage"], p["moved_from"]) for p in detail["stage_history"]] == [
        ("research", None),
        ("comparison", "research"),
    ]
    stages = client.get("/api/accounts/northwind logistics/stages", headers=world.rep_a1.headers).json()
    assert [p["phase"] for p in stages] == ["options", "options"]


def test_accounts_outside_scope_are_404_and_bad_input_is_4xx(
    client, session, session_factory, settings, world
):
    _history(session, session_factory, settings, world)
    assert client.get("/api/accounts/helios", headers=world.manager_a.headers).status_code == 404
    assert client.get("/api/accounts/brightpath", headers=world.rep_a1.headers).status_code == 404
    assert client.get("/api/accounts").status_code == 401
    assert client.get("/api/accounts?stage=nonsense", headers=world.admin.headers).status_code == 422
    assert client.get("/api/accounts?q=" + "x" * 500, headers=world.admin.headers).status_code == 422
    assert client.get("/api/accounts/%00%ff", headers=world.admin.headers).status_code == 404
    assert client.get("/api/mous/999999/replies", headers=world.admin.headers).status_code == 404


def test_overdue_next_steps_are_listed_in_scope(client, session, session_factory, settings, world):
    _history(session, session_factory, settings, world)
    team = client.get("/api/followup/overdue", headers=world.manager_a.headers).json()["items"]
    assert [i["customer_email"] for i in team] == ["anna@brightpath.example"]
    assert team[0]["days_overdue"] > 0
    west = client.get("/api/followup/overdue", headers=world.manager_b.headers).json()["items"]
    assert [i["customer_email"] for i in west] == ["priya@helios.example"]
    assert client.get("/api/followup/overdue", headers=world.rep_a1.headers).json()["items"] == []


def test_accounts_page_renders_for_a_signed_in_manager(client, session, session_factory, settings, world):
    _history(session, session_factory, settings, world)
    assert client.get("/accounts", follow_redirects=False).status_code == 303
    user = world.manager_a.user
    cookie = sign_session(settings.secret_key.get_secret_value(), user.id, user.session_version)
    client.cookies.set(SESSION_COOKIE, cookie)
    page = client.get("/accounts")
    assert page.status_code == 200 and "northwind  logistics" in page.text
    detail = client.get("/accounts/northwind%20logistics")
    assert detail.status_code == 200 and "moved from Research" in detail.text
    assert client.get("/accounts/helios").status_code == 404
