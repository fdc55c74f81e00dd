"""Shared pieces of the benchmarks and the live-server tests: signed SendGrid payloads, a real uvicorn
server in a subprocess on a fresh database, a load generator and RSS readings."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

ROOT = Path(__file__).resolve().parents[1]
KEYS = ROOT / "tests/intake/payloads/keys"
PYTHON = sys.executable
INBOUND = "mou@inbound.mou-assistant.example"
REP = "dana.whitfield@acme-sales.example"
BOUNDARY = "xYzZY-mou-bench-boundary"

MEMO = """To: Priya Raman <priya.raman@harborline-freight.example>

Hi Priya,

Thanks for the time on Tuesday. Here is what I understood; please correct anything I got wrong.

Situation: Harborline runs 140 trucks out of three depots and plans routes by hand in spreadsheets every
morning; dispatch takes two people about three hours a day.
Goals: cut dispatch time to under an hour by Q3 and raise on-time deliveries from 88% to 95%.
Obstacles: the spreadsheets hold no live traffic data and the depot managers each use their own format.
Complications: the IT team is busy migrating the ERP until June and the CFO must approve any spend
over $50k; the current telematics contract runs until September.
Next step: you will send us two weeks of route sheets by Friday 14 March so we can model the savings.

Best regards,
Dana
"""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- payloads ----------------------------------------------------------------------------------


def raw_email(
    n: int, *, run: str = "", memo: str = MEMO, attachments: list[tuple[str, bytes]] | None = None
) -> bytes:
    """A complete draft from the rep to the assistant; `n` makes its Message-ID and content unique."""
    if attachments:
        return _build_email(f"{run}-{n}", memo, attachments)
    # The MIME rendering is the slow part: render once per memo, then only swap the unique token.
    key = (memo, run)
    if key not in _TEMPLATES:
        _TEMPLATES.clear()
        _TEMPLATES[key] = _build_email(f"{run}-@@N@@", memo, [])
    return _TEMPLATES[key].replace(b"@@N@@", str(n).encode())


_TEMPLATES: dict[tuple[str, str], bytes] = {}


def _build_email(token: str, memo: str, attachments: list[tuple[str, bytes]]) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Dana Whitfield <{REP}>"
    msg["To"] = INBOUND
    msg["Subject"] = f"MOU Harborline Freight #{token}"
    msg["Message-ID"] = f"<bench-{token}@acme-sales.example>"
    msg["Date"] = "Tue, 11 Mar 2025 16:47:06 +0000"
    msg.set_content(memo.replace("Harborline runs", f"Harborline (ref {token}) runs"), cte="8bit")
    for name, data in attachments:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes(policy=SMTP)


def sendgrid_form(raw: bytes, boundary: str = BOUNDARY) -> bytes:
    """A SendGrid Inbound Parse raw-mode multipart body carrying `raw`."""
    fields = [
        ("dkim", b"{@acme-sales.example : pass}"),
        ("email", raw),
        ("to", INBOUND.encode()),
        ("from", f"Dana Whitfield <{REP}>".encode()),
        ("subject", b"MOU Harborline Freight"),
        ("sender_ip", b"192.0.2.10"),
        ("envelope", json.dumps({"to": [INBOUND], "from": REP}).encode()),
        ("charsets", b'{"to":"UTF-8","from":"UTF-8","subject":"UTF-8"}'),
        ("SPF", b"pass"),
    ]
    out = []
    for name, value in fields:
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.append(value + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


class SendGridSigner:
    """Signs bodies with the published SendGrid test key, as a signed-webhook policy would."""

    def __init__(self) -> None:
        pem = (KEYS / "sendgrid_TEST_ecdsa_p256_private.pem").read_bytes()
        self.key = serialization.load_pem_private_key(pem, password=None)
        self.public_key_b64 = (KEYS / "sendgrid_TEST_public_key.b64").read_text().strip()

    def headers(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """Content type plus the signature headers over timestamp + body."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        sig = self.key.sign(ts.encode() + body, ec.ECDSA(hashes.SHA256()))
        return {
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(sig).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": ts,
        }


@dataclass
class Signed:
    """One ready-to-post request."""

    body: bytes
    headers: dict[str, str]


def signed_requests(count: int, run: str | None = None, signer: SendGridSigner | None = None) -> list[Signed]:
    """`count` distinct, validly signed SendGrid posts (each a new Message-ID)."""
    run = run or uuid.uuid4().hex[:8]
    signer = signer or SendGridSigner()
    out = []
    for n in range(count):
        body = sendgrid_form(raw_email(n, run=run))
        out.append(Signed(body, signer.headers(body)))
    return out


