"""Benchmark: 20 emergencies inserted one by one into the seeded, planned and published day.

    python bench/urgent_insertions.py [--orders 400] [--seconds 30] [--emergencies 20] [--seed 11]

Seeds a fresh SQLite database with the demo county, generates ready orders for the next working
day (bench/ready_orders.py), plans it with the given budget and publishes it. Then copies the
database twice and, in each copy, inserts the same emergencies one by one at times through the
morning (08:00, then every 15 minutes; each due 4 service hours after it arrives, at a random
service user, one small item): in one copy aiming at the emergency's due time (the app's
insertion), in the other by cost alone (the insertion before the router's due times: no
deadline). Before each insertion a dry run that aims at the due time says whether some position
could make it on time. Reports, per way: emergencies on time among those some position could
make on time (target >= 90 %), the slowest insertion (target < 2 s), stops made late by the
knock-on and the added driving.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func
from sqlmodel import select

from bench.ready_orders import generate_day
from equipment import planning, service_time
from equipment.db import make_engine, new_session
from equipment.demo.ready_orders import make_ready_order
from equipment.demo.seed import seed
from equipment.migrations.upgrade import upgrade_to_head
from equipment.models import Depot, Item, PostcodeDistrict, Route, ServiceUser

TZ = service_time.DEFAULT_TZ
EMERGENCY_HOURS = 4  # the seeded emergency response class: 4 service hours


@dataclass
class Emergency:
    ref: str
    person_id: int
    depot_id: int
    item_id: int
    arrives: datetime
    due: datetime


@dataclass
class Tally:
    label: str
    inserted: int = 0
    on_time: int = 0
    could: int = 0  # some position could make it on time
    on_time_of_could: int = 0
    knock_on: int = 0
    seconds: list[float] = field(default_factory=list)
    km_before: float = 0.0
    km_after: float = 0.0


def next_working_day(today: date) -> date:
    day = today + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def local(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, dtime(hh, mm), tzinfo=service_time.zone(TZ)).astimezone(UTC)


def planned_day(url: str, *, orders: int, seconds: float) -> tuple[int, date, int]:
    engine = make_engine(url)
    upgrade_to_head(engine)
    day = next_working_day(date.today())
    with new_session(engine) as session:
        seed(session, demo=True)
        generate_day(session, service_date=day, count=orders, tz=TZ)
        plan_id = planning.create_plan(session, service_date=day, depot_codes=None, seconds=seconds, user_id=None).id
    planning.run_plan(engine, plan_id, tz=TZ)
    with new_session(engine) as session:
        planning.publish_plan(session, plan_id=plan_id, user_id=None)
        stops = sum(len(rv.stops) for rv in planning.plan_view(session, plan_id).routes)
    engine.dispose()
    return plan_id, day, stops


def emergencies(url: str, day: date, count: int, seed_value: int) -> list[Emergency]:
    rng = random.Random(seed_value)
    engine = make_engine(url)
    with new_session(engine) as session:
        people = list(session.exec(select(ServiceUser).order_by(ServiceUser.id)))
        depot_of = {d.district: d.depot_id for d in session.exec(select(PostcodeDistrict))}
        depots = [d.id for d in session.exec(select(Depot).order_by(Depot.id))]
        small = list(session.exec(select(Item).where(Item.serialised == False, Item.volume <= 4).order_by(Item.id)))
    engine.dispose()
    out = []
    for n in range(count):
        person = rng.choice(people)
        arrives = local(day, 8) + timedelta(minutes=15 * n)
        out.append(
            Emergency(
                ref=f"EQ-8{n:05d}",
                person_id=person.id,
                depot_id=depot_of.get(person.district, depots[0]),
                item_id=rng.choice(small).id,
                arrives=arrives,
                due=arrives + timedelta(hours=EMERGENCY_HOURS),
            )
        )
    return out


def km(session, plan_id: int) -> float:
    return session.exec(select(func.sum(Route.distance_m)).where(Route.plan_id == plan_id)).one() / 1000


def insert_all(url: str, plan_id: int, todo: list[Emergency], *, aim_at_due: bool, label: str) -> Tally:
    tally = Tally(label)
    engine = make_engine(url)
    with new_session(engine) as session:
        tally.km_before = km(session, plan_id)
        for e in todo:
            make_ready_order(
                session,
                ref=e.ref,
                person=session.get(ServiceUser, e.person_id),
                depot=session.get(Depot, e.depot_id),
                lines=[(session.get(Item, e.item_id), 1)],
                due_at=e.due,
                received_at=e.arrives,
                response_class="emergency",
            )
            session.commit()
            common = {"plan_id": plan_id, "order_ref": e.ref, "user_id": None, "tz": TZ, "now": e.arrives}
            best = planning.insert_urgent(session, dry_run=True, **common)
            could = best.inserted and not best.stop.late
            started = time.monotonic()
            done = planning.insert_urgent(session, dry_run=False, aim_at_due=aim_at_due, **common)
            tally.seconds.append(time.monotonic() - started)
            if not done.inserted:
                continue
            on_time = not done.stop.late
            tally.inserted += 1
            tally.on_time += on_time
            tally.could += could
            tally.on_time_of_could += could and on_time
            tally.knock_on += len(done.late_stops)
        tally.km_after = km(session, plan_id)
    engine.dispose()
    return tally


def report(t: Tally, count: int) -> str:
    share = 100 * t.on_time_of_could / t.could if t.could else 0.0
    return (
        f"[{t.label}] inserted {t.inserted}/{count}, on time {t.on_time}; could be on time {t.could}, "
        f"of which on time {t.on_time_of_could} = {share:.0f}% (target >= 90%); knock-on stops made late "
        f"{t.knock_on}; driving +{t.km_after - t.km_before:.1f} km; insertion max {max(t.seconds):.2f}s, "
        f"mean {sum(t.seconds) / len(t.seconds):.2f}s (target < 2 s)"
    )


def copy_sqlite(source: str, target: str) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--emergencies", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = f"{tmp}/day.db"
        plan_id, day, stops = planned_day(f"sqlite:///{base}", orders=args.orders, seconds=args.seconds)
        print(f"planned and published {day}: plan {plan_id}, {stops} stops ({args.seconds:.0f} s budget)")
        todo = emergencies(f"sqlite:///{base}", day, args.emergencies, args.seed)
        for label, aim in (("due time", True), ("cost alone", False)):
            path = f"{tmp}/{label.replace(' ', '_')}.db"
            copy_sqlite(base, path)
            print(report(insert_all(f"sqlite:///{path}", plan_id, todo, aim_at_due=aim, label=label), len(todo)))


if __name__ == "__main__":
    main()
