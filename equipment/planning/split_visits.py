"""Why one address is visited by two vans in a plan (DESIGN.md "Clean and dirty"): the plan
says so beside its routes, so a coordinator is not left guessing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from equipment.planning.views import PlanView, RouteView, StopView
from equipment.vocabulary import OrderKind


@dataclass(frozen=True)
class SplitVisit:
    service_user_id: int
    area: str
    vans: list[str]
    order_refs: list[str]
    reason: str


def _reason(visits: list[tuple[RouteView, StopView]]) -> str:
    orders = [o for _, sv in visits for o in sv.orders]
    depots = {o.depot_id for o in orders}
    if len(depots) > 1:
        return "the orders are served from different depots"
    slots = {(o.slot_start, o.slot_end) for o in orders}
    if len(slots) > 1:
        return "the orders have different appointment slots"
    kinds = {o.kind for o in orders}
    if OrderKind.DELIVERY in kinds and OrderKind.COLLECTION in kinds:
        delivering = [rv.van for rv, sv in visits if any(o.kind == OrderKind.DELIVERY for o in sv.orders)]
        plain = [v.reg for v in delivering if not v.segregated]
        if plain:
            return (
                f"clean and dirty: {', '.join(plain)} has no separate dirty compartment, so the collection "
                "is a visit of its own, after that van's deliveries or on another van"
            )
        return "clean and dirty: no van with a dirty compartment had room for the delivery and the collection together"
    return "no single van had the capacity, crew skills and time for all of it"


def split_visits(view: PlanView) -> list[SplitVisit]:
    """Addresses with stops on more than one route of the plan, each with the reason."""
    by_person: dict[int, list[tuple[RouteView, StopView]]] = defaultdict(list)
    for rv in view.routes:
        for sv in rv.stops:
            by_person[sv.stop.service_user_id].append((rv, sv))
    out = []
    for person_id, visits in sorted(by_person.items()):
        vans = sorted({rv.van.reg for rv, _ in visits})
        if len(vans) < 2:
            continue
        person = next((sv.person for _, sv in visits if sv.person), None)
        out.append(
            SplitVisit(
                service_user_id=person_id,
                area=person.district if person else "",
                vans=vans,
                order_refs=[o.ref for _, sv in visits for o in sv.orders],
                reason=_reason(visits),
            )
        )
    return out
