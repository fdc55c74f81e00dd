"""Group commit for webhook stores: the requests that arrive together share one transaction.

Each request still gets its 2xx only after the commit that holds its row, so nothing acknowledged can
be lost; what changes is that one commit (SQLite: one WAL write and lock; PostgreSQL: one fsync, one
thread hop and one round trip) serves every request the server had in hand, instead of one each.

SQLite flushes inline on the event loop (a local call) once the requests already received have
been read; PostgreSQL flushes in worker threads, up to MAX_IN_FLIGHT batches at once (each on a
connection this committer keeps between batches), while the next batch gathers: the event loop keeps
reading requests instead of waiting for one round trip and fsync at a time.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import anyio.to_thread
from sqlalchemy.engine import Engine
from sqlalchemy.pool import PoolProxiedConnection

from app.intake.errors import SignatureInvalid
from app.intake.store import Arrival, Receipt, store_batch

MAX_BATCH = 128
MAX_BATCH_BYTES = 32 << 20  # a batch of large bodies is cut early: one transaction stays bounded
IDLE_SECONDS = 10.0  # a kept PostgreSQL connection idle longer than this goes back to the pool
MAX_IN_FLIGHT = 3  # PostgreSQL batches committing at once (store_batch orders its rows: no deadlock)


@dataclass
class _Waiting:
    arrival: Arrival
    done: asyncio.Future[Receipt] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class GroupCommitter:
    """Stores verified requests in shared transactions; `store` returns once its row is committed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.inline = engine.dialect.name == "sqlite"
        self.waiting: list[_Waiting] = []
        self.limit = 1 if self.inline else MAX_IN_FLIGHT
        self.flushers: set[asyncio.Task[None]] = set()
        self.idle: list[tuple[PoolProxiedConnection, float]] = []  # most recently used first

    async def store(self, arrival: Arrival) -> Receipt:
        """Queue one request for the next commit and wait for it (SignatureInvalid on a replay)."""
        item = _Waiting(arrival)
        self.waiting.append(item)
        if len(self.flushers) < self.limit:
            # The task's first step runs after the callbacks already queued: the requests read in
            # this loop turn join the batch.
            task = asyncio.get_running_loop().create_task(self._flush())
            self.flushers.add(task)
            task.add_done_callback(self.flushers.discard)  # also when cancelled before it started
        return await item.done

    async def _flush(self) -> None:
        try:
            while self.waiting:
                items, batch = self._take()
                try:
                    if self.inline:
                        outcomes = store_batch(self.engine, batch)
                    else:  # new requests gather for the next batch while this one commits
                        outcomes = await self._store_in_thread(batch)
                except Exception as exc:  # the whole batch failed: every request gets the error (5xx)
                    _fail(items, exc)
                    continue
                _resolve(items, outcomes)
        finally:  # at once, not in a later callback: a request queued next must find room to start one
            self.flushers.discard(asyncio.current_task())  # type: ignore[arg-type]

    async def _store_in_thread(self, batch: list[Arrival]) -> list[Receipt | SignatureInvalid]:
        """PostgreSQL: store on a connection this committer keeps between batches (no pool checkout
        and liveness round trip per batch). One that fails is discarded; one left idle for a while
        goes back to the pool, which checks it before its next use."""
        now = time.monotonic()
        while self.idle and now - self.idle[-1][1] > IDLE_SECONDS:
            self.idle.pop()[0].close()  # the oldest are at the end
        raw = self.idle.pop(0)[0] if self.idle else self.engine.raw_connection()
        try:
            outcomes = await anyio.to_thread.run_sync(store_batch, self.engine, batch, raw.dbapi_connection)
        except BaseException:
            raw.invalidate()
            raise
        self.idle.insert(0, (raw, time.monotonic()))
        return outcomes

    def _take(self) -> tuple[list[_Waiting], list[Arrival]]:
        count, size = 0, 0
        for item in self.waiting[:MAX_BATCH]:
            if count and size + len(item.arrival.body) > MAX_BATCH_BYTES:
                break
            count, size = count + 1, size + len(item.arrival.body)
        items, self.waiting = self.waiting[:count], self.waiting[count:]
        return items, [i.arrival for i in items]


def _resolve(items: list[_Waiting], outcomes: list[Receipt | SignatureInvalid]) -> None:
    for item, outcome in zip(items, outcomes, strict=True):
        if item.done.done():  # the client went away meanwhile; its row is stored all the same
            continue
        if isinstance(outcome, Exception):
            item.done.set_exception(outcome)
        else:
            item.done.set_result(outcome)


def _fail(items: list[_Waiting], exc: Exception) -> None:
    for item in items:
        if not item.done.done():
            item.done.set_exception(exc)
