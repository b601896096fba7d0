"""Benchmark: plan the seeded county's day end to end, then insert an urgent job.

    python bench/plan_day.py [--orders 400] [--seconds 30] [--postgres URL | --no-postgres]

Seeds a fresh SQLite database (and a PostgreSQL one when reachable, default
postgresql://postgres@127.0.0.1:5432/bench_plan_day, created if missing), generates ready orders
for tomorrow across the county, plans the day with the given solve budget (database to stored
plan), publishes it and times an urgent insertion (dry run and real). Targets: total < 60 s with a
30 s budget; insertion < 2 s.

Figures (2 cores, 22 Nov 2026; 400 orders, 25 vans, 3 depots, 30 s budget):
  SQLite:     total 31.3 s (build 0.3 s, solve 28.5 s, store 1.9 s), 22 routes, 317 stops,
              398 orders planned, 2 unplanned; urgent insertion 0.34 s dry run, 0.85 s real.
  PostgreSQL: total 29.9 s (build 0.2 s, solve 28.4 s, store 1.2 s), 22 routes, 316 stops,
              397 orders planned, 3 unplanned; urgent insertion 0.28 s dry run, 0.23 s real.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, text
from sqlmodel import select

from bench.ready_orders import generate_day
from equipment import planning, service_time
from equipment.db import make_engine, new_session
from equipment.demo.ready_orders import make_ready_order
from equipment.demo.seed import seed
from equipment.migrations.upgrade import upgrade_to_head
from equipment.models import Depot, Item, Route, ServiceUser, Stop, Unplanned
from equipment.vocabulary import OrderKind

TZ = service_time.DEFAULT_TZ


def next_working_day(today: date) -> date:
    day = today + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def run(url: str, *, orders: int, seconds: float, label: str) -> dict:
    engine = make_engine(url)
    upgrade_to_head(engine)
    service_date = next_working_day(date.today())
    with new_session(engine) as session:
        seed(session, demo=True)
        made = generate_day(session, service_date=service_date, count=orders, tz=TZ)
    t0 = time.monotonic()
    with new_session(engine) as session:
        plan_id = planning.create_plan(
            session, service_date=service_date, depot_codes=None, seconds=seconds, user_id=None
        ).id
    phases = planning.run_plan(engine, plan_id, tz=TZ)
    total = time.monotonic() - t0
    with new_session(engine) as session:
        routes = session.exec(select(func.count()).select_from(Route).where(Route.plan_id == plan_id)).one()
        stops = session.exec(
            select(func.count())
            .select_from(Stop)
            .join(Route, Route.id == Stop.route_id)
            .where(Route.plan_id == plan_id)
        ).one()
        view = planning.plan_view(session, plan_id)
        planned_orders = sum(len(sv.orders) for rv in view.routes for sv in rv.stops)
        late = sum(1 for rv in view.routes for sv in rv.stops if sv.stop.late)
        unplanned = session.exec(select(func.count()).select_from(Unplanned).where(Unplanned.plan_id == plan_id)).one()
        solve_s = phases["solve_s"]
        planning.publish_plan(session, plan_id=plan_id, user_id=None)
        # An emergency order arriving during the day.
        person = session.exec(select(ServiceUser).where(ServiceUser.district == "IP4")).first()
        depot = session.exec(select(Depot).where(Depot.code == "IPS")).one()
        item = session.exec(select(Item).where(Item.serialised == False, Item.volume <= 4)).first()
        due = datetime.combine(service_date, dtime(16), tzinfo=service_time.zone(TZ)).astimezone(UTC)
        make_ready_order(
            session,
            ref="EQ-999999",
            person=person,
            depot=depot,
            lines=[(item, 1)],
            due_at=due,
            kind=OrderKind.DELIVERY,
            response_class="emergency",
        )
        session.commit()
        t1 = time.monotonic()
        dry = planning.insert_urgent(session, plan_id=plan_id, order_ref="EQ-999999", dry_run=True, user_id=None, tz=TZ)
        dry_s = time.monotonic() - t1
        t2 = time.monotonic()
        real = planning.insert_urgent(
            session, plan_id=plan_id, order_ref="EQ-999999", dry_run=False, user_id=None, tz=TZ
        )
        insert_s = time.monotonic() - t2
    engine.dispose()
    result = {
        "label": label,
        "orders": made,
        "total_s": total,
        "solve_s": solve_s,
        "routes": routes,
        "stops": stops,
        "planned": planned_orders,
        "late_stops": late,
        "unplanned": unplanned,
        "insert_dry_s": dry_s,
        "insert_s": insert_s,
        "insert_van": real.stop.van if real.stop else None,
        "knock_on_late": len(dry.late_stops),
    }
    print(
        f"[{label}] orders={made} plan total={total:.1f}s (target < 60 s): build {phases['build_s']:.1f}s, "
        f"solve {solve_s:.1f}s, store {phases['store_s']:.1f}s; routes={routes} "
        f"stops={stops} planned orders={planned_orders} late stops={late} unplanned={unplanned} | urgent insertion: "
        f"dry run {dry_s:.2f}s, real {insert_s:.2f}s (target < 2 s) on {result['insert_van']}, "
        f"{len(dry.late_stops)} stops made late"
    )
    return result


def postgres_url(url: str) -> str | None:
    """The benchmark database on the server, created when missing; None if unreachable."""
    base, _, name = url.rpartition("/")
    try:
        admin = make_engine(f"{base}/postgres")
        with admin.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return url
    except Exception as exc:  # noqa: BLE001
        print(f"PostgreSQL not reachable ({type(exc).__name__}); skipped")
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_plan_day")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench.db", orders=args.orders, seconds=args.seconds, label="sqlite")
    if not args.no_postgres:
        url = postgres_url(args.postgres)
        if url:
            run(url, orders=args.orders, seconds=args.seconds, label="postgresql")


if __name__ == "__main__":
    main()
