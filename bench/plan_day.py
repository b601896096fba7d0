"""Benchmark: plan the seeded county's day end to end, with due times and without, then insert
an urgent job.

    python bench/plan_day.py [--orders 400] [--seconds 30] [--postgres URL | --no-postgres]
                             [--due-times both|on|off]

Seeds a fresh SQLite database (and a PostgreSQL one when reachable, default
postgresql://postgres@127.0.0.1:5432/bench_plan_day, created if missing), generates ready orders
for the next working day across the county, plans the same day with the given solve budget
(database to stored plan) once with the orders' due times sent to the router as deadlines and
once without (`--due-times both`, the default), and reports for each: stops made late by the
plan, stops overdue before the day, mandatory orders left unplanned, those of them an optional
order displaced (a keep-order insertion places it once the optional stops are taken out of the
routes) and travel. It then publishes the plan with due times and times an urgent insertion
(dry run and real). Targets: total < 60 s with a 30 s budget; insertion < 2 s; with due times,
stops made late <= 1/4 of those without, travel <= 5% more, no mandatory order displaced.

Figures (2 cores shared with other test runs, 1 Dec 2026; 400 orders, 27 vans, 3 depots, 30 s budget;
made late / overdue / mandatory unplanned / displaced by optional / travel):
  SQLite:     without due times 12 / 40 / 0 / 0 / 28.0 h; with (overdue due at the start of the
              day) 0 / 40 / 0 / 0 / 33.6 h (1.199 x); with, overdue without deadline 0 / 40 / 0 / 0 /
              28.9 h (1.033 x). Urgent insertion 0.51 s dry run, 0.27 s real.
  PostgreSQL: 10 / 40 / 0 / 0 / 28.0 h; 0 / 40 / 0 / 0 / 34.5 h (1.233 x); 0 / 40 / 0 / 0 / 27.7 h
              (0.991 x). Urgent insertion 0.55 s dry run, 0.27 s real.
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

from sqlalchemy import text
from sqlmodel import select

from bench.ready_orders import generate_day
from equipment import planning, service_time
from equipment.db import make_engine, new_session
from equipment.demo.ready_orders import make_ready_order
from equipment.demo.seed import seed
from equipment.migrations.upgrade import upgrade_to_head
from equipment.models import Depot, Item, Order, Plan, ServiceUser
from equipment.planning.keep_order import NEW_JOB_BASE, fixed_routes
from equipment.planning.problem import day_origin, order_priority
from equipment.planning.solving import solve
from equipment.vocabulary import OrderKind

TZ = service_time.DEFAULT_TZ


def next_working_day(today: date) -> date:
    day = today + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def displaced_by_optional(session, plan_id: int, order: Order) -> bool:
    """Would the plan's routes take this mandatory order once their optional stops are out?"""
    plan = session.get(Plan, plan_id)
    origin = day_origin(plan.service_date, TZ)
    view = planning.plan_view(session, plan_id)
    optional = {
        sv.stop.id for rv in view.routes for sv in rv.stops if not any(order_priority(o, origin)[1] for o in sv.orders)
    }
    fixed = fixed_routes(session, plan, tz=TZ, osrm_url=None, extra=[[order]], leave_out=optional)
    session.rollback()
    output = solve(fixed.built.problem, seconds=2, keep_order=True, session=session)
    return any(s.get("id") == NEW_JOB_BASE for r in output.get("routes", []) for s in r["steps"] if s["type"] == "job")


def plan_figures(engine, service_date: date, *, seconds: float, deadlines: bool, overdue_at_start: bool = True) -> dict:
    """Plan the day (with or without due times as deadlines) and measure the stored plan."""
    t0 = time.monotonic()
    with new_session(engine) as session:
        plan_id = planning.create_plan(
            session, service_date=service_date, depot_codes=None, seconds=seconds, user_id=None
        ).id
    phases = planning.run_plan(engine, plan_id, tz=TZ, deadlines=deadlines, overdue_at_start=overdue_at_start)
    total = time.monotonic() - t0
    with new_session(engine) as session:
        view = planning.plan_view(session, plan_id)
        origin = day_origin(service_date, TZ)
        mandatory_left = [o for o, _ in view.unplanned if order_priority(o, origin)[1]]
        displaced = [o.ref for o in mandatory_left if displaced_by_optional(session, plan_id, o)]
        optional_planned = sum(
            1 for rv in view.routes for sv in rv.stops for o in sv.orders if not order_priority(o, origin)[1]
        )
        return {
            "plan_id": plan_id,
            "total_s": total,
            **phases,
            "routes": len(view.routes),
            "stops": sum(len(rv.stops) for rv in view.routes),
            "planned": sum(len(sv.orders) for rv in view.routes for sv in rv.stops),
            "made_late": view.late,
            "overdue": view.overdue,
            "unplanned": len(view.unplanned),
            "mandatory_unplanned": len(mandatory_left),
            "displaced": displaced,
            "optional_planned": optional_planned,
            "travel_h": sum(rv.route.travel_s for rv in view.routes) / 3600,
        }