# --- a live server -----------------------------------------------------------------------------


@dataclass
class Server:
    """A uvicorn process serving the app (or any ASGI target) on a fresh data dir."""

    data_dir: Path
    target: str = "app.asgi:app"
    database_url: str | None = None
    workers: int = 1
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """The server's environment: only MOU_* settings this run chose (none inherited)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOU_")}
        env.update(
            MOU_DATA_DIR=str(self.data_dir),
            MOU_DEMO_ON_EMPTY="false",
            MOU_WEBHOOK_RATE_PER_MINUTE="0",
            MOU_INBOUND_ADDRESS=INBOUND,
            MOU_INTERNAL_DOMAINS="acme-sales.example,mou-assistant.example",
            PYTHONPATH=str(ROOT),
        )
        if self.database_url:
            env["MOU_DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 30.0) -> Server:
        """Start uvicorn and wait until it answers."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.log_path or self.data_dir / f"server-{self.port}.log"
        cmd = [PYTHON, "-m", "uvicorn", self.target, "--host", "127.0.0.1", "--port", str(self.port)]
        cmd += ["--workers", str(self.workers), "--no-access-log", "--log-level", "warning"]
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(cmd, env=self.env(), cwd=ROOT, stdout=log, stderr=log)
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        """Poll until the server accepts a request (any answer will do)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"server exited early; see {self.log_path}")
            try:
                httpx.get(self.url + "/healthz", timeout=1.0)
                return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError(f"server did not start within {timeout}s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL the server (and its worker processes): no shutdown code runs."""
        if self.proc is None:
            return
        for pid in [*child_pids(self.proc.pid), self.proc.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        """Graceful stop (SIGTERM), SIGKILL after a grace period."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def pids(self) -> list[int]:
        """The server process and its workers."""
        return [] if self.proc is None else [self.proc.pid, *child_pids(self.proc.pid)]

    def rss_mb(self) -> float:
        """Resident memory of the server and its worker processes, in MB."""
        return sum(rss_kb(pid) for pid in self.pids()) / 1024

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def child_pids(pid: int) -> list[int]:
    """Direct children of a process (uvicorn's worker processes), from /proc."""
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split() if (task / "children").exists() else []
        out += [int(c) for c in children]
    return out


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each of these processes so far (one that is gone is left out)."""
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14 and 15 of stat)
    return out


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two readings (a process started meanwhile counts from zero)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def postgres_pids() -> list[int]:
    """The local PostgreSQL server's processes (postmaster, backends, writers), from /proc."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/comm"):
        with contextlib.suppress(OSError):
            if stat.read_text().strip() == "postgres":
                out.append(int(stat.parent.name))
    return out


def rss_kb(pid: int, key: str = "VmRSS") -> int:
    """VmRSS (or VmHWM, the peak) of a process in kB, 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except FileNotFoundError:
        return 0
    return 0


def migrate(database_url: str) -> None:
    """Apply the migrations to a new database."""
    from app.migrate import upgrade

    upgrade(database_url)


def sqlite_url(data_dir: Path) -> str:
    """The app's default SQLite file under a data dir."""
    return f"sqlite:///{(data_dir / 'mou.db').resolve()}"


def pg_url_default() -> str:
    """The PostgreSQL the benchmarks make their databases next to: MOU_TEST_DATABASE_URL, else local."""
    return os.environ.get("MOU_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def pg_database(base_url: str) -> Iterator[str]:
    """A new PostgreSQL database next to `base_url`, dropped afterwards."""
    from app.db import create_scratch_database, drop_scratch_database

    url = create_scratch_database(base_url, "mou_bench")
    try:
        yield url
    finally:
        drop_scratch_database(base_url, url)


def seed_rep(database_url: str, data_dir: Path) -> None:
    """A team with a manager and the rep the payloads come from."""
    from sqlmodel import Session

    from app.accounts import service as accounts
    from app.config import Settings
    from app.db import make_engine
    from app.models import Role

    settings = Settings(_env_file=None, database_url=database_url, data_dir=data_dir)
    engine = make_engine(settings)
    with Session(engine) as session:
        team = accounts.create_team(session, "Enterprise East", "structured")
        accounts.create_user(
            session, email=REP, name="Dana Whitfield", role=Role.rep, team=team, password="x" * 16
        )
        accounts.create_user(
            session,
            email="maria.manager@acme-sales.example",
            name="Maria Manager",
            role=Role.manager,
            team=team,
            password="x" * 16,
        )
        session.commit()
    engine.dispose()
