"""Schemathesis against the API's own OpenAPI spec: for every operation, requests the
spec allows get a documented status, a conforming body and never a server error, on
real PostgreSQL and Kafka, as an admin. (A schema-valid request may still be one the
ledger refuses — 'to' before 'from', a resolved exception, an unbalanced adjustment —
so a 400/422 for one is not a failure: the positive-data-acceptance check is left out.)"""

import hypothesis
import psycopg
import pytest
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

from services.controls import operators
from services.entrypoints.api.app import create_app
from tests.helpers import capture, publish_orders, publish_raw, run_pipeline

pytestmark = pytest.mark.integration


def test_every_operation_answers_what_its_spec_says(settings):
    publish_orders(settings, [capture("O_1")])
    publish_raw(settings, [b"poison"])
    run_pipeline(settings)
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        token = operators.add(conn, "root", "admin", "tests")
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(settings))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(max_examples=10, deadline=None, derandomize=True, database=None,
                             suppress_health_check=list(hypothesis.HealthCheck))
        def answers(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                                   excluded_checks=[positive_data_acceptance])

        answers()
