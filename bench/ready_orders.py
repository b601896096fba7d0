"""Ready orders for planning benchmarks and tests, written straight as rows.

An order made here looks like one the orders service made ready: lines fully allocated,
serialised units reserved (asset state allocated, linked to the line), bulk units moved from
available to allocated in the depot's balance. Collections point at units on loan.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from equipment.models import (
    Asset,
    Depot,
    Item,
    Order,
    OrderLine,
    PostcodeDistrict,
    ServiceUser,
)
from equipment.stock.ledger import Ledger
from equipment.stock.reservations import reserve_for_line
from equipment.vocabulary import OrderKind, OrderStatus, StockState


def make_ready_order(
    session: Session,
    *,
    ref: str,
    person: ServiceUser,
    depot: Depot,
    lines: list[tuple[Item, int]],
    due_at: datetime,
    kind: str = OrderKind.DELIVERY,
    response_class: str = "next_day",
    slot: tuple[datetime, datetime] | None = None,
    received_at: datetime | None = None,
    status: str = OrderStatus.READY,
) -> Order:
    """One order with its lines allocated (deliveries) or pointing at units on loan (collections).
    Raises ValueError when the depot has too few units. Flushes only."""
    order = Order(
        ref=ref, kind=kind, response_class=response_class, status=status, service_user_id=person.id,
        depot_id=depot.id, district=person.district, received_at=received_at or due_at - timedelta(days=1),
        clock_started_at=received_at or due_at - timedelta(days=1), due_at=due_at,
        slot_start=slot[0] if slot else None, slot_end=slot[1] if slot else None,
    )
    session.add(order)
    session.flush()
    for item, quantity in lines:
        line = OrderLine(order_id=order.id, item_id=item.id, quantity=quantity)
        session.add(line)
        session.flush()
        if kind == OrderKind.DELIVERY:
            _allocate(session, line, item, depot)
        elif kind == OrderKind.COLLECTION:
            _put_on_loan(session, line, item, depot, person)
    return order


def _allocate(session: Session, line: OrderLine, item: Item, depot: Depot) -> None:

    if reserve_for_line(session, line=line, depot_id=depot.id, user_id=None) < line.quantity:
        raise ValueError(f"too few {item.sku} at {depot.code}")


def _put_on_loan(session: Session, line: OrderLine, item: Item, depot: Depot, person: ServiceUser) -> None:
    """A unit at the person's home for the collection to bring back, booked in the ledger."""

    ledger = Ledger(session, None)
    if item.serialised:
        asset = session.exec(
            select(Asset).where(Asset.item_id == item.id, Asset.depot_id == depot.id, Asset.state == StockState.AVAILABLE)
            .order_by(Asset.id.desc())
        ).first()
        if asset is None:
            raise ValueError(f"no {item.sku} at {depot.code} to put on loan")
        asset.state, asset.service_user_id = StockState.ON_LOAN, person.id
        asset.on_loan_since = datetime.now(UTC) - timedelta(days=30)
        session.add(asset)
        line.serial = asset.serial
        line.quantity = 1
        session.add(line)
        ledger.move(item_id=item.id, quantity=1, kind="delivery", source=(depot.id, StockState.AVAILABLE),
                    target=(depot.id, StockState.ON_LOAN), asset_id=asset.id, reason="bench set-up")
    else:
        # Bulk units already in homes before the bench's records start.
        ledger.move(item_id=item.id, quantity=line.quantity, kind="delivery", target=(depot.id, StockState.ON_LOAN),
                    reason="bench set-up")
    ledger.apply()


def generate_day(session: Session, *, service_date: date, count: int = 400, seed: int = 7, tz: str = "Europe/London") -> int:
    """About `count` ready orders spread over the county's service users, most due on the day."""
    rng = random.Random(seed)
    zone = ZoneInfo(tz)
    people = list(session.exec(select(ServiceUser).order_by(ServiceUser.id)))
    depot_of = {d.district: d.depot_id for d in session.exec(select(PostcodeDistrict))}
    depots = {d.id: d for d in session.exec(select(Depot))}
    items = list(session.exec(select(Item).where(Item.needs_authorisation == False)))
    small = [i for i in items if not i.serialised and i.volume <= 4]
    large = [i for i in items if i.serialised and i.bed_slots + i.hoist_slots > 0]
    mid = [i for i in items if i.serialised and i.bed_slots + i.hoist_slots == 0]
    day_end = datetime.combine(service_date, time(17), tzinfo=zone).astimezone(UTC)
    made, n = 0, 0
    while made < count and n < count * 3:
        n += 1
        person = rng.choice(people)
        depot = depots[depot_of.get(person.district, next(iter(depots)))]
        roll = rng.random()
        kind = OrderKind.COLLECTION if roll < 0.15 else OrderKind.DELIVERY
        r = rng.random()
        if r < 0.05:
            klass, due = "emergency", datetime.combine(service_date, time(13), tzinfo=zone).astimezone(UTC)
        elif r < 0.65:
            klass, due = "next_day", day_end
        elif r < 0.75:
            klass, due = "three_day", day_end - timedelta(days=1)  # overdue
        else:
            klass, due = "standard", day_end + timedelta(days=rng.randint(1, 5))
        if kind == OrderKind.COLLECTION:
            klass = "urgent_collection" if r < 0.65 else "standard_collection"
        pick = rng.random()
        pool = large if pick < 0.15 else mid if pick < 0.35 else small
        lines = [(rng.choice(pool), 1)]
        if pool is small and rng.random() < 0.5:
            extra = rng.choice(small)
            if extra.id != lines[0][0].id:
                lines.append((extra, rng.randint(1, 2)))
        slot = None
        if rng.random() < 0.3:
            am = rng.random() < 0.5
            start, end = (time(8), time(13)) if am else (time(12), time(17))
            slot = (datetime.combine(service_date, start, tzinfo=zone).astimezone(UTC),
                    datetime.combine(service_date, end, tzinfo=zone).astimezone(UTC))
        try:
            with session.begin_nested():
                make_ready_order(session, ref=f"EQ-{900000 + n:06d}", person=person, depot=depot, lines=lines,
                                 due_at=due, kind=kind, response_class=klass, slot=slot)
            made += 1
        except ValueError:
            continue
    session.commit()
    return made
