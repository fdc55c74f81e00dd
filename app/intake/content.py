"""The bytes of inbound messages (webhook requests and emails), written and read without extra copies.

On SQLite a large body is written into a zeroblob through incremental blob I/O and read back into one
bytes object the same way: binding it would copy it into the statement and again into the row record
(three copies at once for a 25 MB email). Small bodies, the usual case, are bound as values.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, insert, select
from sqlmodel import Session

from app.models import InboundContent

REQUEST = "request"  # a webhook request as received: the provider's adapter reads it
EMAIL = "email"  # the email's RFC 5322 bytes (SMTP, the mime webhook's raw body, stored emails)
STREAM_BYTES = 1 << 20  # bodies above this are streamed in and out on SQLite
_CHUNK = 1 << 20
_TABLE = InboundContent.__tablename__
SQLITE_INSERT = "INSERT INTO inbound_content (inbound_id, kind, data) VALUES (?, ?, ?)"
SQLITE_INSERT_ZEROS = "INSERT INTO inbound_content (inbound_id, kind, data) VALUES (?, ?, zeroblob(?))"


def write_sqlite(cursor: Any, inbound_id: int, kind: str, data: bytes | bytearray | memoryview) -> None:
    """Store one body with a sqlite3 cursor inside the caller's transaction."""
    if len(data) <= STREAM_BYTES:
        cursor.execute(SQLITE_INSERT, (inbound_id, kind, data))
        return
    cursor.execute(SQLITE_INSERT_ZEROS, (inbound_id, kind, len(data)))
    view = memoryview(data)
    # The row's rowid is inbound_id (an INTEGER PRIMARY KEY).
    with cursor.connection.blobopen(_TABLE, "data", inbound_id) as blob:
        for start in range(0, len(view), _CHUNK):
            blob.write(view[start : start + _CHUNK])


def store(session: Session, inbound_id: int, kind: str, data: bytes | bytearray | memoryview) -> None:
    """Store one message's bytes in the session's transaction (its row, already flushed, has that id)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        cursor = connection.connection.cursor()
        try:
            write_sqlite(cursor, inbound_id, kind, data)
        finally:
            cursor.close()
        return
    session.execute(insert(InboundContent).values(inbound_id=inbound_id, kind=kind, data=bytes(data)))


def load(session: Session, inbound_id: int) -> tuple[str, bytes] | None:
    """(kind, bytes) of one message, or None when it has none."""
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    data = InboundContent.data
    if sqlite:  # the bytes come with the query when small (the usual case), else by blob I/O below
        data = case((func.length(InboundContent.data) <= STREAM_BYTES, InboundContent.data), else_=None)
    where = InboundContent.inbound_id == inbound_id
    found = session.execute(select(InboundContent.kind, data).where(where)).first()
    if found is None:
        return None
    kind, value = found
    if value is not None:
        return kind, value
    with connection.connection.dbapi_connection.blobopen(_TABLE, "data", inbound_id, readonly=True) as blob:
        return kind, blob.read()  # read straight into one bytes object
