"""The durable store of verified webhook requests: one-use nonce, message row and body, committed
before the 2xx.

Requests are stored in batches: one transaction, one commit (one WAL write; on PostgreSQL one fsync
and, with the statements pipelined, two round trips) for every request that arrived meanwhile
(committer.py gathers them); each is answered only after the commit that holds it. The SQL is
compiled once per dialect by SQLAlchemy and run on the driver's connection, so a request only binds
its values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, Engine
from sqlmodel import Session

from app.intake import content
from app.intake.errors import SignatureInvalid
from app.intake.ingest import Ingest
from app.models import InboundContent, InboundMessage, WebhookNonce, utcnow

_INBOUND = InboundMessage.__table__
_NONCE = WebhookNonce.__table__
_CONTENT = InboundContent.__table__
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


def store_batch(db: Engine | Session, arrivals: Sequence[Arrival]) -> list[Receipt | SignatureInvalid]:
    """Store requests in one transaction, committed on return; per request its receipt, or the
    refusal of a nonce already used (by an earlier request or one before it in this batch).

    `db` is the engine (webhooks: a pooled driver connection) or a Session (tests, SES: inside the
    session's transaction). A database error fails the whole batch, and nothing of it is kept."""
    dialect = db.get_bind().dialect if isinstance(db, Session) else db.dialect
    sql = _statements(dialect)
    now = utcnow()
    with _transaction(db) as (conn, tx):
        run = _runner(conn, dialect)
        nonced = [a for a in arrivals if a.nonce]
        used = run(sql.nonce, [{"provider": a.provider, "nonce": a.nonce, "seen_at": now} for a in nonced])
        refused = {id(a) for a, row in zip(nonced, used, strict=True) if row is None}
        kept = [a for a in arrivals if id(a) not in refused]
        rows = run(sql.insert, [_row(a, now) for a in kept])
        new = {id(a): row[0] for a, row in zip(kept, rows, strict=True) if row is not None}
        if dialect.name != "postgresql":  # PostgreSQL wrote the bodies in the same statement
            cursor = conn.cursor()
            for arrival in kept:
                if id(arrival) in new:
                    content.write_sqlite(cursor, new[id(arrival)], content.REQUEST, arrival.body)
            cursor.close()
        again = [a for a in kept if id(a) not in new]
        keys = [{"provider": a.provider, "provider_id": a.ingest.provider_id} for a in again]
        old = {id(a): row[0] for a, row in zip(again, run(sql.existing, keys), strict=True)}
        tx.commit()
    receipts = {key: Receipt(row_id, True) for key, row_id in new.items()}
    receipts.update({key: Receipt(row_id, False) for key, row_id in old.items()})
    return [receipts.get(id(a)) or SignatureInvalid(REPLAY) for a in arrivals]


def _row(arrival: Arrival, now: Any) -> dict[str, Any]:
    return {
        **_ROW_DEFAULTS,
        "provider": arrival.provider,
        "provider_id": arrival.ingest.provider_id,
        "request_headers": arrival.ingest.headers,
        "received_at": now,
        "data": arrival.body,
    }


def _runner(conn: Any, dialect: Dialect) -> Callable[[_Compiled, list[dict[str, Any]]], list[Any]]:
    """Run one statement per set of values; the first row each returned (or None), in order."""

    def run(statement: _Compiled, values: list[dict[str, Any]]) -> list[Any]:
        if not values:
            return []
        if dialect.name == "postgresql":  # pipelined: one round trip for the whole batch
            with conn.pipeline():
                cursors = [conn.cursor() for _ in values]
                for cursor, v in zip(cursors, values, strict=True):
                    cursor.execute(statement.text, statement.bind(**v))
            return [cursor.fetchone() for cursor in cursors]
        cursor = conn.cursor()
        out = []
        for v in values:
            cursor.execute(statement.text, statement.bind(**v))
            out.append(cursor.fetchone())
        return out

    return run


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
    # Conflicts insert nothing and return no row: a redelivery (same provider id) or a used nonce.
    module = postgresql if dialect.name == "postgresql" else sqlite
    row_keys = [*_ROW_DEFAULTS, "provider", "provider_id", "request_headers", "received_at"]
    once = (
        module.insert(_INBOUND)
        .values(_binds(_INBOUND, row_keys))
        .on_conflict_do_nothing(index_elements=[_INBOUND.c.provider, _INBOUND.c.provider_id])
        .returning(_INBOUND.c.id)
    )
    if dialect.name == "postgresql":  # the body goes in the same statement, keyed by the new row's id
        new_row = once.cte("new_row")
        body = bindparam("data", type_=_CONTENT.c.data.type)
        picked = select(new_row.c.id, literal_column(f"'{content.REQUEST}'"), body)
        once = insert(_CONTENT).from_select(["inbound_id", "kind", "data"], picked)
        once = once.returning(_CONTENT.c.inbound_id)
    nonce = (
        module.insert(_NONCE)
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
