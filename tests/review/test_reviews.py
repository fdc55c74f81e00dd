"""Reviews: verdicts, the coaching email through the outbox, the audit trail, and the memo's timeline."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from sqlmodel import select

from app.models import AuditLog, CustomerReply, Delivery, InboundMessage, Mou, Review
from tests.api.helpers import T0, insert_mou


@pytest.fixture
def mou(session, world):
    m = insert_mou(session, world.rep_a1.user, customer_name="Jordan <b>Alvarez</b>")
    session.commit()
    return m


def review(client, who, mou_id, verdict, comment=""):
    return client.post(
        f"/api/mous/{mou_id}/reviews", json={"verdict": verdict, "comment": comment}, headers=who.headers
    )


@pytest.mark.parametrize("verdict", ["coach", "revise"])
def test_coaching_comment_is_emailed_to_the_rep(client, world, session, mou, verdict):
    response = review(client, world.manager_a, mou.id, verdict, "Ask who signs off before the June budget.")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["verdict"] == verdict and body["reviewer"]["email"] == world.manager_a.user.email
    session.expire_all()
    stored = session.get(Mou, mou.id)
    assert stored.review == verdict and stored.reviewed is True
    email = session.exec(select(Delivery).where(Delivery.kind == "coaching")).one()
    assert email.recipients == [world.rep_a1.user.email]
    assert email.status == "queued" and email.mou_id == mou.id
    message = message_from_bytes(email.raw, policy=default)
    assert "Ask who signs off before the June budget." in message.get_body(("plain",)).get_content()
    audit = session.exec(select(AuditLog).where(AuditLog.action == "mou.review")).one()
    assert audit.actor_id == world.manager_a.user.id and audit.detail["verdict"] == verdict


def test_approval_without_comment_sends_nothing(client, world, session, mou):
    assert review(client, world.manager_a, mou.id, "approved").status_code == 201
    assert session.exec(select(Delivery)).all() == []
    session.expire_all()
    assert session.get(Mou, mou.id).review == "approved"


@pytest.mark.parametrize(
    "body",
    [
        {"verdict": "coach", "comment": ""},
        {"verdict": "revise", "comment": "   "},
        {"verdict": "lgtm", "comment": "ok"},
        {"verdict": "approved", "comment": "x" * 5001},
        {"verdict": "approved", "comment": "a\x00b"},
        {"verdict": "approved", "extra": 1},
        {},
    ],
)
def test_bad_reviews_are_a_clear_422_and_change_nothing(client, world, session, mou, body):
    response = client.post(f"/api/mous/{mou.id}/reviews", json=body, headers=world.manager_a.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"]
    assert session.exec(select(Review)).all() == [] and session.exec(select(Delivery)).all() == []
    session.expire_all()
    assert session.get(Mou, mou.id).reviewed is False


def test_reviewed_memo_moves_behind_unreviewed_ones(client, world, session, mou):
    later = insert_mou(session, world.rep_a2.user, created_at=T0 + timedelta(days=3))
    session.commit()
    review(client, world.manager_a, mou.id, "approved")
    items = client.get("/api/mous", headers=world.manager_a.headers).json()["items"]
    assert [i["id"] for i in items] == [later.id, mou.id]


def test_detail_has_reviews_and_timeline_in_time_order(client, world, session, mou):
    inbound = InboundMessage(
        provider="mime",
        content_hash="0" * 64,
        dedupe_key="k1",
        subject="Draft for Jordan",
        mou_id=mou.id,
        received_at=T0 - timedelta(minutes=5),
    )
    session.add(inbound)
    session.add(
        CustomerReply(
            mou_id=mou.id,
            classification="confirmed",
            from_addr="jo@northwind.example",
            created_at=T0 + timedelta(days=2),
        )
    )
    session.add(
        Delivery(
            mou_id=mou.id,
            kind="customer_mou",
            message_id="<m1@x>",
            from_addr="a@x",
            recipients=["jo@northwind.example"],
            raw=b"",
            status="bounced",
            created_at=T0 + timedelta(minutes=1),
            next_attempt_at=T0 + timedelta(hours=1),
        )
    )
    session.commit()
    review(client, world.manager_a, mou.id, "coach", "Good start.")
    body = client.get(f"/api/mous/{mou.id}", headers=world.rep_a1.headers).json()
    assert [r["comment"] for r in body["reviews"]] == ["Good start."]
    kinds = [e["kind"] for e in body["timeline"]]
    assert kinds[:5] == ["inbound", "created", "delivery_queued", "delivery_bounced", "customer_reply"]
    assert "review" in kinds[5:]
    times = [e["at"] for e in body["timeline"]]
    assert len(times) == len(kinds)
    assert body["customer_name"] == "Jordan <b>Alvarez</b>"  # data as stored; pages escape it
