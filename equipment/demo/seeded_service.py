"""What the demo-history generator needs to know about the seeded service: its clocks, people,
items (and how popular each is), and staff."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from equipment.errors import Conflict
from equipment.models import Item, PostcodeDistrict, ResponseClass, ServiceUser, StockBalance, User

STOCKED_OUT_SKU = "MAT-AIR"  # the item whose winter stock-outs show as stock delays


@dataclass
class SeededService:
    """What the generator needs to know about the seeded service."""

    classes: dict[str, ResponseClass]
    people: list[tuple[int, str, int]]  # service user id, district, serving depot id
    deliverable: list[tuple[int, bool]]  # item id, serialised
    delivery_weights: list[float]
    collectable: list[int]  # bulk returnable item ids (collected, cleaned, back to stock)
    collect_weights: list[float]
    stocked_out_item: int | None
    coordinators: list[int]
    drivers: list[int]


def load_seeded_service(session: Session) -> SeededService:
    classes = {rc.code: rc for rc in session.execute(select(ResponseClass)).scalars()}
    if not classes:
        raise Conflict("the service has no response classes: seed it first")
    depot_of = dict(session.execute(select(PostcodeDistrict.district, PostcodeDistrict.depot_id)).all())
    people = [
        (pid, district, depot_of[district])
        for pid, district in session.execute(select(ServiceUser.id, ServiceUser.district).order_by(ServiceUser.id))
        if district in depot_of
    ]
    if not people:
        raise Conflict("the service has no service users: seed it first")
    stock = dict(
        session.execute(
            select(StockBalance.item_id, func.sum(StockBalance.quantity)).group_by(StockBalance.item_id)
        ).all()
    )
    items = session.execute(
        select(Item.id, Item.sku, Item.serialised, Item.returnable, Item.needs_authorisation).order_by(Item.id)
    ).all()
    deliverable, weights, collectable, collect_weights, stocked_out = [], [], [], [], None
    for item_id, sku, serialised, returnable, needs_auth in items:
        popularity = max(1.0, float(stock.get(item_id, 1))) ** 0.75 * (0.15 if needs_auth else 1.0)
        if sku == STOCKED_OUT_SKU:
            stocked_out, popularity = item_id, popularity * 4
        deliverable.append((item_id, bool(serialised)))
        weights.append(popularity)
        if returnable and not serialised:
            collectable.append(item_id)
            collect_weights.append(popularity)
    staff = session.execute(select(User.id, User.role).order_by(User.id)).all()
    return SeededService(
        classes,
        people,
        deliverable,
        weights,
        collectable,
        collect_weights,
        stocked_out,
        [u for u, r in staff if r in ("coordinator", "admin")] or [None],
        [u for u, r in staff if r == "driver"] or [None],
    )
