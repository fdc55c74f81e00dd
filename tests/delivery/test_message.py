"""Message building: headers, encoding, envelope-only copies, and refusal of header injection (422)."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from sqlmodel import select

from app.compose import RenderedEmail
from app.delivery import service
from app.delivery.errors import HeaderInjection, InvalidAddress
from app.delivery.message import Envelope, Party, build_message, parse_address
from app.delivery.senders import FileSender
from app.models import Delivery
from tests.delivery.conftest import make_mou

RENDERED = RenderedEmail(subject="Summary — Müller AG", html="<p>Grüße</p>", text="Grüße\n")
BREAKERS = ["\r", "\n", "\r\nBcc: evil@attacker.example", "\x00", "\u2028", "\x85", "\x0b", "\x0c"]


def envelope(**overrides) -> Envelope:
    values = {
        "sender": Party("Dana Whitfield via MOU Assistant", "assistant@mou-assistant.example"),
        "to": [Party("Jörg Müller", "joerg@northwind.example")],
        "cc": [Party("Dana Whitfield", "dana@acme-sales.example")],
        "reply_to": [Party("Dana Whitfield", "dana@acme-sales.example")],
        "hidden": [Party("María Núñez", "maria@acme-sales.example")],
        "message_id": "<abc123@mou-assistant.example>",
        "envelope_from": "mou@inbound.mou-assistant.example",
        "loop_marker": "mou@inbound.mou-assistant.example",
    }
    values.update(overrides)
    return Envelope(**values)


def test_message_parses_strictly_with_encoded_names_and_hidden_managers():
    out = build_message(RENDERED, envelope())
    raw = out.as_bytes()
    raw.decode("ascii")
    msg = message_from_bytes(raw, policy=policy.strict)
    assert msg["To"].addresses[0].display_name == "Jörg Müller"
    assert msg["Subject"] == "Summary — Müller AG"
    assert msg["Message-ID"] == "<abc123@mou-assistant.example>" and msg["Date"]
    assert b"maria@" not in raw and msg["Bcc"] is None
    assert out.recipients == [
        "joerg@northwind.example",
        "dana@acme-sales.example",
        "maria@acme-sales.example",
    ]
    assert msg["Auto-Submitted"] is None and msg["X-MOU-Assistant-Loop"]
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg.get_body(("plain",)).get_content().strip() == "Grüße"


def test_internal_notices_are_marked_auto_generated():
    msg = build_message(RENDERED, envelope(internal=True)).message
    assert msg["Auto-Submitted"] == "auto-generated" and msg["X-Auto-Response-Suppress"] == "All"


@pytest.mark.parametrize("breaker", BREAKERS)
@pytest.mark.parametrize("where", ["name", "subject", "to_name"])
def test_line_breaks_and_controls_in_any_header_value_are_refused(breaker, where):
    value = f"Acme{breaker}Corp"
    with pytest.raises(HeaderInjection) as info:
        if where == "subject":
            build_message(RenderedEmail(value, "<p>x</p>", "x"), envelope())
        elif where == "name":
            build_message(RENDERED, envelope(sender=Party(value, "assistant@mou-assistant.example")))
        else:
            build_message(RENDERED, envelope(to=[Party(value, "joerg@northwind.example")]))
    assert info.value.status == 422 and "line break or control character" in info.value.message


@pytest.mark.parametrize(
    ("address", "error"),
    [
        ("c@x.example\r\nRCPT TO:<evil@attacker.example>", HeaderInjection),
        ("bob@example.org <alice@evil.example>", InvalidAddress),
        ("alice@evil.example, bob@example.org", InvalidAddress),
        ('"a@b"@evil.example', InvalidAddress),
        ("no-at-sign", InvalidAddress),
    ],
)
def test_ambiguous_or_hostile_addresses_are_refused(address, error):
    with pytest.raises(error) as info:
        parse_address("customer email", address)
    assert info.value.status == 422


def test_injection_through_an_mou_field_stores_nothing(factory, org, dsettings):
    with factory() as session:
        mou = make_mou(session, org, 1, company="Acme\r\nBcc: evil@attacker.example")
        with pytest.raises(HeaderInjection) as info:
            service.enqueue_mou_delivery(session, mou, settings=dsettings)
        assert "company" in info.value.message
        assert session.exec(select(Delivery)).first() is None
        session.rollback()


def test_file_sender_writes_eml_and_envelope_atomically(tmp_path):
    out = build_message(RENDERED, envelope())
    FileSender(tmp_path / "outbox").send(out.envelope_from, out.recipients, out.as_bytes())
    files = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    assert len(files) == 2 and files[0].endswith(".eml") and files[1].endswith(".json")
    assert not [f for f in files if f.startswith(".tmp")]
    eml = (tmp_path / "outbox" / files[0]).read_bytes()
    assert message_from_bytes(eml, policy=policy.strict)["Message-ID"] == out.message_id


def test_notices_use_the_same_pipeline(factory, org, dsettings, smtp_server):
    from app.delivery.worker import run_once
    from app.models import Review

    with factory() as session:
        mou = make_mou(session, org, 2, obstacles="", message_id="<draft-1@acme-sales.example>")
        checklist = {
            "elements": {"situation": {"present": True}, "obstacles": {"present": False, "hint": "Ask why."}}
        }
        service.enqueue_rep_feedback(session, mou, checklist, settings=dsettings)
        review = Review(
            mou_id=mou.id, reviewer_id=org.managers[0].id, verdict="coach", comment="Ask about <budget>."
        )
        session.add(review)
        session.flush()
        service.enqueue_coaching(session, review, settings=dsettings)
        session.commit()
    assert run_once(factory, settings=dsettings) == 2
    feedback, coaching = (message_from_bytes(r.content, policy=policy.strict) for r in smtp_server.received)
    assert feedback["In-Reply-To"] == "<draft-1@acme-sales.example>"
    assert feedback["Auto-Submitted"] == "auto-generated"
    assert "Ask why." in feedback.get_body(("plain",)).get_content()
    assert coaching["Reply-To"].addresses[0].addr_spec == org.managers[0].email
    assert "&lt;budget&gt;" in coaching.get_body(("html",)).get_content()
