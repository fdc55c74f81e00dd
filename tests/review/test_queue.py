"""The review queue: order, keyset pagination (every row exactly once, ties included), filters, cursors."""

from __future__ import annotations

import base64
import json
from datetime import date

import pytest
from sqlmodel import select

from app.models import Mou
from app.review.queue import QueueFilters, list_queue
from tests.api.helpers import T0, days, insert_mou


def all_pages(client, headers, **params) -> tuple[list[int], int]:
    """Follow next_cursor to the end; returns the ids in order and the number of pages."""
    ids, pages, cursor = [], 0, None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/mous", params=query, headers=headers).json()
        ids += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, pages
        assert pages < 500


@pytest.fixture
def crowd(session, world):
    """37 team-A memos with many created_at ties, mixed review state and stage, and 3 of team B."""
    rows = []
    stages = [None, "change", "research", "fear", "satisfaction"]
    for i in range(37):
        rep = world.rep_a1.user if i % 3 else world.rep_a2.user
        rows.append(
            insert_mou(
                session, rep, created_at=T0 + days(i % 4), reviewed=i % 5 == 0,
                review="approved" if i % 5 == 0 else "unreviewed", stage=stages[i % 5],
            )
        )  # fmt: skip
    for _ in range(3):
        insert_mou(session, world.rep_b1.user)
    session.commit()
    return rows


def queue_key(m):
    return (m.reviewed, m.stage_rank, m.created_at, m.id)


