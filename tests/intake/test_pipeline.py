"""What becomes of each email: MOUs sent, held or logged; automatic mail recorded and never answered."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.intake.submit import ELEMENT_FIELDS, MouInput, create_mou, missing_elements
from app.models import AuditLog, Delivery, InboundMessage, Mou, missing_mask
from tests.intake.conftest import (
    CLOUDMAILIN_AUTH,
    PAYLOADS,
    basic,
    load_http,
    mous,
    process,
)

EXTRA = PAYLOADS / "extra"
RAW = {"Content-Type": "message/rfc822", "Authorization": basic(*CLOUDMAILIN_AUTH)}
ENVELOPE = {"X-Envelope-To": "mou@inbound.mou-assistant.example"}


def post_eml(client, path, envelope_from: str = "", **headers: str):
    extra = {**RAW, **ENVELOPE, **headers}
    if envelope_from:
        extra["X-Envelope-From"] = envelope_from
    response = client.post("/webhooks/inbound/mime", content=path.read_bytes(), headers=extra)
    assert response.status_code == 200, response.text
    return response.json()


def deliveries(session) -> list[Delivery]:
    session.expire_all()
    return list(session.exec(select(Delivery).order_by(Delivery.id)).all())


def only(session, settings) -> InboundMessage:
    rows = process(session, settings)
    assert len(rows) == 1
    return rows[0]


def test_complete_draft_is_queued_to_the_customer(client, session, settings, reps):
    post_eml(client, EXTRA / "draft_complete.eml")
    row = only(session, settings)
    assert row.outcome == "mou_queued", row.detail
    [mou] = mous(session)
    assert (mou.status, mou.mode, mou.source, mou.complete) == ("queued", "draft", "email", True)
    assert mou.customer_email == "priya.raman@brightwater.example"
    assert mou.customer_name == "Priya Raman"
    assert mou.rep_id == reps.rep_a1.user.id and mou.inbound_id == row.id
    assert not mou.body.lstrip().lower().startswith("to:")
    [delivery] = deliveries(session)
    assert delivery.kind == "customer_mou" and "priya.raman@brightwater.example" in delivery.recipients


def test_incomplete_draft_is_held_and_the_rep_is_told(client, session, settings, reps):
    post_eml(client, EXTRA / "draft_incomplete.eml")
    row = only(session, settings)
    assert row.outcome == "mou_held", row.detail
    [mou] = mous(session)
    assert mou.status == "held" and not mou.complete
    [delivery] = deliveries(session)
    assert delivery.kind == "rep_feedback"
    assert delivery.recipients == [reps.rep_a1.user.email]
    assert "priya" not in " ".join(delivery.recipients)


def test_an_emailed_memo_is_stored_as_the_same_memo_typed_into_the_form(client, session, settings, reps):
    post_eml(client, EXTRA / "draft_incomplete.eml")
    only(session, settings)
    [emailed] = mous(session)
    typed = create_mou(
        session,
        reps.rep_a1.user,
        MouInput(body=emailed.body, format=emailed.body_format, subject=emailed.subject),
    )
    shared = (
        "checklist",
        "complete",
        "missing_mask",
        "stage",
        "stage_rank",
        "next_step_due",
        *ELEMENT_FIELDS,
    )
    assert {f: getattr(emailed, f) for f in shared} == {f: getattr(typed, f) for f in shared}
    assert emailed.missing_mask == missing_mask(missing_elements(emailed.checklist, include_recommended=True))
    assert len(emailed.reply_token) == len(typed.reply_token) == 16
    [audit] = session.exec(select(AuditLog).where(AuditLog.object_id == emailed.id)).all()
    assert (audit.action, audit.actor_id) == ("mou.create", reps.rep_a1.user.id)
    assert audit.detail == {"source": "email", "complete": False}


def test_bcc_copy_is_logged_never_sent_to_the_customer(client, session, settings, frozen, reps):
    frozen(1741801213)
    rec = load_http("sendgrid_raw_1_bcc.http")
    assert client.post(rec.path, content=rec.body, headers=rec.headers).status_code == 200
    row = only(session, settings)
    assert row.outcome == "mou_logged", row.detail
    [mou] = mous(session)
    assert (mou.mode, mou.status) == ("bcc", "logged")
    assert mou.customer_email == "marco.ruiz@harborline.example"
    assert all(d.kind != "customer_mou" for d in deliveries(session))


@pytest.mark.parametrize(
    ("name", "ts", "customer"),
    [
        ("sendgrid_parsed_1.http", 1741711626, "marco.ruiz@harborline.example"),
        ("sendgrid_parsed_3_attachment.http", 1741874732, "hannah.calder@calderfoods.example"),
        ("mailgun_2_parsed_attachment.http", 1741874732, "hannah.calder@calderfoods.example"),
        ("ses_sns_1_base64_sv2.http", 1741711626, "marco.ruiz@harborline.example"),
        ("standardwebhooks_1_valid.http", 1741711626, "marco.ruiz@harborline.example"),
    ],
)
def test_forwarded_memos_are_unwrapped_and_logged(
    client, session, settings, frozen, reps, name, ts, customer
):
    frozen(ts)
    rec = load_http(name)
    path = "/webhooks/inbound/mime" if rec.path.endswith("/relay") else rec.path
    assert client.post(path, content=rec.body, headers=rec.headers).status_code == 200
    row = only(session, settings)
    assert row.outcome == "mou_logged", row.detail
    [mou] = mous(session)
    assert mou.customer_email == customer
    # The inner memo reached the checker (the cover note alone states none of the elements).
    assert mou.checklist["elements"]["situation"]["present"], mou.checklist
    assert all(d.kind != "customer_mou" for d in deliveries(session))


def test_plus_address_tag_is_kept(client, session, settings, frozen, reps):
    frozen(1741874732)
    rec = load_http("sendgrid_parsed_3_attachment.http")
    client.post(rec.path, content=rec.body, headers=rec.headers)
    row = only(session, settings)
    assert row.tag == "acct-4821"


@pytest.mark.parametrize(
    ("name", "customer"),
    [
        ("outlook_forward_de_latin1_qp.eml", "juergen.mueller@kaltwasser.example"),
        ("outlook_forward_fr.eml", "elodie.fabre@fromagerie-fabre.example"),
        ("forward_as_attachment.eml", "priya.raman@brightwater.example"),
    ],
)
def test_outlook_and_attached_forwards(client, session, settings, reps, name, customer):
    post_eml(client, EXTRA / name)
    row = only(session, settings)
    assert row.outcome == "mou_logged", row.detail
    [mou] = mous(session)
    assert mou.customer_email == customer
    assert mou.mode == "bcc"
    assert "�" not in mou.body
    assert len(mou.body) > 300  # the forwarded memo, not only the cover note


def test_html_only_draft_with_to_line(client, session, settings, reps):
    post_eml(client, EXTRA / "html_only_draft.eml")
    row = only(session, settings)
    assert row.outcome == "mou_queued", row.detail
    assert mous(session)[0].customer_email == "priya.raman@brightwater.example"


def test_german_subject_and_latin1_body_are_decoded(client, session, settings, reps):
    post_eml(client, EXTRA / "outlook_forward_de_latin1_qp.eml")
    row = only(session, settings)
    assert row.subject == "WG: Gesprächsnotiz Kältetechnik"
    assert "Müller" in mous(session)[0].body


@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("raw_mime_6_autoreply_exchange.eml", "auto_reply"),
        ("extra/legacy_autoreply.eml", "auto_reply"),
        ("extra/outofoffice_null_sender.eml", "auto_reply"),
        ("extra/loop_own_message.eml", "loop"),
        ("raw_mime_8_dsn_bounce.eml", "bounce"),
    ],
)
def test_automatic_mail_is_recorded_and_never_answered(client, session, settings, reps, name, outcome):
    post_eml(client, PAYLOADS / name)
    row = only(session, settings)
    assert row.outcome == outcome, row.detail
    assert row.status == "processed"
    assert mous(session) == []
    assert deliveries(session) == []


def test_dsn_marks_our_delivery_bounced(client, session, settings, reps):
    ours = Delivery(
        kind="rep_feedback",
        message_id="<summary.7f3e1d.harborline@mou-assistant.example>",
        from_addr="assistant@mou-assistant.example",
        recipients=["dana.whitfeld@northwind-analytics.example"],
        raw=b"x",
        status="sent",
    )
    session.add(ours)
    session.commit()
    post_eml(client, PAYLOADS / "raw_mime_8_dsn_bounce.eml")
    row = only(session, settings)
    assert row.outcome == "bounce"
    assert "dana.whitfeld@northwind-analytics.example" in row.detail
    session.refresh(ours)
    assert ours.status == "bounced"
    assert "dana.whitfeld@northwind-analytics.example" in ours.last_error and "5.1.1" in ours.last_error
    assert [d.id for d in deliveries(session)] == [ours.id]


@pytest.mark.parametrize("name", ["unknown_sender.eml", "spoofed_from_cve_2023_27043.eml"])
def test_unknown_or_ambiguous_sender_is_rejected_silently(client, session, settings, reps, name):
    post_eml(client, EXTRA / name)
    row = only(session, settings)
    assert row.outcome == "rejected_unknown_sender", row.detail
    assert mous(session) == [] and deliveries(session) == []


def test_mail_for_another_address_is_not_processed(client, session, settings, reps):
    post_eml(client, EXTRA / "draft_complete.eml", **{"X-Envelope-To": "ceo@inbound.mou-assistant.example"})
    assert only(session, settings).outcome == "rejected_recipient"
    assert mous(session) == []


def test_customer_reply_to_token_address_is_threaded_not_a_new_mou(client, session, settings, reps):
    post_eml(client, EXTRA / "draft_complete.eml")
    process(session, settings)
    mou = mous(session)[0]
    reply = (
        b"From: Priya Raman <priya.raman@brightwater.example>\r\n"
        b"To: mou+" + mou.reply_token.encode() + b"@inbound.mou-assistant.example\r\n"
        b"Subject: Re: MOU for Brightwater\r\nMessage-ID: <reply-1@brightwater.example>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nLooks right, thanks. Export on its way.\r\n"
    )
    headers = {**RAW, "X-Envelope-To": f"mou+{mou.reply_token}@inbound.mou-assistant.example"}
    assert client.post("/webhooks/inbound/mime", content=reply, headers=headers).status_code == 200
    rows = process(session, settings)
    assert rows[-1].tag == mou.reply_token
    assert rows[-1].mou_id == mou.id
    assert not rows[-1].outcome.startswith("mou_"), rows[-1].detail
    assert len(mous(session)) == 1


def test_admin_inbox_lists_outcomes_and_reprocesses(client, session, settings, reps):
    post_eml(client, EXTRA / "unknown_sender.eml")
    post_eml(client, EXTRA / "legacy_autoreply.eml")
    process(session, settings)
    admin = reps.admin.headers
    assert client.get("/api/inbound", headers=reps.rep_a1.headers).status_code == 403
    page = client.get("/api/inbound?limit=1", headers=admin).json()
    assert [i["outcome"] for i in page["items"]] == ["auto_reply"]
    rest = client.get(f"/api/inbound?limit=1&cursor={page['next_cursor']}", headers=admin).json()
    assert [i["outcome"] for i in rest["items"]] == ["rejected_unknown_sender"]
    assert rest["next_cursor"] is None
    # The admin registers Mallory's address, then reprocesses: now an MOU is made.
    first = rest["items"][0]["id"]
    session.add(
        __import__("app.models", fromlist=["UserAddress"]).UserAddress(
            user_id=reps.rep_b1.user.id, email="mallory@evil.example"
        )
    )
    session.commit()
    again = client.post(f"/api/inbound/{first}/reprocess", headers=admin)
    assert again.status_code == 200, again.text
    assert again.json()["outcome"] in ("mou_queued", "mou_held")
    assert client.post("/api/inbound/999999/reprocess", headers=admin).status_code == 404
    assert client.post(f"/api/inbound/{2**63}/reprocess", headers=admin).status_code in (404, 422)


def test_failed_processing_is_recorded_not_lost(client, session, settings, reps, monkeypatch):
    from app.intake import service

    def boom(*args, **kwargs):
        raise RuntimeError("checker down")

    monkeypatch.setattr(service, "check_free_text", boom)
    post_eml(client, EXTRA / "draft_complete.eml")
    row = only(session, settings)
    assert (row.status, row.outcome) == ("failed", "error")
    assert "checker down" in row.detail
    assert mous(session) == []
    stored = session.exec(select(Mou)).all()
    assert stored == []
