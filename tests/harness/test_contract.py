"""Contract fuzzing: schemathesis generates requests from /openapi.json and calls the app with valid
tokens; no answer may be a 5xx or break the published response schema (bounded examples)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.config import Settings
from app.main import create_app

MAX_EXAMPLES = int(os.environ.get("MOU_FUZZ_EXAMPLES", "6"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every documented operation, read from a database-less app at collection."""
    app = create_app(Settings(_env_file=None, database_url="sqlite://"), run_worker=False)
    return [
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


OPERATIONS = _operations()


@pytest.fixture(scope="module")
def api_schema(shared_app):
    """The app's own OpenAPI document, loaded over ASGI (no network)."""
    app, _ = shared_app
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.parametrize("who", ["rep_a1", "admin"])
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_contract(api_schema, shared_world, method: str, path: str, who: str):
    """Generated requests as a rep and as an admin: no 5xx; status, content type and body as documented."""
    operation = api_schema[path][method]
    headers = getattr(shared_world, who).headers

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES if who == "rep_a1" else max(MAX_EXAMPLES // 2, 3),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
