"""The durable store of verified webhook requests: one-use nonce, message row and body, committed
before the 2xx.

Requests are stored in batches: one transaction, one commit (one WAL write; on PostgreSQL one fsync
and one statement, in one round trip) for every request that arrived meanwhile (committer.py gathers
them); each is answered only after the commit that holds it. Statements run on the driver's
connection: SQLite's are compiled once by SQLAlchemy, so a request only binds its values;
PostgreSQL's batch statement takes every request's values as arrays.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect, Engine
from sqlmodel import Session

from app.intake import content
from app.intake.errors import SignatureInvalid
from app.intake.ingest import Ingest
from app.models import InboundMessage, WebhookNonce, utcnow

_INBOUND = InboundMessage.__table__
_NONCE = WebhookNonce.__table__
REPLAY = "This webhook token was already used (replay refused)."


@dataclass
class Arrival:
    """One verified request to store."""

    provider: str
    ingest: Ingest
    body: bytes | bytearray
    nonce: str | None = None


@dataclass
class Receipt:
    """The stored row's id and whether this request created it (False: a redelivery)."""

    id: int
    created: bool


def store_request(
    db: Engine | Session,
    provider: str,
    ingest: Ingest,
    body: bytes | bytearray,
    nonce: str | None = None,
) -> Receipt:
    """Store one request in its own transaction (a replayed nonce raises SignatureInvalid)."""
    outcome = store_batch(db, [Arrival(provider, ingest, body, nonce)])[0]
    if isinstance(outcome, SignatureInvalid):
        raise outcome
    return outcome


def store_batch(
    db: Engine | Session, arrivals: Sequence[Arrival], connection: Any = None
) -> list[Receipt | SignatureInvalid]:
    """Store requests in one transaction, committed on return; per request its receipt, or the
    refusal of a nonce already used (by an earlier request or one before it in this batch).

    `db` is the engine (webhooks: a pooled driver connection, or on PostgreSQL the psycopg
    `connection` the caller keeps) or a Session (tests, SES: inside the session's transaction). A
    database error fails the whole batch, and nothing of it is kept."""
    if connection is not None:  # a PostgreSQL connection the caller keeps (committer.py)
        return _store_postgresql(connection, False, arrivals)
    dialect = db.get_bind().dialect if isinstance(db, Session) else db.dialect
    if dialect.name == "postgresql":
        with _transaction(db) as (conn, tx):
            outcomes = _store_postgresql(conn, isinstance(db, Session), arrivals)
            if isinstance(db, Session):
                tx.commit()
        return outcomes
    return _store_sqlite(db, dialect, arrivals)


def _store_sqlite(db: Engine | Session, dialect: Dialect, arrivals: Sequence[Arrival]) -> list[Any]:
    """One statement per request and step, in one transaction: SQLite runs them in-process."""
    sql = _statements(dialect)
    now = utcnow()
    with _transaction(db) as (conn, tx):
        cursor = conn.cursor()
        run = functools.partial(_run, cursor)
        nonced = [a for a in arrivals if a.nonce]
        used = run(sql.nonce, [{"provider": a.provider, "nonce": a.nonce, "seen_at": now} for a in nonced])
        refused = {id(a) for a, row in zip(nonced, used, strict=True) if row is None}
        kept = [a for a in arrivals if id(a) not in refused]
        rows = run(sql.insert, [_row(a, now) for a in kept])
        new = {id(a): row[0] for a, row in zip(kept, rows, strict=True) if row is not None}
        for arrival in kept:
            if id(arrival) in new:
                content.write_sqlite(cursor, new[id(arrival)], content.REQUEST, arrival.body)
        again = [a for a in kept if id(a) not in new]
        keys = [{"provider": a.provider, "provider_id": a.ingest.provider_id} for a in again]
        old = {id(a): row[0] for a, row in zip(again, run(sql.existing, keys), strict=True)}
        cursor.close()
        tx.commit()
    receipts = {key: Receipt(row_id, True) for key, row_id in new.items()}
    receipts.update({key: Receipt(row_id, False) for key, row_id in old.items()})
    return [receipts.get(id(a)) or SignatureInvalid(REPLAY) for a in arrivals]


def _run(cursor: Any, statement: _Compiled, values: list[dict[str, Any]]) -> list[Any]:
    """Run one statement per set of values; the first row each returned (or None), in order."""
    out = []
    for v in values:
        cursor.execute(statement.text, statement.bind(**v))
        out.append(cursor.fetchone())
    return out


