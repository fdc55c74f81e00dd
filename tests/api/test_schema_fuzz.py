"""Property-based run of the memo, review and account API against its own OpenAPI schema: no 500s,
responses match the documented schemas, whatever the input."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.helpers import insert_mou

# Schema-valid input may still be refused with a clear 422 by rules JSON Schema cannot state (a strictly
# valid address, a known template, no lone surrogates); what must hold is: no 500, documented responses.

OUR_PATHS = (
    r"^/api/(me(/tokens(/\{token_id\})?)?|mous(\.csv)?|mous/\{mou_id\}(/preview|/reviews|/send)?"
    r"|check|preview|queue/export\.csv|dashboard)$"
)


@pytest.mark.slow
def test_api_conforms_to_its_schema(app, world, session):
    for rep in (world.rep_a1.user, world.rep_b1.user):
        insert_mou(session, rep, status="draft")
    session.commit()
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex=OUR_PATHS)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            case.call_and_validate(
                headers=world.manager_a.headers, excluded_checks=[positive_data_acceptance]
            )

        run()
