"""Which depot an order's stock comes from, and reserving it there (through equipment.stock).

The depot that serves the address's postcode district comes first; when it cannot supply the
whole order, the nearest depot (by great-circle distance from the address) that can does, and
the order is then served from that depot. When no depot can supply it all, the order waits as a
back-order at its serving depot, holding what that depot has; `equipment.backorders.fill`
completes it as stock arrives there. Helpers flush only.
"""

from __future__ import annotations

import math
from collections import defaultdict

from sqlmodel import Session, select

from equipment import stock
from equipment.models import Depot, Item, Order, OrderLine, PostcodeDistrict


def serving_depot(session: Session, district: str) -> Depot:
    row = session.get(PostcodeDistrict, district)
    if row is None:  # geocoding already refused addresses outside the service area
        raise LookupError(f"no depot serves {district}")
    return session.get(Depot, row.depot_id)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def candidate_depots(session: Session, home: Depot, lat: float, lon: float) -> list[Depot]:
    """The serving depot, then the others nearest first."""
    others = [d for d in session.exec(select(Depot)).all() if d.id != home.id]
    others.sort(key=lambda d: (distance_km(lat, lon, d.lat, d.lon), d.code))
    return [home, *others]


def outstanding(lines: list[OrderLine]) -> dict[int, int]:
    """Units still to reserve, per item."""
    needed: dict[int, int] = defaultdict(int)
    for line in lines:
        if line.quantity > line.allocated:
            needed[line.item_id] += line.quantity - line.allocated
    return dict(needed)


def allocate(
    session: Session, order: Order, lines: list[OrderLine], *, lat: float, lon: float, user_id: int | None
) -> bool:
    """Reserve the order's outstanding units; True when every line is then fully allocated.

    Sets order.depot_id to the depot that supplies it (the serving depot when none can)."""

    needed = outstanding(lines)
    if not needed:
        return True
    if any(line.allocated for line in lines):
        # Part is already held at the order's depot: the rest must come from there too.
        candidates = [session.get(Depot, order.depot_id)]
    else:
        candidates = candidate_depots(session, serving_depot(session, order.district), lat, lon)
    for depot in candidates:
        if all(stock.available_quantity(session, depot_id=depot.id, item_id=i) >= n for i, n in needed.items()):
            order.depot_id = depot.id
            return _reserve_all(session, lines, depot.id, user_id)
    order.depot_id = candidates[0].id
    return _reserve_all(session, lines, candidates[0].id, user_id)


def _reserve_all(session: Session, lines: list[OrderLine], depot_id: int, user_id: int | None) -> bool:

    # Always in item order: two orders locking the same balances in opposite orders could deadlock.
    for line in sorted(lines, key=lambda line: (line.item_id, line.id or 0)):
        if line.quantity > line.allocated:
            stock.reserve_for_line(session, line=line, depot_id=depot_id, user_id=user_id)
    session.flush()
    return all(line.allocated >= line.quantity for line in lines)


def move_whole_order(
    session: Session, order: Order, lines: list[OrderLine], *, lat: float, lon: float, user_id: int | None
) -> Depot | None:
    """A part-held back-order: when another depot can supply the whole order, release what is
    held and reserve it all there; returns that depot (None when no depot can)."""

    total: dict[int, int] = defaultdict(int)
    for line in lines:
        total[line.item_id] += line.quantity
    for depot in candidate_depots(session, serving_depot(session, order.district), lat, lon):
        if depot.id == order.depot_id:
            continue
        if all(stock.available_quantity(session, depot_id=depot.id, item_id=i) >= n for i, n in total.items()):
            release_all(session, lines, user_id=user_id)
            order.depot_id = depot.id
            if _reserve_all(session, lines, depot.id, user_id):
                return depot
            return None
    return None


def release_all(session: Session, lines: list[OrderLine], *, user_id: int | None) -> None:

    for line in lines:
        if line.allocated:
            stock.release_line(session, line=line, user_id=user_id)
    session.flush()


def shortfall_text(session: Session, lines: list[OrderLine]) -> str:
    """`BED-PROF-E x1, COM-STD x2` for what is still missing."""

    parts = []
    for item_id, count in sorted(outstanding(lines).items()):
        item = session.get(Item, item_id)
        parts.append(f"{item.sku} x{count}")
    return ", ".join(parts)
