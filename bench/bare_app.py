"""The baseline for bench/ingest.py: a bare FastAPI endpoint that only parses the same multipart body."""

from __future__ import annotations

from fastapi import FastAPI, Request

app = FastAPI()


@app.get("/healthz")
def healthz() -> dict[str, str]:
    """Ready probe."""
    return {"status": "ok"}


@app.post("/webhooks/inbound/{provider}")
async def inbound(provider: str, request: Request) -> dict[str, object]:
    """Parse the multipart form (as FastAPI does) and answer; nothing is verified or stored."""
    form = await request.form()
    email = form.get("email")
    size = len(email) if isinstance(email, str) else 0
    await form.close()
    return {"status": "accepted", "size": size}
