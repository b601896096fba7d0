"""What a driver sees of a day: the published routes they may see, each stop with the person,
the address, notes and alerts, and what to deliver and collect there. A clerk's load list has
no personal field at all. Showing a route is audited, and so is each person it shows."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, func, select

from equipment import audit, compliance, planning, service_time
from equipment.db import use_case
from equipment.deliveries.permissions import Actor
from equipment.errors import Forbidden
from equipment.models import Item, OrderLine, Plan, Route, ServiceUser, Stop
from equipment.planning.schemas import LinePublic, RouteDetail, StopDetail
from equipment.schemas import Location
from equipment.vocabulary import OrderKind, Role

# Who may see the people on a route; a clerk's load list shows only refs, items and the area.
SEES_PEOPLE = (Role.DRIVER, Role.COORDINATOR, Role.ADMIN)
PERSON_FIELDS = ("location", "name", "address", "postcode", "phone", "access_notes", "safety_alerts")


@use_case
def routes_for_day(
    session: Session, *, service_date: date, viewer: Actor, tz: str = service_time.DEFAULT_TZ
) -> list[RouteDetail]:
    """The day's published routes as their drivers need them; a driver gets only their own
    van's, and only today's (another day is Forbidden). Each route shown is recorded in the audit trail."""
    if viewer.role == Role.DRIVER and service_date != service_time.today(tz):
        raise Forbidden("a driver sees only today's route")
    if viewer.role == Role.DRIVER:
        views = planning.day_routes(session, service_date=service_date, van_id=viewer.van_id) if viewer.van_id else []
    else:
        views = planning.day_routes(session, service_date=service_date)
    personal = viewer.role in SEES_PEOPLE
    routes = [route_detail(session, rv, personal=personal) for rv in views]
    for rv in views:
        audit.record(session, user_id=viewer.user_id, action="viewed_route", entity="route", entity_id=rv.route.id)
        if personal:
            _audit_people_shown(session, rv, user_id=viewer.user_id)
    return routes


@use_case
def next_published_day(session: Session, *, van_id: int | None, after: date) -> date | None:
    """The next day after `after` with a published route for the van (None without one)."""
    if van_id is None:
        return None
    return session.exec(
        select(func.min(Plan.service_date))
        .join(Route, Route.plan_id == Plan.id)
        .where(Route.van_id == van_id, Plan.published_at.is_not(None), Plan.service_date > after)
    ).one()


def _audit_people_shown(session: Session, rv: planning.RouteView, *, user_id: int | None) -> None:
    """One audit row for each person whose details a route shows: a view of a person's record."""
    shown = {sv.person.id for sv in rv.stops}
    for person_id in sorted(shown):
        audit.record(
            session,
            user_id=user_id,
            action="viewed",
            entity="service_user",
            entity_id=person_id,
            detail=f"on route {rv.route.id}",
        )


def route_detail(session: Session, rv: planning.RouteView, *, personal: bool = True) -> RouteDetail:
    """A route as its driver needs it: people, addresses, notes, what to deliver and collect.
    Without `personal` (a clerk's load list) every detail of the person is left out."""
    orders = [o for sv in rv.stops for o in sv.orders]
    lines = planning.order_lines(session, orders)
    stops = []
    for sv in rv.stops:
        s, person = sv.stop, sv.person
        deliver = [e for o in sv.orders if o.kind == OrderKind.DELIVERY for e in lines[o.id]]
        collect = [e for o in sv.orders if o.kind == OrderKind.COLLECTION for e in lines[o.id]]
        inspect = [e for o in sv.orders if o.kind == OrderKind.INSPECTION for e in lines[o.id]]
        stops.append(
            StopDetail(
                id=s.id,
                sequence=s.sequence,
                order_refs=[o.ref for o in sv.orders],
                eta=s.eta,
                late=s.late,
                due_at=s.due_at,
                overdue=s.overdue,
                late_by_minutes=s.late_by_minutes,
                status=s.status,
                service_minutes=s.service_minutes,
                area=person.district,
                deliver=_lines(deliver),
                collect=_lines(collect),
                inspect=_lines(inspect),
                recalls=compliance.recalls_at_visit(session, [o.id for o in sv.orders]),
                **(_person_fields(s, person) if personal else dict.fromkeys(PERSON_FIELDS)),
            )
        )
    r = rv.route
    return RouteDetail(
        id=r.id,
        plan_id=r.plan_id,
        date=planning.get_plan(session, r.plan_id).service_date,
        van=rv.van.reg,
        depot=rv.depot_code,
        driver=rv.driver.username if rv.driver else None,
        start_at=r.start_at,
        end_at=r.end_at,
        distance_km=round(r.distance_m / 1000, 1),
        stops=stops,
    )


def _person_fields(stop: Stop, person: ServiceUser) -> dict[str, Any]:
    return {
        "location": Location(lat=stop.lat, lon=stop.lon),
        "name": person.name,
        "address": person.address,
        "postcode": person.postcode,
        "phone": person.phone,
        "access_notes": person.access_notes,
        "safety_alerts": person.safety_alerts,
    }


def _lines(entries: list[tuple[OrderLine, Item, list[str]]]) -> list[LinePublic]:
    return [
        LinePublic(sku=item.sku, name=item.name, quantity=line.quantity, serials=serials)
        for line, item, serials in entries
    ]