def print_figures(label: str, name: str, f: dict) -> None:
    print(
        f"[{label}] {name}: total {f['total_s']:.1f}s (build {f['build_s']:.1f}s, solve {f['solve_s']:.1f}s, "
        f"store {f['store_s']:.1f}s); routes={f['routes']} stops={f['stops']} planned orders={f['planned']} "
        f"(optional {f['optional_planned']}) | made late={f['made_late']} overdue={f['overdue']} "
        f"unplanned={f['unplanned']} (mandatory {f['mandatory_unplanned']}, displaced by optional "
        f"{len(f['displaced'])}) travel={f['travel_h']:.1f} h"
    )


def compare(label: str, name: str, w: dict, wo: dict) -> None:
    print(
        f"[{label}] {name}: made late {w['made_late']} vs {wo['made_late']} without "
        f"(target <= {wo['made_late'] / 4:.1f}: {'met' if w['made_late'] <= wo['made_late'] / 4 else 'NOT met'}); "
        f"travel {w['travel_h'] / max(wo['travel_h'], 1e-9):.3f} x (target <= 1.05: "
        f"{'met' if w['travel_h'] <= 1.05 * wo['travel_h'] else 'NOT met'}); mandatory displaced by optional "
        f"{len(w['displaced'])} (target 0)"
    )


def run(url: str, *, orders: int, seconds: float, label: str, due_times: str = "both") -> dict:
    engine = make_engine(url)
    upgrade_to_head(engine)
    service_date = next_working_day(date.today())
    with new_session(engine) as session:
        seed(session, demo=True)
        made = generate_day(session, service_date=service_date, count=orders, tz=TZ)
    figures = {}
    if due_times in ("both", "off"):
        figures["without"] = plan_figures(engine, service_date, seconds=seconds, deadlines=False)
        print_figures(label, "without due times", figures["without"])
    if due_times in ("both", "on"):
        figures["with"] = plan_figures(engine, service_date, seconds=seconds, deadlines=True)
        print_figures(label, "with due times (overdue due at the start of the day)", figures["with"])
        figures["overdue_free"] = plan_figures(
            engine, service_date, seconds=seconds, deadlines=True, overdue_at_start=False
        )
        print_figures(label, "with due times, overdue without deadline", figures["overdue_free"])
    if "without" in figures and "with" in figures:
        compare(label, "due times (PLAN_OVERDUE_DEADLINE=start)", figures["with"], figures["without"])
        compare(label, "due times (PLAN_OVERDUE_DEADLINE=none)", figures["overdue_free"], figures["without"])
    main = figures.get("with") or figures["without"]
    insertion = urgent_insertion(engine, main["plan_id"], service_date)
    engine.dispose()
    print(
        f"[{label}] orders={made} plan total={main['total_s']:.1f}s (target < 60 s) | urgent insertion into the "
        f"published plan: dry run {insertion['insert_dry_s']:.2f}s, real {insertion['insert_s']:.2f}s "
        f"(target < 2 s) on {insertion['insert_van']}, {insertion['knock_on_late']} stops made late"
    )
    return {"label": label, "orders": made, "figures": figures, **insertion}


def urgent_insertion(engine, plan_id: int, service_date: date) -> dict:
    """Publish the plan, then time an emergency arriving during the day (dry run, then real)."""
    with new_session(engine) as session:
        planning.publish_plan(session, plan_id=plan_id, user_id=None)
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
        return {
            "insert_dry_s": dry_s,
            "insert_s": time.monotonic() - t2,
            "insert_van": real.stop.van if real.stop else None,
            "knock_on_late": len(dry.late_stops),
        }


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
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--due-times", choices=["both", "on", "off"], default="both")
    args = parser.parse_args()
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            run(
                f"sqlite:///{tmp}/bench.db",
                orders=args.orders,
                seconds=args.seconds,
                label="sqlite",
                due_times=args.due_times,
            )
    if not args.no_postgres:
        url = postgres_url(args.postgres)
        if url:
            run(url, orders=args.orders, seconds=args.seconds, label="postgresql", due_times=args.due_times)


if __name__ == "__main__":
    main()