@pytest.mark.parametrize("limit", [1, 2, 5, 7, 36, 37, 200])
def test_manager_pages_return_every_row_once_in_queue_order(client, world, crowd, limit):
    ids, pages = all_pages(client, world.manager_a.headers, limit=limit)
    expected = [m.id for m in sorted(crowd, key=queue_key)]
    assert ids == expected
    assert pages == max(1, -(-37 // limit)) or (37 % limit == 0 and pages == 37 // limit)


def test_unreviewed_earliest_stage_oldest_first(client, world, crowd):
    items = client.get("/api/mous", params={"limit": 200}, headers=world.manager_a.headers).json()["items"]
    assert not items[0]["reviewed"] and items[0]["stage"] == "change"
    assert items[-1]["reviewed"] and items[-1]["stage"] is None
    first_reviewed = next(i for i, item in enumerate(items) if item["reviewed"])
    assert all(not item["reviewed"] for item in items[:first_reviewed])
    assert all(item["reviewed"] for item in items[first_reviewed:])


@pytest.mark.parametrize("limit", [1, 4, 50])
def test_rep_pages_newest_first(client, world, crowd, limit):
    ids, _ = all_pages(client, world.rep_a1.headers, limit=limit)
    mine = [m for m in crowd if m.rep_id == world.rep_a1.user.id]
    assert ids == [m.id for m in sorted(mine, key=lambda m: (m.created_at, m.id), reverse=True)]


@pytest.mark.parametrize("limit", [1, 7, 200])
def test_admin_sees_all_teams_in_one_queue_order(client, world, session, crowd, limit):
    insert_mou(session, world.admin.user, created_at=T0 - days(1))  # an admin has no team
    session.commit()
    ids, _ = all_pages(client, world.admin.headers, limit=limit)
    everything = session.exec(select(Mou)).all()
    assert len(everything) == 41
    assert ids == [m.id for m in sorted(everything, key=queue_key)]
    team_b, _ = all_pages(client, world.admin.headers, team=world.team_b.id)
    assert len(team_b) == 3


def test_item_fields(client, world, crowd):
    item = client.get("/api/mous", params={"limit": 1}, headers=world.manager_a.headers).json()["items"][0]
    for key in ("id", "customer_email", "customer_name", "company", "rep", "status", "review", "stage",
                "checklist", "created_at", "next_step_due", "reply_status", "complete"):  # fmt: skip
        assert key in item
    assert set(item["rep"]) == {"id", "name", "email"}
    assert set(item["checklist"]["elements"]) == {
        "situation",
        "goals",
        "obstacles",
        "complications",
        "next_step",
    }


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "%%%",
        "",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(
            json.dumps({"o": "newest", "k": ["2025-01-01T00:00:00", 1]}).encode()
        ).decode(),
        base64.urlsafe_b64encode(json.dumps({"o": "queue", "k": [False, 0, "x", 1]}).encode()).decode(),
        base64.urlsafe_b64encode(
            json.dumps({"o": "queue", "k": [False, 0, "2025-01-01", 2**64]}).encode()
        ).decode(),
        base64.urlsafe_b64encode(json.dumps({"o": "queue", "k": [1, 0, "2025-01-01", 1]}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps([1, 2, 3]).encode()).decode(),
        "A" * 401,
    ],
)
def test_garbage_cursor_is_a_clear_422(client, world, crowd, cursor):
    response = client.get("/api/mous", params={"cursor": cursor}, headers=world.manager_a.headers)
    if cursor == "":
        assert response.status_code == 200  # an empty cursor means the first page
        return
    assert response.status_code == 422, response.text
    assert "cursor" in response.json()["error"]["message"]


@pytest.mark.parametrize("limit", [0, -1, 201, "ten"])
def test_limit_bounds(client, world, limit):
    assert (
        client.get("/api/mous", params={"limit": limit}, headers=world.manager_a.headers).status_code == 422
    )


def test_filters(client, world, session):
    rep1, rep2 = world.rep_a1.user, world.rep_a2.user
    a = insert_mou(
        session, rep1, status="held", missing=["obstacles"], stage="fear", company="Acme 100% Widgets"
    )
    b = insert_mou(session, rep2, status="sent", reviewed=True, review="coach", next_step_due=T0.date())
    c = insert_mou(session, rep1, status="sent", reply_status="confirmed", customer_name="Zoë O_Brien",
                   next_step_due=date(2099, 1, 1), missing=["next_step"])  # fmt: skip
    session.commit()

    def ids(**params):
        body = client.get("/api/mous", params=params, headers=world.manager_a.headers)
        assert body.status_code == 200, body.text
        return {item["id"] for item in body.json()["items"]}

    assert ids(status="held") == {a.id}
    assert ids(review="coach") == {b.id}
    assert ids(review="unreviewed") == {a.id, c.id}
    assert ids(rep=str(rep2.id)) == {b.id}
    assert ids(rep=rep1.email.upper()) == {a.id, c.id}
    assert ids(rep="nobody@nowhere.example") == set()
    assert ids(rep=str(2**70)) == ids(rep=str(2**31)) == set()
    assert ids(rep="¹") == ids(rep="٣") == set()  # digits to str.isdigit(), not user ids
    assert client.get("/api/mous", params={"team": 2**31}, headers=world.admin.headers).json()["items"] == []
    assert ids(stage="fear") == {a.id}
    assert ids(stage="unknown") == {b.id, c.id}
    assert ids(missing="obstacles") == {a.id}
    assert ids(missing="next_step") == {c.id}
    assert ids(overdue="true") == {b.id}
    insert_mou(session, rep2, status="queued", next_step_due=T0.date())  # past due, not yet sent: not overdue
    session.commit()
    assert ids(overdue="true") == {b.id}
    assert ids(reply_status="confirmed") == {c.id}
    assert ids(q="100%") == {a.id}
    assert ids(q="%") == {a.id}  # wildcards are literal
    assert ids(q="o_b") == {c.id}
    assert ids(q="zoë") == {c.id}
    assert ids(q="ACME") == {a.id}
    assert ids(status="held", rep=str(rep2.id)) == set()
    bad_filters = [
        {"status": "lost"},
        {"stage": "bargaining"},
        {"missing": "budget"},
        {"q": "x" * 101},
        {"q": "a\x00b"},
        {"rep": "\x00"},
    ]
    for bad in bad_filters:
        assert client.get("/api/mous", params=bad, headers=world.manager_a.headers).status_code == 422


def test_search_is_bounded_but_still_finds_every_match(session, world, monkeypatch):
    """A search scans a window of rows per page; following the cursors still yields each match once."""
    monkeypatch.setattr("app.review.queue.SEARCH_WINDOW", 4)
    made = [
        insert_mou(
            session, world.rep_a1.user, created_at=T0 + days(i // 3), company="Match" if i % 4 == 0 else "x"
        )
        for i in range(22)
    ]
    found, cursor, pages = [], None, 0
    while True:
        page = list_queue(session, world.manager_a.user, QueueFilters(q="match"), cursor=cursor, limit=2)
        found += [r.mou.id for r in page.rows]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert found == [m.id for m in sorted(made, key=queue_key) if m.company == "Match"]
    assert pages > 3
