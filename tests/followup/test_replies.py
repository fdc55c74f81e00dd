"""Threading customer replies to their MOU through the intake pipeline, classification and forwarding."""

from __future__ import annotations

from sqlmodel import Session, select

from app.intake import service as intake
from app.intake.inbound import make_inbound
from app.models import CustomerReply, InboundMessage, Mou
from tests.followup.conftest import deliveries, reply_email, send_mou

INBOUND = "mou@inbound.mou-assistant.example"


def arrive(session: Session, settings, msg, envelope_to: list[str] | None = None) -> InboundMessage:
    """An email reaches the inbox through the raw-MIME path and the worker processes it."""
    raw = msg.as_bytes()
    inbound = make_inbound(
        raw,
        provider="smtp",
        envelope_from="jordan.alvarez@northwind.example",
        envelope_to=envelope_to or [INBOUND],
    )
    stored = intake.store_inbound(session, inbound, settings)
    session.commit()
    intake.process_pending(session, settings)
    session.commit()
    session.expire_all()
    return session.get(InboundMessage, stored.message.id)


def replies(session: Session, mou: Mou) -> list[CustomerReply]:
    session.expire_all()
    return list(
        session.exec(select(CustomerReply).where(CustomerReply.mou_id == mou.id).order_by(CustomerReply.id))
    )


def test_plus_address_token_threads_and_forwards_to_the_absent_rep(session, session_factory, settings, world):
    mou, _ = send_mou(session, session_factory, settings, world.rep_a1.user)
    to = f"mou+{mou.reply_token}@inbound.mou-assistant.example"
    row = arrive(
        session, settings, reply_email(to=to, subject="quick note", body="Looks good, confirmed."), [to]
    )
    assert (row.outcome, row.mou_id) == ("customer_reply", mou.id)
    (reply,) = replies(session, mou)
    assert (reply.classification, reply.matched_by) == ("confirmed", "token")
    assert session.get(Mou, mou.id).reply_status == "confirmed"
    (forward,) = deliveries(session, "reply_forward")
    assert forward.recipients == [world.rep_a1.user.email]
    assert b"Reply-To: Jordan Alvarez <jordan.alvarez@northwind.example>" in forward.raw


def test_in_reply_to_threads_to_the_sent_message_and_rep_on_cc_gets_no_copy(
    session, session_factory, settings, world
):
    mou, delivery = send_mou(session, session_factory, settings, world.rep_a1.user)
    other, _ = send_mou(
        session, session_factory, settings, world.rep_a2.user, customer_email="kim@other.example"
    )
    msg = reply_email(
        to=INBOUND,
        cc=world.rep_a1.user.email,
        subject="Re: something else",
        body="One correction: we have 14 depots, not 12.",
        in_reply_to=delivery.message_id,
    )
    row = arrive(session, settings, msg)
    assert row.mou_id == mou.id
    (reply,) = replies(session, mou)
    assert (reply.classification, reply.matched_by) == ("corrected", "in_reply_to")
    assert reply.correction == "we have 14 depots, not 12."
    assert replies(session, other) == []
    assert deliveries(session, "reply_forward") == []


def test_rewritten_message_id_falls_back_to_references_chain(session, session_factory, settings, world):
    mou, delivery = send_mou(session, session_factory, settings, world.rep_a1.user)
    first = reply_email(
        to=INBOUND, subject="Re: x", body="Who else joins the call?", in_reply_to=delivery.message_id
    )
    arrive(session, settings, first)
    # The provider rewrote our id to one we never recorded; the chain still names the earlier reply.
    rewritten = "<0100018e-rewritten@email.amazonses.com>"
    second = reply_email(
        to=INBOUND,
        subject="Re: x",
        body="Yes, all correct.",
        in_reply_to=rewritten,
        references=f"{rewritten} {first['Message-ID']}",
    )
    row = arrive(session, settings, second)
    assert row.mou_id == mou.id
    assert [r.matched_by for r in replies(session, mou)] == ["in_reply_to", "references"]
    assert session.get(Mou, mou.id).reply_status == "confirmed"


def test_subject_from_the_customer_address_is_the_last_resort(session, session_factory, settings, world):
    mou, delivery = send_mou(session, session_factory, settings, world.rep_a1.user)
    msg = reply_email(to=INBOUND, subject=f"RE: AW: {delivery.subject}", body="Spot on.")
    assert arrive(session, settings, msg).mou_id == mou.id
    assert replies(session, mou)[0].matched_by == "subject"
    stranger = reply_email(
        sender="eve@elsewhere.example", to=INBOUND, subject=f"Re: {delivery.subject}", body="ok"
    )
    assert arrive(session, settings, stranger).outcome == "rejected_unknown_sender"


def test_out_of_office_is_recorded_but_never_counts(session, session_factory, settings, world):
    mou, delivery = send_mou(session, session_factory, settings, world.rep_a1.user)
    ooo = reply_email(
        to=INBOUND,
        subject="Re: memo",
        in_reply_to=delivery.message_id,
        body="I am out of the office until Monday. Your message is confirmed received.",
    )
    arrive(session, settings, ooo)
    assert [r.classification for r in replies(session, mou)] == ["auto_reply"]
    assert session.get(Mou, mou.id).reply_status == "none"
    marked = reply_email(
        to=INBOUND,
        subject="Automatic reply: memo",
        in_reply_to=delivery.message_id,
        body="Confirmed.",
        extra={"Auto-Submitted": "auto-replied"},
    )
    assert arrive(session, settings, marked).outcome == "auto_reply"
    assert session.get(Mou, mou.id).reply_status == "none"


def test_latest_confirmation_or_correction_wins_and_questions_do_not_undo_it(
    session, session_factory, settings, world
):
    mou, delivery = send_mou(session, session_factory, settings, world.rep_a1.user)
    for body, status in (
        ("Can we talk Friday?", "other"),
        ("Confirmed.", "confirmed"),
        ("Actually the budget closes in September, not June.", "corrected"),
        ("Thanks!", "corrected"),
    ):
        arrive(
            session,
            settings,
            reply_email(to=INBOUND, subject="Re", body=body, in_reply_to=delivery.message_id),
        )
        assert session.get(Mou, mou.id).reply_status == status


def test_reprocessing_does_not_count_a_reply_twice(session, session_factory, settings, world):
    mou, delivery = send_mou(session, session_factory, settings, world.rep_a1.user)
    row = arrive(
        session,
        settings,
        reply_email(to=INBOUND, subject="Re", body="Confirmed.", in_reply_to=delivery.message_id),
    )
    row.mou_id = None
    session.add(row)
    session.commit()
    intake.reprocess(session, row.id, settings)
    session.commit()
    assert len(replies(session, mou)) == 1


def test_the_rep_writing_in_the_thread_is_not_a_customer_reply(session, session_factory, settings, world):
    mou, delivery = send_mou(session, session_factory, settings, world.rep_a1.user)
    msg = reply_email(
        sender=world.rep_a1.user.email,
        to=f"jordan.alvarez@northwind.example, {INBOUND}",
        subject="Re: memo",
        body="Thanks Jordan!",
        in_reply_to=delivery.message_id,
    )
    row = arrive(session, settings, msg)
    assert row.outcome != "customer_reply"
    assert replies(session, mou) == []
