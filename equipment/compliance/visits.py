"""Visit orders made by the service itself: an inspection of units in a home, and a swap
(deliver a replacement, collect the unsafe unit) at one visit. Helpers only: they add and flush."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlmodel import Session

from equipment import audit
from equipment.errors import Invalid
from equipment.models import Asset, Item, Order, OrderLine, ResponseClass, ServiceUser
from equipment.orders import clocks
from equipment.orders.allocation import allocate, serving_depot, shortfall_text
from equipment.orders.records import add_event
from equipment.vocabulary import OrderKind, OrderStatus


def response_class(session: Session, code: str, *, kind: str, field: str = "response_class") -> ResponseClass:
    """A response class of the given kind (delivery or collection), or Invalid naming the field."""
    rc = session.get(ResponseClass, code)
    if rc is None:
        raise Invalid(f"Unknown response class {code!r}", field=field)
    if rc.kind != kind:
        raise Invalid(f"{rc.name} is a {rc.kind} class; a visit needs a {kind} class", field=field)
    return rc


def _new_order(
    session: Session,
    *,
    kind: str,
    rc: ResponseClass,
    person: ServiceUser,
    now: datetime,
    due_at: datetime,
    user_id: int | None,
    notes: str,
    depot_id: int | None = None,
) -> Order:
    order = Order(
        ref="new-" + uuid.uuid4().hex[:16],
        kind=kind,
        response_class=rc.code,
        status=OrderStatus.READY,
        service_user_id=person.id,
        depot_id=depot_id or serving_depot(session, person.district).id,
        district=person.district,
        received_at=now,
        clock_started_at=now,
        due_at=due_at,
        notes=notes[:1000],
        created_by=user_id,
    )
    session.add(order)
    session.flush()
    order.ref = f"EQ-{order.id:06d}"
    return order


def add_unit_lines(session: Session, order: Order, assets: list[Asset]) -> None:
    """One line per unit, by serial (what the driver inspects or collects)."""
    session.add_all([OrderLine(order_id=order.id, item_id=a.item_id, quantity=1, serial=a.serial) for a in assets])
    session.flush()


def inspection_visit(
    session: Session,
    *,
    person: ServiceUser,
    assets: list[Asset],
    rc: ResponseClass,
    due_on: date | None,
    now: datetime,
    user_id: int | None,
    notes: str,
    tz: str,
) -> Order:
    """A visit to inspect (or modify) units in a home: due at the end of `due_on`'s working day,
    else by the class's clock from now. The items' skills come with the lines."""
    due_at = clocks.end_of_working_day(due_on, tz=tz) if due_on else clocks.due_at(rc, now, tz=tz)
    order = _new_order(
        session, kind=OrderKind.INSPECTION, rc=rc, person=person, now=now, due_at=due_at, user_id=user_id, notes=notes
    )
    add_unit_lines(session, order, assets)
    serials = ", ".join(a.serial for a in assets)
    add_event(session, order, user_id, "received", f"inspection visit: {serials}; {notes}")
    audit.record(session, user_id=user_id, action="created", entity="order", entity_id=order.ref, detail=notes)
    return order


def swap_visit(
    session: Session,
    *,
    person: ServiceUser,
    asset: Asset,
    delivery_class: ResponseClass,
    collection_class: ResponseClass,
    now: datetime,
    user_id: int | None,
    notes: str,
    tz: str,
) -> tuple[Order, Order]:
    """A replacement delivered and the unit collected, at one visit (same depot, same address,
    same due time); the replacement is reserved like any delivery, or waits as a back-order."""
    due_at = clocks.due_at(delivery_class, now, tz=tz)
    delivery = _new_order(
        session,
        kind=OrderKind.DELIVERY,
        rc=delivery_class,
        person=person,
        now=now,
        due_at=due_at,
        user_id=user_id,
        notes=f"replacement for {asset.serial}: {notes}",
    )
    line = OrderLine(order_id=delivery.id, item_id=asset.item_id, quantity=1)
    session.add(line)
    session.flush()
    complete = allocate(session, delivery, [line], lat=person.lat, lon=person.lon, user_id=user_id)
    item = session.get(Item, asset.item_id)
    if complete:
        add_event(session, delivery, user_id, "received", f"swap: replacement {item.sku} reserved")
    else:
        delivery.status = OrderStatus.BACK_ORDER
        add_event(session, delivery, user_id, "back_order", f"swap: waiting for {shortfall_text(session, [line])}")
    collection = _new_order(
        session,
        kind=OrderKind.COLLECTION,
        rc=collection_class,
        person=person,
        now=now,
        due_at=due_at,
        user_id=user_id,
        notes=f"collect {asset.serial} (unsafe): {notes}",
        depot_id=delivery.depot_id,
    )
    add_unit_lines(session, collection, [asset])
    add_event(session, collection, user_id, "received", f"swap: collect {asset.serial}")
    for order in (delivery, collection):
        audit.record(session, user_id=user_id, action="created", entity="order", entity_id=order.ref, detail=notes)
    session.add(delivery)
    session.flush()
    return delivery, collection