# PostgreSQL: the whole batch in one statement (one round trip, and in autocommit no separate COMMIT),
# from two parameters: the requests' fields as one JSON array and their bodies as one bytea array.
# Each request's row id is drawn first, so the bodies and the answer can be matched to the rows
# inserted; nonces, then rows, are inserted in one global order, so concurrent batches that hold the
# same keys wait for each other instead of deadlocking. A request whose nonce was already used is not
# stored; one whose provider id is already stored (a redelivery) inserts nothing.
_PG_BATCH = """
WITH given AS MATERIALIZED (
    SELECT nextval(pg_get_serial_sequence('inbound_message', 'id'))::integer AS id,
           m.item->>0 AS provider, m.item->>1 AS provider_id, m.item->>2 AS nonce,
           m.item->3 AS headers, b.data, m.ord
    FROM jsonb_array_elements(%(fields)s::jsonb) WITH ORDINALITY AS m(item, ord)
    JOIN unnest(%(data)b::bytea[]) WITH ORDINALITY AS b(data, ord) USING (ord)
), fresh AS (
    INSERT INTO webhook_nonce (provider, nonce, seen_at)
    SELECT provider, nonce, %(now)s FROM given WHERE nonce IS NOT NULL ORDER BY provider, nonce
    ON CONFLICT (provider, nonce) DO NOTHING
    RETURNING provider, nonce
), admitted AS (
    SELECT * FROM given
    WHERE nonce IS NULL OR (provider, nonce) IN (SELECT provider, nonce FROM fresh)
), new_row AS (
    INSERT INTO inbound_message (id, provider, provider_id, request_headers, received_at, envelope_to,
                                 subject, envelope_from, status, detail, attempts)
    SELECT id, provider, provider_id, NULLIF(headers, 'null'), %(now)s, '[]', '', '', 'received', '', 0
    FROM admitted ORDER BY provider, provider_id
    ON CONFLICT (provider, provider_id) DO NOTHING
    RETURNING id
), body AS (
    INSERT INTO inbound_content (inbound_id, kind, data)
    SELECT id, 'request', data FROM admitted JOIN new_row USING (id) WHERE data IS NOT NULL
)
SELECT new_row.id, admitted.id IS NOT NULL FROM given
LEFT JOIN admitted USING (id) LEFT JOIN new_row USING (id)
ORDER BY given.ord
"""
_PG_EXISTING = (
    "SELECT provider, provider_id, id FROM inbound_message WHERE (provider, provider_id) IN "
    "(SELECT item->>0, item->>1 FROM jsonb_array_elements(%s::jsonb) AS k(item))"
)


def _store_postgresql(conn: Any, in_transaction: bool, arrivals: Sequence[Arrival]) -> list[Any]:
    """Run the batch on a psycopg connection: in the caller's transaction, or else in autocommit (one
    statement commits on its own: no BEGIN and COMMIT round trips)."""
    outcomes: list[Receipt | SignatureInvalid | None] = [None] * len(arrivals)
    tokens: set[tuple[str, str]] = set()
    sent: list[int] = []  # the arrivals in the statement, by index
    for index, arrival in enumerate(arrivals):
        token = (arrival.provider, arrival.nonce or "")
        if arrival.nonce and token in tokens:  # the same one-use token twice in this batch
            outcomes[index] = SignatureInvalid(REPLAY)
            continue
        tokens.add(token)
        sent.append(index)
    batch = [arrivals[i] for i in sent]
    values = {
        "fields": json.dumps([[a.provider, a.ingest.provider_id, a.nonce, a.ingest.headers] for a in batch]),
        # A large body is streamed in on its own (below): in the array it would be copied whole twice.
        "data": [None if len(a.body) > content.STREAM_BYTES else a.body for a in batch],
        "now": utcnow(),
    }
    large = [i for i, v in zip(sent, values["data"], strict=True) if v is None]
    autocommit = not in_transaction and not conn.autocommit
    if autocommit:
        conn.autocommit = True
    try:
        # With large bodies it is two statements, so a transaction of their own.
        with (
            conn.transaction() if large and autocommit else contextlib.nullcontext(),
            conn.cursor() as cursor,
        ):
            rows = cursor.execute(_PG_BATCH, values).fetchall()
            again = []  # redeliveries: rows stored before (or by this very statement, a copy in the batch)
            for (row_id, admitted), index in zip(rows, sent, strict=True):
                if row_id is not None:
                    outcomes[index] = Receipt(row_id, True)
                elif admitted:
                    again.append(index)
                else:
                    outcomes[index] = SignatureInvalid(REPLAY)
            for index in large:
                receipt = outcomes[index]
                if isinstance(receipt, Receipt):  # stored now (not a replay; redeliveries are still None)
                    content.write_postgresql(cursor, receipt.id, content.REQUEST, arrivals[index].body)
            if again:
                keys = [[arrivals[i].provider, arrivals[i].ingest.provider_id] for i in again]
                found = {
                    (p, pid): row_id for p, pid, row_id in cursor.execute(_PG_EXISTING, [json.dumps(keys)])
                }
                for (provider, provider_id), index in zip(keys, again, strict=True):
                    outcomes[index] = Receipt(found[(provider, provider_id)], False)
    finally:
        if autocommit:
            conn.autocommit = False
    return outcomes


