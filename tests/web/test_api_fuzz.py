"""Schemathesis fuzzes every operation in /api/v1/openapi.json with a valid token of each role:
no answer is a server error, and every answer matches the document."""

import schemathesis
from hypothesis import HealthCheck, given, settings

from equipment.vocabulary import Role

EXAMPLES_PER_OPERATION = 8


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
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            for role, headers in role_headers.items():
                db.commit()
                response = case.call(headers=headers)
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path} as {role}: {response.status_code}")
                    continue
                case.validate_response(response, headers=headers)

        fuzz()
    assert operations >= 4
    assert sorted(set(failures)) == []
