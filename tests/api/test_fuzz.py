"""API fuzzing: schemathesis generates requests for every operation of /api/schema/,
anonymously and as a member; none may answer 5xx and every answer must match the schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from wellness.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

# No 5xx, and every answer documented: its status code, content type and body shape.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FUZZ = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@pytest.fixture
def member_headers(db):
    from accounts.services import api_token_create
    from tests.factories import RoutineFactory, UserFactory

    RoutineFactory()
    _, key = api_token_create(user=UserFactory())
    return {"Authorization": f"Token {key}"}


@schema.parametrize()
@FUZZ
@pytest.mark.django_db(transaction=True)
def test_every_operation_as_a_member(case, member_headers):
    case.call_and_validate(headers=member_headers, checks=CHECKS)