def _row(arrival: Arrival, now: Any) -> dict[str, Any]:
    return {
        **_ROW_DEFAULTS,
        "provider": arrival.provider,
        "provider_id": arrival.ingest.provider_id,
        "request_headers": arrival.ingest.headers,
        "received_at": now,
    }


@contextmanager
def _transaction(db: Engine | Session) -> Iterator[tuple[Any, Any]]:
    """The driver connection and what commits or rolls back its transaction."""
    if isinstance(db, Session):
        yield db.connection().connection.dbapi_connection, db
        return
    raw = db.raw_connection()  # from the pool; closing returns it (rolled back if still open)
    try:
        yield raw.dbapi_connection, raw
    finally:
        raw.close()


# The columns a new request row starts with (the worker fills the rest when it reads the email).
_ROW_DEFAULTS = {
    "envelope_to": [],
    "subject": "",
    "envelope_from": "",
    "status": "received",
    "detail": "",
    "attempts": 0,
}


@dataclass(frozen=True)
class _Compiled:
    """One statement compiled for a dialect: its SQL, its bind names and their type conversions."""

    text: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    positional: bool

    @classmethod
    def of(cls, statement: Any, dialect: Dialect) -> _Compiled:
        """Compile with SQLAlchemy; keep each bind's type processor (JSON, timestamps, bytes)."""
        compiled = statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup if compiled.positional else compiled.binds)
        procs = tuple(compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names)
        return cls(compiled.string, names, procs, bool(compiled.positional))

    def bind(self, **values: Any) -> tuple[Any, ...] | dict[str, Any]:
        """The driver's parameters for these values."""
        out = [p(values[n]) if p else values[n] for n, p in zip(self.names, self.processors, strict=True)]
        return tuple(out) if self.positional else dict(zip(self.names, out, strict=True))


@dataclass(frozen=True)
class _Statements:
    insert: _Compiled
    nonce: _Compiled
    existing: _Compiled


def _binds(table: Any, keys: Sequence[str]) -> dict[str, Any]:
    return {k: bindparam(k, type_=table.c[k].type) for k in keys}


@functools.cache
def _statements(dialect: Dialect) -> _Statements:
    """SQLite's statements. Conflicts insert nothing and return no row: a redelivery (same provider
    id) or a used nonce."""
    row_keys = [*_ROW_DEFAULTS, "provider", "provider_id", "request_headers", "received_at"]
    once = (
        sqlite.insert(_INBOUND)
        .values(_binds(_INBOUND, row_keys))
        .on_conflict_do_nothing(index_elements=[_INBOUND.c.provider, _INBOUND.c.provider_id])
        .returning(_INBOUND.c.id)
    )
    nonce = (
        sqlite.insert(_NONCE)
        .values(_binds(_NONCE, ["provider", "nonce", "seen_at"]))
        .on_conflict_do_nothing(index_elements=[_NONCE.c.provider, _NONCE.c.nonce])
        .returning(_NONCE.c.id)
    )
    existing = select(_INBOUND.c.id).where(
        _INBOUND.c.provider == bindparam("provider"), _INBOUND.c.provider_id == bindparam("provider_id")
    )
    return _Statements(
        _Compiled.of(once, dialect), _Compiled.of(nonce, dialect), _Compiled.of(existing, dialect)
    )
