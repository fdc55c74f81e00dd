"""Queue benchmark: the manager's first page and a deep page at 10,000 and 1,000,000 MOUs.

Loads each size into a fresh SQLite database with the `mou demo --count N` bulk loader, then times
the review-queue service (the same code the API and pages call) and prints ms per query, the ratio
against the smallest size (goal <= 1.5) and SQLite's query plan for the page query.

    .venv/bin/python bench/queue.py            # quick: 10,000 and 100,000
    .venv/bin/python bench/queue.py --big      # 10,000 and 1,000,000 (takes a few minutes to load)
    .venv/bin/python bench/queue.py --sizes 10000 200000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings
from app.db import make_engine, session_scope
from app.demo import bulk_load, seed_organisation
from app.migrate import upgrade
from app.models import Mou, Role, User
from app.review.queue import encode_cursor, list_queue

PAGE = 50
FOLLOW_PAGES = 50  # page 51 is reached by following cursors from the first page
REPEAT = 25


def load(size: int, directory: Path) -> Engine:
    """A fresh migrated SQLite database with the demo organisation and SIZE bulk MOUs."""
    settings = Settings(
        _env_file=None, data_dir=directory, database_url=f"sqlite:///{directory / 'bench.db'}"
    )
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings)
    with session_scope(engine) as session:
        seed_organisation(session)
        demo_rows = session.execute(select(func.count()).select_from(Mou)).scalar_one()
    started = time.perf_counter()
    bulk_load(engine, max(0, size - demo_rows))
    print(f"  loaded {size:,} MOUs in {time.perf_counter() - started:.1f} s")
    return engine


def manager(session: Session) -> User:
    """The manager of the largest team."""
    team_id = session.execute(
        select(Mou.team_id).group_by(Mou.team_id).order_by(func.count().desc()).limit(1)
    ).scalar_one()
    return (
        session.execute(select(User).where(User.role == Role.manager, User.team_id == team_id))
        .scalars()
        .first()
    )


def median_ms(fn: Callable[[], object], repeat: int = REPEAT) -> float:
    """Median wall time of fn in milliseconds (after one warm-up call)."""
    fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def deep_cursor(session: Session, user: User, fraction: float) -> str:
    """A cursor positioned FRACTION of the way into the manager's queue."""
    total = session.execute(
        select(func.count()).select_from(Mou).where(Mou.team_id == user.team_id)
    ).scalar_one()
    key = (Mou.reviewed, Mou.stage_rank, Mou.created_at, Mou.id)
    row = session.execute(
        select(Mou).where(Mou.team_id == user.team_id).order_by(*key).offset(int(total * fraction)).limit(1)
    ).scalar_one()
    return encode_cursor("queue", row)


def follow(session: Session, user: User, pages: int) -> str | None:
    """The cursor after following PAGES pages from the start."""
    cursor = None
    for _ in range(pages):
        cursor = list_queue(session, user, cursor=cursor, limit=PAGE).next_cursor
    return cursor


def query_plan(engine: Engine, session: Session, user: User, cursor: str | None) -> list[str]:
    """SQLite's plan for the page query exactly as the service sends it."""
    captured: list[tuple[str, object]] = []

    def grab(_conn, _cursor, statement, parameters, _context, _many):
        if "FROM mou" in statement and "ORDER BY" in statement and not captured:
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        list_queue(session, user, cursor=cursor, limit=PAGE)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    statement, parameters = captured[0]
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return [row[-1] for row in rows]


@dataclass
class Loaded:
    """One loaded database, its manager and the cursors to time."""

    size: int
    engine: Engine
    session: Session
    user: User
    cursors: dict[str, str | None]


def prepare(size: int, directory: Path) -> Loaded:
    """Load SIZE MOUs and find the first page, page 51 (cursors followed) and a page 90% deep."""
    print(f"\n== {size:,} MOUs")
    engine = load(size, directory)
    session = Session(engine)
    user = manager(session)
    cursors = {
        "first": None,
        "page51": follow(session, user, FOLLOW_PAGES),
        "deep90": deep_cursor(session, user, 0.9),
    }
    print(f"  manager {user.email} (team {user.team_id})")
    print("  plan:   " + " | ".join(plan := query_plan(engine, session, user, cursors["deep90"])))
    if not any("ix_mou_queue" in line for line in plan):
        print("  WARNING: the queue index ix_mou_queue is not used")
    return Loaded(size, engine, session, user, cursors)


def measure(loaded: list[Loaded], rounds: int) -> dict[int, dict[str, float]]:
    """Median ms per query; sizes are timed in alternating rounds so machine load hits all alike."""
    samples: dict[int, dict[str, list[float]]] = {x.size: {k: [] for k in x.cursors} for x in loaded}
    for _ in range(rounds):
        for x in loaded:
            for name, cursor in x.cursors.items():
                run = lambda x=x, cursor=cursor: list_queue(x.session, x.user, cursor=cursor, limit=PAGE)  # noqa: E731
                samples[x.size][name].append(median_ms(run, repeat=REPEAT // 5))
    return {size: {k: statistics.median(v) for k, v in by.items()} for size, by in samples.items()}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the ratios."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--big", action="store_true", help="include 1,000,000 MOUs")
    parser.add_argument("--sizes", type=int, nargs="+", help="explicit sizes (the first is the baseline)")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([10_000, 1_000_000] if args.big else [10_000, 100_000])
    with tempfile.TemporaryDirectory(prefix="mou-bench-") as tmp:
        loaded = [prepare(size, Path(tmp) / str(size)) for size in sizes]
        results = measure(loaded, rounds=5)
        for x in loaded:
            x.session.close()
            x.engine.dispose()
    print("\n== median ms per page query (50 rows)")
    for size, by in results.items():
        print(f"  {size:>9,}: " + "  ".join(f"{name} {ms:7.2f} ms" for name, ms in by.items()))
    base = results[sizes[0]]
    print("\n== ratios against", f"{sizes[0]:,}", "(goal <= 1.5)")
    worst = 0.0
    for size in sizes[1:]:
        ratios = {name: results[size][name] / base[name] for name in base}
        worst = max(worst, *ratios.values())
        print(f"  {size:,}: " + "  ".join(f"{name} {ratio:.2f}x" for name, ratio in ratios.items()))
    print("PASS" if worst <= 1.5 else "OVER GOAL", f"(worst ratio {worst:.2f})")
    return 0 if worst <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
