"""Inbound bytes live in their own table, are written and read whole (large ones streamed on SQLite),
are not copied to read a form, and the migration that moved them keeps every byte."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from app.db import create_scratch_database, drop_scratch_database, normalise_url
from app.intake import content, ingest, store
from app.intake.providers.forms import parse_form
from app.migrate import alembic_config
from app.models import InboundMessage
from tests.conftest import PG_SKIP, PG_URL

BOUNDARY = "xYzZY-form-boundary"


def _form(fields: list[tuple[str, bytes]]) -> bytes:
    parts = [
        b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
        % (BOUNDARY.encode(), name.encode(), value)
        for name, value in fields
    ]
    return b"".join(parts) + b"--%s--\r\n" % BOUNDARY.encode()


@pytest.mark.parametrize("size", [10, content.STREAM_BYTES + 12345])
def test_stored_request_reads_back_byte_for_byte(session, size):
    body = os.urandom(size)
    receipt = store.store_request(session, "sendgrid", ingest.Ingest(None, {}), bytearray(body))
    assert receipt.created
    assert content.load(session, receipt.id) == (content.REQUEST, body)
    # The message row holds no bytes: updating its status leaves them as they were.
    row = session.get(InboundMessage, receipt.id)
    row.status = "processed"
    session.add(row)
    session.flush()
    assert content.load(session, receipt.id) == (content.REQUEST, body)


def test_a_redelivery_stores_no_second_body(session):
    first = store.store_request(session, "postmark", ingest.Ingest("pm-1", {}), b"one")
    again = store.store_request(session, "postmark", ingest.Ingest("pm-1", {}), b"two")
    assert (again.id, again.created) == (first.id, False)
    assert content.load(session, first.id) == (content.REQUEST, b"one")


def test_large_email_field_is_a_view_of_the_body_not_a_copy():
    email = b"From: a@b.example\r\n\r\n" + b"x" * 3_000_000
    body = _form([("envelope", b"{}"), ("email", email)])
    view = parse_form(f"multipart/form-data; boundary={BOUNDARY}", body).get_view("email")
    assert isinstance(view, memoryview) and view.obj is body
    assert bytes(view) == email


@pytest.mark.parametrize("kind", [bytes, bytearray])  # PostgreSQL reads a large body into a bytearray
def test_value_holding_boundary_like_runs_is_read_exactly(kind):
    # Runs that start like the delimiter make the parser hold bytes back and replay them.
    tricky = b"a\r\n--xYzZY-form\r\n--xYzZY-form-boundar b\r\n--xYzZ\r\nend"
    body = kind(_form([("email", tricky), ("x", b"")]))
    form = parse_form(f"multipart/form-data; boundary={BOUNDARY}", body)
    assert bytes(form.get_view("email")) == tricky
    assert form.get_bytes("x") == b""


@pytest.fixture(params=["sqlite", "postgresql"])
def blank_database(request, tmp_path) -> Iterator[str]:
    """An empty database (no migrations applied)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    if not PG_URL:
        pytest.skip(PG_SKIP)
    url = create_scratch_database(PG_URL, "mou_migrate")
    yield url
    drop_scratch_database(PG_URL, url)


def test_migration_moves_bytes_out_and_back(blank_database):
    cfg = alembic_config(blank_database)
    command.upgrade(cfg, "0002")
    engine = create_engine(normalise_url(blank_database))
    columns = "provider, envelope_from, envelope_to, subject, status, detail, attempts, received_at"
    values = "'x', '', '[]', '', 'processed', '', 0, '2026-01-01'"
    insert = f"INSERT INTO inbound_message (id, {columns}, raw, request_body) VALUES (:id, {values}, :r, :q)"
    with engine.begin() as conn:
        for n, (raw, request) in enumerate([(b"email bytes", None), (None, b"request bytes")], start=1):
            conn.execute(text(insert), {"id": n, "r": raw, "q": request})
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        moved = conn.execute(text("SELECT inbound_id, kind, data FROM inbound_content ORDER BY 1")).all()
    assert [(i, k, bytes(d)) for i, k, d in moved] == [
        (1, "email", b"email bytes"),
        (2, "request", b"request bytes"),
    ]
    command.downgrade(cfg, "0002")
    with engine.connect() as conn:
        back = conn.execute(text("SELECT id, raw, request_body FROM inbound_message ORDER BY 1")).all()
    engine.dispose()
    assert [(i, r and bytes(r), q and bytes(q)) for i, r, q in back] == [
        (1, b"email bytes", None),
        (2, None, b"request bytes"),
    ]


def test_bodies_are_compressed_with_lz4_on_postgresql(make_database):
    engine = create_engine(normalise_url(make_database("postgresql")))  # migrated to head
    with engine.connect() as conn:
        lz4 = conn.execute(
            text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        ).scalar_one()
        method = conn.execute(
            text(
                "SELECT attcompression FROM pg_attribute "
                "WHERE attrelid = 'inbound_content'::regclass AND attname = 'data'"
            )
        ).scalar_one()
    engine.dispose()
    assert lz4, "this PostgreSQL server is built without lz4"
    assert method == "l"
