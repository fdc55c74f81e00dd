"""The bytes of inbound messages (webhook requests and emails), written and read without extra copies.

On SQLite a large body is written into a zeroblob through incremental blob I/O and read back into one
bytes object the same way: binding it would copy it into the statement and again into the row record
(three copies at once for a 25 MB email). On PostgreSQL a large body is streamed in with COPY, a chunk
at a time (as a statement parameter the driver and libpq would each copy it whole before sending it),
and read in binary slices into one buffer. Small bodies, the usual case, are bound as values.
"""

from __future__ import annotations

import struct
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session

from app.models import InboundContent

REQUEST = "request"  # a webhook request as received: the provider's adapter reads it
EMAIL = "email"  # the email's RFC 5322 bytes (SMTP, the mime webhook's raw body, stored emails)
STREAM_BYTES = 1 << 20  # bodies above this are streamed in and out
_CHUNK = 1 << 20
_TABLE = InboundContent.__tablename__
SQLITE_INSERT = "INSERT INTO inbound_content (inbound_id, kind, data) VALUES (?, ?, ?)"
PG_SELECT = (
    "SELECT kind, length(data), CASE WHEN length(data) <= %s THEN data END FROM inbound_content "
    "WHERE inbound_id = %s"
)
PG_SLICE = "SELECT substring(data FROM %s FOR %s) FROM inbound_content WHERE inbound_id = %s"
PG_INSERT = "INSERT INTO inbound_content (inbound_id, kind, data) VALUES (%s, %s, %b)"
PG_COPY = "COPY inbound_content (inbound_id, kind, data) FROM STDIN (FORMAT BINARY)"
# PostgreSQL's binary COPY format: signature, flags, header extension length; a tuple is its field
# count, then per field a 32-bit length and the bytes; -1 as a field count ends the data.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
_COPY_END = struct.pack("!h", -1)
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


def write_postgresql(cursor: Any, inbound_id: int, kind: str, data: bytes | bytearray | memoryview) -> None:
    """Store one body with a psycopg cursor inside the caller's transaction."""
    if len(data) <= STREAM_BYTES:
        cursor.execute(PG_INSERT, (inbound_id, kind, data))
        return
    label = kind.encode()
    row = struct.pack("!hii", 3, 4, inbound_id) + struct.pack("!i", len(label)) + label
    view = memoryview(data)
    with cursor.copy(PG_COPY) as copy:
        copy.write(_COPY_HEADER + row + struct.pack("!i", len(view)))
        for start in range(0, len(view), _CHUNK):
            copy.write(view[start : start + _CHUNK])
        copy.write(_COPY_END)


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
    with connection.connection.dbapi_connection.cursor() as cursor:
        write_postgresql(cursor, inbound_id, kind, data)


def load(session: Session, inbound_id: int) -> tuple[str, bytes | bytearray] | None:
    """(kind, bytes) of one message, or None when it has none."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return _load_postgresql(connection.connection.dbapi_connection, inbound_id)
    # The bytes come with the query when small (the usual case), else by blob I/O below.
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


def _load_postgresql(conn: Any, inbound_id: int) -> tuple[str, bytes | bytearray] | None:
    # In binary (as text a body comes as hex, twice its size); a large body a slice at a time into one
    # buffer (whole, the driver's result and the bytes made from it would be held at once).
    with conn.cursor() as cursor:
        found = cursor.execute(PG_SELECT, (STREAM_BYTES, inbound_id), binary=True).fetchone()
        if found is None:
            return None
        kind, size, value = found
        if value is not None:
            return kind, value
        out = bytearray(size)
        view = memoryview(out)
        for start in range(0, size, _CHUNK):
            piece = cursor.execute(PG_SLICE, (start + 1, _CHUNK, inbound_id), binary=True).fetchone()[0]
            view[start : start + len(piece)] = piece
        return kind, out
