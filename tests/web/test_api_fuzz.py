"""Schemathesis fuzzes every operation in /api/v1/openapi.json with a valid token of each role
(and none): no answer is a server error, every answer matches the document, and the server
log holds no traceback.

Half the cases of an operation with path parameters use ids that exist (an asset, an order, a
planned day's plan, route and stop, a stock movement), so the checks reach past the 404s. Both
data the document allows and data it forbids are sent. CI runs a seeded, bounded profile
(FUZZ_EXAMPLES=4 per operation and mode, under a minute). A longer run, with another seed:

    FUZZ_EXAMPLES=100 FUZZ_SEED=$RANDOM .venv/bin/python -m pytest -q tests/web/test_api_fuzz.py

(add TEST_DATABASE_URL=postgresql://... for PostgreSQL). Every failure found is listed at once.
"""

from __future__ import annotations

import logging
import os
import re
import time
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlmodel import select

from equipment.models import Asset, Route, StockMovement, Stop
from equipment.vocabulary import Role

EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "4"))
SEED = int(os.environ.get("FUZZ_SEED", "15"))
# A solve asked for by a fuzzed body is kept short: the run checks answers, not the router.
MAX_SOLVE_SECONDS = 0.2
# "Matches the document": status, content type, headers and body. (Requests that are valid by
# the schema but refused by a rule, like `from` after `to`, are rightly 422: no positive-data check.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
REVOKES_TOKENS = ("DELETE", "/api/v1/auth/token")


def _known_ids(client, db, make) -> dict[str, Any]:
    """Path parameter values that exist: a planned, solved day with its route and stop, an
    order, an asset and a stock movement."""
    order = make.order()
    coordinator = make.headers(Role.COORDINATOR)
    day = order.due_at.date()
    answer = client.post("/api/v1/plans", json={"date": day.isoformat(), "seconds": 0.5}, headers=coordinator)
    assert answer.status_code == 202, answer.get_json()
    plan_id = answer.get_json()["id"]
    deadline = time.monotonic() + 30
    while client.get(f"/api/v1/plans/{plan_id}", headers=coordinator).get_json()["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, "the plan did not finish"
        time.sleep(0.1)
    db.expire_all()
    route = db.exec(select(Route).where(Route.plan_id == plan_id)).first()
    stop = db.exec(select(Stop).where(Stop.route_id == route.id)).first() if route else None
    known = {
        "serial": db.exec(select(Asset.serial)).first(),
        "ref": order.ref,
        "id": plan_id,
        "route_id": route.id if route else None,
        "stop_id": stop.id if stop else None,
        "movement_id": db.exec(select(StockMovement.id)).first(),
        "transfer_id": None,
    }
    return {name: value for name, value in known.items() if value is not None}


def _strategy(operation, mode: GenerationMode, known: dict[str, Any]):
    names = re.findall(r"{(\w+)}", operation.path)
    strategy = operation.as_strategy(generation_mode=mode)
    if names and all(name in known for name in names):
        existing = operation.as_strategy(generation_mode=mode, path_parameters={n: known[n] for n in names})
        strategy = st.one_of(strategy, existing)
    return strategy.map(_bounded)


def _bounded(case):
    if isinstance(case.body, dict) and isinstance(case.body.get("seconds"), int | float):
        case.body["seconds"] = min(max(case.body["seconds"], 0.01), MAX_SOLVE_SECONDS)
    return case


def _first_line(exc: BaseException) -> str:
    title = getattr(exc, "title", "") or type(exc).__name__
    message = " ".join((getattr(exc, "message", "") or str(exc)).split())
    return f"{title}: {message}"[:300]


# Data the document allows, then data it forbids: two tests, so two workers can share them.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["allowed", "forbidden"])
def test_every_operation_for_every_role(mode, app, client, seeded, make, db, caplog):
    known = _known_ids(client, db, make)
    roles: dict[str, dict[str, str]] = {str(role): make.headers(str(role)) for role in Role}
    roles["anonymous"] = {}
    db.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: set[str] = set()
    operations = calls = 0

    def call(case, role: str, headers: dict[str, str]) -> None:
        nonlocal calls
        db.commit()  # the test's own transaction never holds a lock the app waits on
        if (case.method.upper(), case.operation.path) == REVOKES_TOKENS and headers:
            headers = make.headers(role)  # ending a token must not end the run's own
            db.commit()
        calls += 1
        response = case.call(headers=headers)
        where = f"{case.method.upper()} {case.operation.path} as {role}"
        if response.status_code >= 500:
            failures.add(f"{where}: {response.status_code} ({case.formatted_path})")
            return
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # every mismatch is listed, not only the first
            for one in getattr(exc, "exceptions", None) or [exc]:
                failures.add(f"{where}: {_first_line(one)}")

    caplog.set_level(logging.WARNING)
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @seed(SEED)
        @given(case=_strategy(operation, mode, known))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=timedelta(seconds=30),
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            for role, headers in roles.items():
                call(case, role, headers)

        try:
            fuzz()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # an operation with nothing that can be sent wrong

    tracebacks = [r.getMessage() for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert operations >= 40 and calls >= operations * len(roles)
    assert {"id", "route_id", "stop_id", "ref", "serial"} <= set(known), known
    assert not failures, "\n".join(["", *sorted(failures)])
    assert not tracebacks, "\n".join(["", *tracebacks])
