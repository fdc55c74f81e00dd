"""A small HTTP/1.1 keep-alive load generator (used when wrk is not installed); runs as its own process.

`python bench/loadgen.py URL REQUESTS_FILE --connections 32 --duration 10` posts the pre-signed
requests of the file (format in wrk_post.lua), none twice, and prints one BENCH_JSON line."""

from __future__ import annotations

import sys
from pathlib import Path

# Not bench/ on the path: bench/queue.py would shadow the standard library's queue.
if sys.path[0] == str(Path(__file__).resolve().parent):
    sys.path.pop(0)

import argparse
import asyncio
import json
import statistics
import time
from urllib.parse import urlsplit


def read_requests(path: str) -> list[tuple[dict[str, str], bytes]]:
    """The (headers, body) pairs of a requests file."""
    out = []
    with open(path, "rb") as f:
        while line := f.readline():
            sig, ts, length, ctype = line.decode().rstrip("\n").split(" ", 3)
            body = f.read(int(length))
            headers = {
                "Content-Type": ctype,
                "X-Twilio-Email-Event-Webhook-Signature": sig,
                "X-Twilio-Email-Event-Webhook-Timestamp": ts,
            }
            out.append((headers, body))
    return out


async def _connection(host, port, path, queue, deadline, latencies, stats) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.monotonic() < deadline and queue:
            headers, body = queue.pop()
            head = f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: {len(body)}\r\n"
            head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
            started = time.perf_counter()
            writer.write(head.encode() + body)
            await writer.drain()
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            status = int(status_line.split()[1])
            stats["requests"] += 1
            if not 200 <= status < 400:
                stats["non2xx"] += 1
    except (ConnectionError, asyncio.IncompleteReadError):
        stats["socket_errors"] += 1
    finally:
        writer.close()


async def run(url: str, path_file: str, connections: int, duration: float) -> dict:
    """Drive the server for `duration` seconds with `connections` keep-alive connections."""
    parts = urlsplit(url)
    queue = list(reversed(read_requests(path_file)))
    latencies: list[float] = []
    stats = {"requests": 0, "non2xx": 0, "socket_errors": 0}
    started = time.monotonic()
    deadline = started + duration
    await asyncio.gather(
        *(
            _connection(parts.hostname, parts.port, parts.path, queue, deadline, latencies, stats)
            for _ in range(connections)
        )
    )
    seconds = time.monotonic() - started
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        **stats,
        "seconds": seconds,
        "p50_ms": cuts[49] * 1000,
        "p99_ms": cuts[98] * 1000,
        "wrapped": 0,
        "exhausted": not queue,
    }


def main() -> None:
    """Command line entry."""
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("requests_file")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()
    result = asyncio.run(run(args.url, args.requests_file, args.connections, args.duration))
    print("BENCH_JSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
