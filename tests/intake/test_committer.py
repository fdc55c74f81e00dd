"""Group commit of webhook stores, on a real database: requests that arrive together share a
commit, each still gets its own receipt (or refusal), and a failed commit fails every request in it."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from psycopg import OperationalError
from sqlalchemy import func, select, text

from app.config import Settings
from app.db import make_engine
from app.intake import committer, content
from app.intake.errors import SignatureInvalid
from app.intake.ingest import Ingest
from app.intake.store import Arrival, store_batch
from app.models import InboundContent, InboundMessage


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_engine(request, make_database, tmp_path):
    """An engine over a new migrated database: these tests commit, so they get their own."""
    url = make_database(request.param)
    engine = make_engine(Settings(_env_file=None, database_url=url, data_dir=tmp_path))
    yield engine
    engine.dispose()


@pytest.fixture
def batches(monkeypatch):
    """The sizes of the batches the committer stored (the real store runs)."""
    sizes: list[int] = []
    real = committer.store_batch

    def counting(engine, arrivals, connection=None):
        sizes.append(len(arrivals))
        return real(engine, arrivals, connection)

    monkeypatch.setattr(committer, "store_batch", counting)
    return sizes


def _arrival(n: int, provider_id: str | None = None, nonce: str | None = None) -> Arrival:
    provider = "mailgun" if nonce else "postmark"
    return Arrival(provider, Ingest(provider_id, {"content-type": "x"}), bytearray(b"body %d" % n), nonce)


async def _gather(group: committer.GroupCommitter, arrivals: list[Arrival]) -> list:
    return await asyncio.gather(*(group.store(a) for a in arrivals), return_exceptions=True)


def _stored(engine) -> dict[int, bytes]:
    with engine.connect() as conn:
        rows = conn.execute(select(InboundContent.inbound_id, InboundContent.data)).all()
    return {row_id: bytes(data) for row_id, data in rows}


def test_concurrent_requests_share_commits_and_each_gets_its_row(fresh_engine, batches):
    arrivals = [_arrival(n, provider_id=f"pm-{n}") for n in range(40)]
    receipts = asyncio.run(_gather(committer.GroupCommitter(fresh_engine), arrivals))
    assert all(r.created for r in receipts)
    assert len({r.id for r in receipts}) == 40
    assert sum(batches) == 40 and len(batches) < 40  # shared commits
    stored = _stored(fresh_engine)
    assert [stored[r.id] for r in receipts] == [bytes(a.body) for a in arrivals]


def test_redelivery_and_replay_in_one_batch(fresh_engine, batches):
    arrivals = [
        _arrival(1, provider_id="pm-1"),
        _arrival(2, provider_id="pm-1"),  # the same provider id again: a redelivery
        _arrival(3, nonce="token-a"),
        _arrival(4, nonce="token-a"),  # the same one-use token again: a replay
        _arrival(5, nonce="token-b"),
    ]
    outcomes = asyncio.run(_gather(committer.GroupCommitter(fresh_engine), arrivals))
    assert batches == [5]
    first, again, fresh, replay, other = outcomes
    assert first.created and (again.id, again.created) == (first.id, False)
    assert fresh.created and other.created and isinstance(replay, SignatureInvalid)
    assert sorted(_stored(fresh_engine)) == sorted([first.id, fresh.id, other.id])


def test_a_failed_commit_fails_every_request_in_it_and_keeps_none(fresh_engine, batches):
    broken = Arrival(None, Ingest(None, {}), bytearray(b"x"))  # type: ignore[arg-type]  # NOT NULL
    arrivals = [_arrival(1, provider_id="pm-1"), broken, _arrival(3, provider_id="pm-3")]
    outcomes = asyncio.run(_gather(committer.GroupCommitter(fresh_engine), arrivals))
    assert batches == [3]
    assert all(isinstance(o, Exception) and not isinstance(o, SignatureInvalid) for o in outcomes)
    with fresh_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(InboundMessage)).scalar_one() == 0
    # The committer keeps working after a failure.
    later = asyncio.run(_gather(committer.GroupCommitter(fresh_engine), [_arrival(4, provider_id="pm-4")]))
    assert later[0].created and _stored(fresh_engine) == {later[0].id: b"body 4"}


def test_large_bodies_are_cut_into_bounded_batches(fresh_engine, batches):
    big = committer.MAX_BATCH_BYTES // 2 + 1
    arrivals = [Arrival("postmark", Ingest(f"big-{n}", {}), bytearray(big)) for n in range(3)]
    receipts = asyncio.run(_gather(committer.GroupCommitter(fresh_engine), arrivals))
    assert batches == [1, 1, 1]
    assert all(len(_stored(fresh_engine)[r.id]) == big for r in receipts)
    assert big > content.STREAM_BYTES  # (on SQLite, streamed in through blob I/O)


def test_postgresql_batches_commit_side_by_side(make_database, tmp_path, monkeypatch):
    engine = make_engine(
        Settings(_env_file=None, database_url=make_database("postgresql"), data_dir=tmp_path)
    )
    in_flight, most = 0, 0
    lock = threading.Lock()
    real = committer.store_batch

    def slow(db, arrivals, connection=None):
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        time.sleep(0.05)  # long enough for the next requests to start their own batch
        try:
            return real(db, arrivals, connection)
        finally:
            with lock:
                in_flight -= 1

    monkeypatch.setattr(committer, "store_batch", slow)

    async def staggered() -> list:
        group = committer.GroupCommitter(engine)
        tasks = []
        for n in range(12):
            tasks.append(asyncio.ensure_future(group.store(_arrival(n, provider_id=f"pm-{n}"))))
            await asyncio.sleep(0.01)
        return await asyncio.gather(*tasks)

    receipts = asyncio.run(staggered())
    engine.dispose()
    assert most == committer.MAX_IN_FLIGHT
    assert all(r.created for r in receipts) and len({r.id for r in receipts}) == 12


def test_concurrent_batches_with_the_same_keys_neither_deadlock_nor_store_twice(make_database, tmp_path):
    """Two batches at once, holding the same provider ids and nonces in opposite orders: one stores
    each message and takes each token, the other sees redeliveries and replays, and neither waits
    forever on the other."""
    engine = make_engine(
        Settings(_env_file=None, database_url=make_database("postgresql"), data_dir=tmp_path)
    )
    rounds, size = 2, 3000  # batches big enough to overlap in time
    for round_ in range(rounds):
        ids = [f"pm-{round_}-{n:03}" for n in range(size)]
        tokens = [f"tok-{round_}-{n:03}" for n in range(size)]
        forward = [_arrival(n, provider_id=i) for n, i in enumerate(ids)]
        forward += [_arrival(n, nonce=t) for n, t in enumerate(tokens)]
        backward = list(reversed([_arrival(n, provider_id=i) for n, i in enumerate(ids)]))
        backward += [_arrival(n, nonce=t) for n, t in reversed(list(enumerate(tokens)))]
        barrier = threading.Barrier(2)

        def store(arrivals, barrier=barrier):
            barrier.wait()
            return store_batch(engine, arrivals)

        with ThreadPoolExecutor(2) as pool:
            one, two = pool.map(store, [forward, backward])
        by_key = {}
        for arrival, outcome in [*zip(forward, one, strict=True), *zip(backward, two, strict=True)]:
            by_key.setdefault(arrival.nonce or arrival.ingest.provider_id, []).append(outcome)
        for key in ids:  # one created, one redelivery pointing at the same row
            first, second = by_key[key]
            assert {first.created, second.created} == {True, False} and first.id == second.id
        for key in tokens:  # one stored, one refused as a replay
            assert sum(isinstance(o, SignatureInvalid) for o in by_key[key]) == 1
    with engine.connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(InboundMessage)).scalar_one() == rounds * 2 * size
        )
    engine.dispose()


def _terminate_kept_connection(engine, group: committer.GroupCommitter) -> None:
    pid = group.idle[0][0].dbapi_connection.info.backend_pid
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def test_a_kept_connection_that_died_fails_one_batch_and_is_replaced(make_database, tmp_path):
    engine = make_engine(
        Settings(_env_file=None, database_url=make_database("postgresql"), data_dir=tmp_path)
    )
    group = committer.GroupCommitter(engine)
    first = asyncio.run(_gather(group, [_arrival(1, provider_id="pm-1")]))[0]
    assert first.created and len(group.idle) == 1
    _terminate_kept_connection(engine, group)  # e.g. the database restarted under load
    failed = asyncio.run(_gather(group, [_arrival(2, provider_id="pm-2")]))[0]
    assert isinstance(failed, OperationalError)  # a 5xx: the provider sends it again
    again = asyncio.run(_gather(group, [_arrival(2, provider_id="pm-2")]))[0]
    assert again.created
    assert sorted(_stored(engine).values()) == [b"body 1", b"body 2"]
    engine.dispose()


def test_a_connection_kept_idle_too_long_goes_back_to_the_pool_which_checks_it(
    make_database, tmp_path, monkeypatch
):
    engine = make_engine(
        Settings(_env_file=None, database_url=make_database("postgresql"), data_dir=tmp_path)
    )
    group = committer.GroupCommitter(engine)
    asyncio.run(_gather(group, [_arrival(1, provider_id="pm-1")]))
    _terminate_kept_connection(engine, group)
    monkeypatch.setattr(committer, "IDLE_SECONDS", 0.0)
    later = asyncio.run(_gather(group, [_arrival(2, provider_id="pm-2")]))[0]
    assert later.created  # the pool's liveness check replaced the dead connection
    engine.dispose()


def test_postgresql_large_bodies_are_stored_with_their_rows_or_not_at_all(
    make_database, tmp_path, monkeypatch
):
    engine = make_engine(
        Settings(_env_file=None, database_url=make_database("postgresql"), data_dir=tmp_path)
    )
    big = bytearray(b"x" * (content.STREAM_BYTES + 1))
    first = store_batch(engine, [Arrival("postmark", Ingest("big-1", {}), big)])[0]
    batch = [
        Arrival("postmark", Ingest("big-2", {}), big + b"2"),
        _arrival(3, provider_id="pm-3"),
        Arrival("postmark", Ingest("big-1", {}), big),  # a redelivery: nothing more stored
    ]
    fresh, small, again = store_batch(engine, batch)
    assert fresh.created and small.created and (again.id, again.created) == (first.id, False)
    assert _stored(engine) == {first.id: bytes(big), fresh.id: bytes(big) + b"2", small.id: b"body 3"}
    # Streaming the large body in fails: its batch keeps nothing.
    monkeypatch.setattr(content, "PG_COPY", "COPY inbound_content (inbound_id, kind, nothing) FROM STDIN")
    failing = [Arrival("postmark", Ingest("big-4", {}), big), _arrival(5, provider_id="pm-5")]
    with pytest.raises(psycopg.errors.UndefinedColumn):
        store_batch(engine, failing)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(InboundMessage)).scalar_one() == 3
    engine.dispose()
