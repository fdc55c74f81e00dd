"""Group commit of webhook stores, on a real database: requests that arrive together share a
commit, each still gets its own receipt (or refusal), and a failed commit fails every request in it."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from app.config import Settings
from app.db import make_engine
from app.intake import committer, content
from app.intake.errors import SignatureInvalid
from app.intake.ingest import Ingest
from app.intake.store import Arrival
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

    def counting(engine, arrivals):
        sizes.append(len(arrivals))
        return real(engine, arrivals)

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
