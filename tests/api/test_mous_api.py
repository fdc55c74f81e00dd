"""POST /api/mous, /api/check, /api/preview and sending: the checklist gates what reaches a customer."""

from __future__ import annotations

import json

import pytest
from sqlmodel import func, select

from app.models import AuditLog, Delivery, Mou
from tests.api.helpers import COMPLETE, FREE_TEXT, INCOMPLETE


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_create_from_fields_stores_a_checked_draft(client, world, session):
    response = client.post("/api/mous", json=COMPLETE, headers=world.rep_a1.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "draft"
    assert body["complete"] is True
    assert body["checklist"]["missing"] == []
    assert body["rep"]["email"] == world.rep_a1.user.email
    assert body["stage"] == "research"
    mou = session.get(Mou, body["id"])
    assert mou.team_id == world.team_a.id
    assert mou.stage_rank == 2
    assert mou.missing_mask == 0
    assert len(mou.reply_token) == 16
    assert mou.source == "api"
    assert count(session, Delivery) == 0


def test_create_from_free_text_runs_the_memo_checker(client, world, session):
    response = client.post("/api/mous", json=FREE_TEXT, headers=world.rep_a1.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["complete"] is True, body["checklist"]
    assert body["body"].startswith("Hi Jordan")
    assert body["situation"]  # filled from the checker's evidence, for templates and lists


def test_incomplete_draft_lists_what_is_missing(client, world, session):
    response = client.post("/api/mous", json=INCOMPLETE, headers=world.rep_a1.headers)
    assert response.status_code == 201
    body = response.json()
    assert body["complete"] is False
    assert body["checklist"]["missing"] == ["obstacles", "complications"]
    assert body["checklist"]["elements"]["obstacles"]["hint"]
    mou = session.get(Mou, body["id"])
    assert mou.missing_mask == 4 | 8


def test_send_complete_queues_one_delivery_in_the_same_transaction(client, world, session):
    response = client.post("/api/mous", json={**COMPLETE, "send": True}, headers=world.rep_a1.headers)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "queued"
    deliveries = session.exec(select(Delivery)).all()
    assert len(deliveries) == 1
    assert deliveries[0].kind == "customer_mou"
    assert deliveries[0].status == "queued"
    assert deliveries[0].mou_id == response.json()["id"]
    assert COMPLETE["customer_email"] in deliveries[0].recipients
    assert world.manager_a.user.email in deliveries[0].recipients  # the manager's Bcc copy
    actions = session.exec(select(AuditLog.action).where(AuditLog.object_id == response.json()["id"])).all()
    assert set(actions) == {"mou.create", "mou.send"}


def test_send_incomplete_is_422_with_checklist_and_nothing_sent(client, world, session):
    response = client.post("/api/mous", json={**INCOMPLETE, "send": True}, headers=world.rep_a1.headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "elements_missing"
    assert "obstacles" in error["message"] and "complications" in error["message"]
    assert error["details"]["missing"] == ["obstacles", "complications"]
    assert error["details"]["checklist"]["elements"]["goals"]["present"] is True
    assert count(session, Delivery) == 0
    held = session.get(Mou, error["details"]["mou_id"])
    assert held.status == "held"  # kept so the manager sees the incomplete draft in the queue


def test_send_later_then_not_twice(client, world, session):
    created = client.post("/api/mous", json=COMPLETE, headers=world.rep_a1.headers).json()
    first = client.post(f"/api/mous/{created['id']}/send", headers=world.rep_a1.headers)
    assert first.status_code == 200 and first.json()["status"] == "queued"
    second = client.post(f"/api/mous/{created['id']}/send", headers=world.rep_a1.headers)
    assert second.status_code == 409
    assert count(session, Delivery) == 1


def test_send_without_customer_address_is_refused(client, world, session):
    data = {**COMPLETE, "customer_email": ""}
    response = client.post("/api/mous", json={**data, "send": True}, headers=world.rep_a1.headers)
    assert response.status_code == 422
    assert "customer" in response.json()["error"]["message"]
    assert count(session, Mou) == 0 and count(session, Delivery) == 0


@pytest.mark.parametrize("field", ["subject", "customer_name", "company", "customer_email"])
@pytest.mark.parametrize(
    "evil", ["Hi\r\nBcc: x@evil.test", "Hi\nBcc: x@evil.test", "a\x00b", "a\u2028b", "a\x85b", "a\x0bb"]
)
def test_header_injection_is_refused_before_storing(client, world, session, field, evil):
    response = client.post(
        "/api/mous", json={**COMPLETE, field: evil, "send": True}, headers=world.rep_a1.headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "header_injection"
    assert field in response.json()["error"]["message"]
    assert count(session, Mou) == 0 and count(session, Delivery) == 0


@pytest.mark.parametrize(
    "address",
    ["not-an-address", "bob@example.org <alice@evil.test>", "Bob <bob@example.org>", "a@b@c.example", "x@"],
)
def test_customer_email_is_validated_strictly(client, world, session, address):
    response = client.post(
        "/api/mous", json={**COMPLETE, "customer_email": address}, headers=world.rep_a1.headers
    )
    assert response.status_code == 422
    assert "customer_email" in response.json()["error"]["message"]
    assert count(session, Mou) == 0


@pytest.mark.parametrize("field", ["rep_id", "team_id", "status", "review", "reply_token"])
def test_owner_team_and_status_cannot_come_from_the_client(client, world, session, field):
    response = client.post("/api/mous", json={**COMPLETE, field: 1}, headers=world.rep_a1.headers)
    assert response.status_code == 422
    assert field in response.json()["error"]["message"]
    assert count(session, Mou) == 0


@pytest.mark.parametrize(
    "patch",
    [
        {"situation": "x" * 20_001},
        {"subject": "s" * 301},
        {"stage": "bargaining"},
        {"template": "../../etc/passwd"},
        {"template": "no_such_template"},
        {"meeting_date": "yesterday"},
        {"format": "pdf"},
        {"goals": "a\x00b"},
        {"body": "lone \ud800 surrogate"},
    ],
)
def test_hostile_input_is_a_clear_422(client, world, session, patch):
    content = json.dumps({**COMPLETE, **patch})  # ASCII-escaped, so a lone surrogate travels as \ud800
    headers = {**world.rep_a1.headers, "Content-Type": "application/json"}
    response = client.post("/api/mous", content=content, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"]
    assert count(session, Mou) == 0


def test_deep_json_is_not_a_500(client, world):
    body = '{"situation": ' + "[" * 5000 + "]" * 5000 + "}"
    response = client.post(
        "/api/mous", content=body, headers={**world.rep_a1.headers, "Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422)


def test_check_returns_the_checklist_and_stores_nothing(client, world, session):
    response = client.post("/api/check", json=INCOMPLETE, headers=world.rep_a1.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["complete"] is False
    assert body["missing"] == ["obstacles", "complications"]
    assert set(body["elements"]) == {"situation", "goals", "obstacles", "complications", "next_step"}
    assert count(session, Mou) == 0


def test_check_needs_auth(client):
    assert client.post("/api/check", json=INCOMPLETE).status_code == 401


def test_preview_of_a_draft_renders_and_escapes(client, world, session):
    data = {**COMPLETE, "situation": COMPLETE["situation"] + " <script>alert(1)</script> {{ 7*7 }}"}
    response = client.post("/api/preview", json=data, headers=world.rep_a1.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["subject"]
    assert "<script>alert(1)</script>" not in body["html"]
    assert "&lt;script&gt;" in body["html"]
    assert "{{ 7*7 }}" in body["text"] and "49" not in body["text"]
    assert count(session, Mou) == 0


def test_preview_of_a_stored_memo(client, world):
    created = client.post("/api/mous", json=COMPLETE, headers=world.rep_a1.headers).json()
    response = client.get(f"/api/mous/{created['id']}/preview", headers=world.rep_a1.headers)
    assert response.status_code == 200
    assert "Northwind" in response.json()["html"] or "Jordan" in response.json()["html"]
    assert response.json()["text"].strip()
