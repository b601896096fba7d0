"""A county's service day of ready orders for the planning benchmarks (equipment.demo.ready_orders
writes each one)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from equipment.demo.ready_orders import make_ready_order
from equipment.models import Depot, Item, PostcodeDistrict, ServiceUser
from equipment.vocabulary import OrderKind


def generate_day(
    session: Session, *, service_date: date, count: int = 400, seed: int = 7, tz: str = "Europe/London"
) -> int:
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
            slot = (
                datetime.combine(service_date, start, tzinfo=zone).astimezone(UTC),
                datetime.combine(service_date, end, tzinfo=zone).astimezone(UTC),
            )
        try:
            with session.begin_nested():
                make_ready_order(
                    session,
                    ref=f"EQ-{900000 + n:06d}",
                    person=person,
                    depot=depot,
                    lines=lines,
                    due_at=due,
                    kind=kind,
                    response_class=klass,
                    slot=slot,
                )
            made += 1
        except ValueError:
            continue
    session.commit()
    return made
