"""/api/v1/routes (a driver sees only their own) and /api/v1/stops/{id}/outcome."""

from __future__ import annotations

from flask import request
from flask_openapi3 import APIBlueprint, Tag

from equipment import deliveries, service_time
from equipment.planning.schemas import OutcomeRequest, OutcomeResult, RouteList, RouteQuery, StopOnlyPath
from equipment.schemas import Problem
from equipment.vocabulary import Role
from equipment.web import local_time
from equipment.web.access import allow, current_principal
from equipment.web.database import get_db
from equipment.web.local_time import service_tz

bp = APIBlueprint("api_routes", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="routes")])

ERRORS = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}


@bp.get("/routes", responses={200: RouteList, **ERRORS})
@allow(Role.ADMIN, Role.COORDINATOR, Role.CLERK, Role.DRIVER)
def list_routes(query: RouteQuery):
    """Published routes of a day with their stops. A driver gets only their own van's route, and
    only today's (the service's local date): any other date is 403. Coordinators and admins may
    ask for any date. A clerk gets the same model with every personal field null (name, address,
    postcode, phone, access notes, safety alerts, location): order refs, items and area only."""
    me = current_principal()
    items = deliveries.routes_for_day(
        get_db(), service_date=query.date, viewer=deliveries.Actor(me.id, me.role, me.van_id), tz=service_tz()
    )
    return RouteList(items=items, total=len(items)).model_dump(mode="json")


@bp.post("/stops/<int:id>/outcome", responses={200: OutcomeResult, **ERRORS})
@allow(Role.ADMIN, Role.COORDINATOR, Role.DRIVER)
def record_outcome(path: StopOnlyPath, body: OutcomeRequest):
    """Record what happened at a stop. Send an Idempotency-Key to make retries safe: the same key
    and body answer the same again without a second effect; the same key with another body is 409."""
    me = current_principal()
    payload = body.model_dump(exclude_none=True)
    if body.at is not None and body.at.tzinfo is None:
        payload["at"] = service_time.assume_local(body.at, service_tz())
    status, result = deliveries.record_outcome(
        get_db(),
        stop_id=path.id,
        actor=deliveries.Actor(me.id, me.role, me.van_id),
        payload=payload,
        idempotency_key=request.headers.get("Idempotency-Key"),
        method="POST",
        path=request.path,
        tz=service_tz(),
        attribution=local_time.attribution(),
    )
    return OutcomeResult.model_validate(result).model_dump(mode="json"), status
