"""Schemathesis fuzzes every operation in /api/v1/openapi.json with a valid token of each role:
no answer is a server error, and every answer matches the document."""

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from equipment.vocabulary import Role

EXAMPLES_PER_OPERATION = 8
# "Matches the document": status, content type, headers and body. (Requests that are valid by
# the schema but refused by a rule, like `from` after `to`, are rightly 422: no positive-data check.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_every_operation_for_every_role(app, seeded, make, db):
    role_headers = {role: make.headers(str(role)) for role in Role}
    db.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            for role, headers in role_headers.items():
                db.commit()
                response = case.call(headers=headers)
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path} as {role}: {response.status_code}")
                    continue
                case.validate_response(response, checks=CHECKS, headers=headers)

        fuzz()
    assert operations >= 4
    assert sorted(set(failures)) == []
