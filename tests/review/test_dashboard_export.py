"""Dashboard figures on a small known data set, and the CSV export with formulas neutralised."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from app.review.dashboard import dashboard
from app.review.export import neutralise
from tests.api.helpers import T0, TODAY, insert_mou


@pytest.fixture
def known(session, world):
    """Team A: four customers (one with two memos), known meeting gaps, misses and due dates; team B: one."""
    a1, a2 = world.rep_a1.user, world.rep_a2.user
    meeting = T0.date()
    # Customer north: first memo at "change", the later one at "research" (the latest counts).
    insert_mou(session, a1, customer_email="n@north.example", stage="change", meeting_date=meeting,
               created_at=T0, missing=["obstacles"])  # fmt: skip
    insert_mou(session, a1, customer_email="n@north.example", stage="research", meeting_date=meeting,
               created_at=T0 + timedelta(days=2), next_step_due=TODAY - timedelta(days=1),
               status="sent")  # fmt: skip
    insert_mou(session, a1, customer_email="s@south.example", stage="fear", meeting_date=meeting,
               created_at=T0 + timedelta(days=6), missing=["obstacles", "complications"])  # fmt: skip
    insert_mou(session, a2, customer_email="e@east.example", stage="research", meeting_date=meeting,
               created_at=T0 + timedelta(days=1), missing=["goals"],
               next_step_due=TODAY + timedelta(days=3))  # fmt: skip
    insert_mou(session, a2, customer_email="", company="West Co", stage=None, created_at=T0,
               next_step_due=TODAY + timedelta(days=30))  # fmt: skip
    insert_mou(session, world.rep_b1.user, customer_email="b@other.example", stage="satisfaction")
    session.commit()


def stage_map(figures) -> dict[str, int]:
    return {s.stage: s.count for p in figures.phases for s in p.stages}


def test_customers_by_stage_use_each_customers_latest_memo(session, world, known):
    figures = dashboard(session, world.manager_a.user, today=TODAY)
    assert figures.total_mous == 5
    assert figures.customers == 4
    counts = stage_map(figures)
    assert counts["research"] == 2 and counts["fear"] == 1 and counts["change"] == 0
    assert counts["satisfaction"] == 0  # team B is not in team A's dashboard
    assert figures.unknown_stage == 1
    assert [p.phase for p in figures.phases] == ["needs", "options", "decision", "results"]
    assert [p.count for p in figures.phases] == [0, 2, 1, 0]


def test_days_from_meeting_to_memo(session, world, known):
    figures = dashboard(session, world.manager_a.user, today=TODAY).days_to_mou
    assert figures.measured == 4  # the West Co memo has no meeting date
    assert figures.average_days == pytest.approx((0 + 2 + 6 + 1) / 4, abs=0.05)
    assert [b.count for b in figures.buckets] == [1, 1, 1, 1, 0]


def test_first_time_completeness_and_most_missed_element_per_rep(session, world, known):
    reps = {r.rep.email: r for r in dashboard(session, world.manager_a.user, today=TODAY).reps}
    dana = reps[world.rep_a1.user.email]
    assert (dana.mous, dana.complete_first_time, dana.completeness_rate) == (3, 1, pytest.approx(0.333))
    assert dana.most_missed == "obstacles" and dana.most_missed_count == 2
    assert dana.average_days_to_mou == pytest.approx(2.7, abs=0.05)
    leo = reps[world.rep_a2.user.email]
    assert (leo.mous, leo.complete_first_time, leo.most_missed) == (2, 1, "goals")
    assert world.rep_b1.user.email not in reps


def test_next_steps_due_and_overdue(session, world, known):
    steps = dashboard(session, world.manager_a.user, today=TODAY).next_steps
    assert (steps.overdue, steps.due_soon) == (1, 1)
    assert [(i.overdue, i.next_step_due) for i in steps.items] == [
        (True, TODAY - timedelta(days=1)),
        (False, TODAY + timedelta(days=3)),
    ]


def test_overdue_next_steps_are_the_ones_the_reminders_chase(session, world, known):
    """Past due is not enough: the memo reached the customer, they have not replied, nothing newer."""
    rep, past = world.rep_a2.user, TODAY - timedelta(days=5)
    insert_mou(session, rep, customer_email="q@queued.example", status="held", next_step_due=past)
    insert_mou(session, rep, customer_email="r@replied.example", status="sent", next_step_due=past,
               reply_status="confirmed")  # fmt: skip
    insert_mou(session, rep, customer_email="o@old.example", status="logged", next_step_due=past)
    insert_mou(session, rep, customer_email="O@old.example", status="sent", created_at=T0 + timedelta(days=3))
    counted = insert_mou(session, rep, customer_email="l@logged.example", status="logged", next_step_due=past)
    session.commit()
    steps = dashboard(session, world.manager_a.user, today=TODAY).next_steps
    assert steps.overdue == 2
    overdue = {i.mou_id for i in steps.items if i.overdue}
    assert counted.id in overdue and len(overdue) == 2
    assert all(i.next_step_due >= TODAY for i in steps.items if not i.overdue)


def test_rep_and_admin_scopes(session, world, known):
    assert dashboard(session, world.rep_a2.user, today=TODAY).total_mous == 2
    admin = dashboard(session, world.admin.user, today=TODAY)
    assert admin.total_mous == 6 and stage_map(admin)["satisfaction"] == 1


def test_dashboard_api(client, world, known):
    body = client.get("/api/dashboard", headers=world.manager_a.headers).json()
    assert body["total_mous"] == 5 and len(body["phases"]) == 4
    assert date.fromisoformat(body["today"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Northwind", "Northwind"),
        ("a=b", "a=b"),
        (None, ""),
        (42, "42"),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_csv_export_neutralises_formulas_and_keeps_scope(client, world, session):
    insert_mou(session, world.rep_a1.user, customer_name="=cmd|' /C calc'!A0", company="+Evil",
               subject="@risk", customer_email="x@a.example")  # fmt: skip
    insert_mou(session, world.rep_b1.user, customer_name="Other team", customer_email="y@b.example")
    session.commit()
    for path in ("/api/mous.csv", "/api/queue/export.csv"):
        response = client.get(path, headers=world.manager_a.headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert len(rows) == 1
        assert rows[0]["customer_name"] == "'=cmd|' /C calc'!A0"
        assert rows[0]["company"] == "'+Evil" and rows[0]["subject"] == "'@risk"
        assert rows[0]["rep_email"] == world.rep_a1.user.email


def test_csv_export_follows_filters_and_pages(client, world, session, monkeypatch):
    monkeypatch.setattr("app.review.export.MAX_LIMIT", 3)
    for i in range(8):
        insert_mou(session, world.rep_a1.user, status="held" if i % 2 else "queued", customer_name=f"C{i}")
    session.commit()
    response = client.get("/api/mous.csv", params={"status": "held"}, headers=world.manager_a.headers)
    names = [r["customer_name"] for r in csv.DictReader(io.StringIO(response.text))]
    assert sorted(names) == ["C1", "C3", "C5", "C7"]
