"""/api/v1/routes (a driver sees only their own) and /api/v1/stops/{id}/outcome."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_openapi3 import APIBlueprint, Tag

from equipment import audit, deliveries, planning
from equipment.planning.schemas import (
    LinePublic,
    OutcomeRequest,
    OutcomeResult,
    RouteDetail,
    RouteList,
    RouteQuery,
    StopDetail,
    StopOnlyPath,
)
from equipment.schemas import Location, Problem
from equipment.vocabulary import OrderKind, Role
from equipment.web.access import allow, current_principal
from equipment.web.database import get_db

bp = APIBlueprint("api_routes", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="routes")])

ERRORS = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}


def _lines(entries) -> list[LinePublic]:
    return [LinePublic(sku=item.sku, name=item.name, quantity=line.quantity, serials=serials)
            for line, item, serials in entries]


def route_detail(session, rv: planning.RouteView) -> RouteDetail:
    """A route as its driver needs it: people, addresses, notes, what to deliver and collect."""
    orders = [o for sv in rv.stops for o in sv.orders]
    lines = planning.order_lines(session, orders)
    stops = []
    for sv in rv.stops:
        s, person = sv.stop, sv.person
        deliver = [e for o in sv.orders if o.kind != OrderKind.COLLECTION for e in lines[o.id]]
        collect = [e for o in sv.orders if o.kind == OrderKind.COLLECTION for e in lines[o.id]]
        stops.append(StopDetail(
            id=s.id, sequence=s.sequence, order_refs=[o.ref for o in sv.orders], eta=s.eta, late=s.late,
            status=s.status, service_minutes=s.service_minutes, location=Location(lat=s.lat, lon=s.lon),
            name=person.name, address=person.address, postcode=person.postcode, phone=person.phone,
            access_notes=person.access_notes, safety_alerts=person.safety_alerts,
            deliver=_lines(deliver), collect=_lines(collect),
        ))
    r = rv.route
    return RouteDetail(
        id=r.id, plan_id=r.plan_id, date=planning.get_plan(session, r.plan_id).service_date, van=rv.van.reg,
        depot=rv.depot_code, driver=rv.driver.username if rv.driver else None, start_at=r.start_at, end_at=r.end_at,
        distance_km=round(r.distance_m / 1000, 1), stops=stops,
    )


@bp.get("/routes", responses={200: RouteList, **ERRORS})
@allow(Role.ADMIN, Role.COORDINATOR, Role.CLERK, Role.DRIVER)
def list_routes(query: RouteQuery):
    """Published routes of a day with their stops; a driver gets only their own van's route."""
    me = current_principal()
    session = get_db()
    if me.role == Role.DRIVER:
        views = planning.day_routes(session, service_date=query.date, van_id=me.van_id) if me.van_id else []
    else:
        views = planning.day_routes(session, service_date=query.date)
    items = [route_detail(session, rv) for rv in views]
    for rv in views:
        audit.record(session, user_id=me.id, action="viewed_route", entity="route", entity_id=rv.route.id)
    session.commit()
    return RouteList(items=items, total=len(items)).model_dump(mode="json")


@bp.post("/stops/<int:id>/outcome", responses={200: OutcomeResult, **ERRORS})
@allow(Role.ADMIN, Role.COORDINATOR, Role.DRIVER)
def record_outcome(path: StopOnlyPath, body: OutcomeRequest):
    """Record what happened at a stop. Send an Idempotency-Key to make retries safe: the same key
    and body answer the same again without a second effect; the same key with another body is 409."""
    me = current_principal()
    payload = body.model_dump(exclude_none=True)
    if body.at is not None and body.at.tzinfo is None:
        payload["at"] = body.at.replace(tzinfo=ZoneInfo(current_app.config.get("TIMEZONE", "Europe/London")))
    status, result = deliveries.record_outcome(
        get_db(), stop_id=path.id, actor=deliveries.Actor(me.id, me.role, me.van_id), payload=payload,
        idempotency_key=request.headers.get("Idempotency-Key"), method="POST", path=request.path,
    )
    return OutcomeResult.model_validate(result).model_dump(mode="json"), status
