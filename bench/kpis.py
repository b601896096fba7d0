"""KPIs and the dashboard over a million orders, on PostgreSQL and SQLite.

Generates 1,000,000 orders (by default over 30 months: a large service, about 1,600 orders a
working day, four times Suffolk; `--months 12` crams them all into one year, the worst case),
with Monday peaks, winter pressure, 4-5% late with a mix of causes, some excused, the newest
still open, due times from the real clocks, plus their delays, using bulk inserts (COPY on
PostgreSQL), then measures through the app, on the latest full year:
- GET /api/v1/kpis for a year (target < 300 ms on PostgreSQL);
- GET /reports/ (the officers' dashboard) for a year (target < 1 s).

    python bench/kpis.py                      # generate (if empty) and measure both databases
    python bench/kpis.py --months 12          # worst case: the million all due in the measured year
    python bench/kpis.py --orders 200000 --regenerate --only sqlite
    python bench/kpis.py --pg postgresql://postgres@127.0.0.1:5432/bench_kpis --sqlite instance/bench_kpis.db

The PostgreSQL database (default bench_kpis) is created when missing. Figures and what makes
them fast: bench/kpis.md.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from config import normalise_database_url
from equipment import service_time
from equipment.db import make_engine, new_session
from equipment.demo.seed import seed
from equipment.migrations.upgrade import upgrade_to_head
from equipment.models import Order, PostcodeDistrict, ResponseClass, ServiceUser, User
from equipment.orders import clocks
from equipment.people import users
from equipment.reports.attribution import DEFAULT_ATTRIBUTION
from equipment.vocabulary import DelayCause
from equipment.web import create_app

LONDON = service_time.zone()
CLASSES = ["emergency", "next_day", "three_day", "standard", "urgent_collection", "standard_collection"]
CLASS_P = [0.08, 0.45, 0.16, 0.12, 0.05, 0.14]
CAUSES = [c.value for c in DelayCause]
CAUSE_P = np.array([6, 26, 6, 14, 8, 4, 7, 5, 16, 1, 4], dtype=float)
WEEKDAY = np.array([1.27, 1.02, 0.98, 0.93, 0.85, 0.07, 0.05])
MONTH = np.array([1.18, 1.12, 1.04, 0.97, 0.95, 0.93, 0.92, 0.90, 0.97, 1.00, 1.05, 1.10])
ORDER_COLUMNS = [
    "id",
    "ref",
    "kind",
    "response_class",
    "status",
    "service_user_id",
    "depot_id",
    "district",
    "received_at",
    "clock_started_at",
    "due_at",
    "completed_at",
    "excused",
    "notes",
    "created_at",
]
DELAY_COLUMNS = ["order_id", "kind", "cause", "attributable", "due_at", "expected_at", "note", "recorded_at"]


def _stamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def generate_rows(
    n: int,
    now: datetime,
    classes: dict[str, ResponseClass],
    people: list[tuple[int, str, int]],
    months: int,
    seed: int = 1,
):
    """Orders and delays as tuples of column values (timestamps as naive-UTC text)."""
    rng = np.random.default_rng(seed)
    today = now.astimezone(LONDON).date()
    span = round(months * 365.25 / 12)
    days = [today - timedelta(days=d) for d in range(span, 0, -1)]
    weights = np.array(
        [(WEEKDAY[d.weekday()] if clocks.is_working_day(d) else 0.06) * MONTH[d.month - 1] for d in days]
    )
    day_index = rng.choice(len(days), size=n, p=weights / weights.sum())
    minutes = rng.triangular(8 * 60, 12 * 60, 18 * 60, size=n).astype(int)
    seconds = rng.integers(0, 60, size=n)
    class_index = rng.choice(len(CLASSES), size=n, p=CLASS_P)
    person_index = rng.integers(0, len(people), size=n)
    late_roll = rng.random(n)
    winter = np.array([1.6 if days[i].month in (12, 1, 2) else 1.0 for i in range(len(days))])[day_index]
    monday = np.array([1.5 if d.weekday() == 0 else 1.0 for d in days])[day_index]
    is_late = late_roll < 0.035 * winter * monday
    cause_index = rng.choice(len(CAUSES), size=n, p=CAUSE_P / CAUSE_P.sum())
    fraction = rng.uniform(0.2, 0.98, size=n)
    lateness_h = rng.gamma(2.0, 10.0, size=n)
    cancelled = rng.random(n) < 0.015
    midnight = {d: datetime.combine(d, dtime(0), LONDON) for d in days}
    orders, delays = [], []
    for i in range(n):
        rc = classes[CLASSES[class_index[i]]]
        received = (
            midnight[days[day_index[i]]] + timedelta(minutes=int(minutes[i]), seconds=int(seconds[i]))
        ).astimezone(UTC)
        due = clocks.due_at(rc, received)
        completed = (
            due + timedelta(hours=float(lateness_h[i]))
            if is_late[i]
            else received + (due - received) * float(fraction[i])
        )
        cause = CAUSES[cause_index[i]]
        excused = bool(is_late[i]) and not DEFAULT_ATTRIBUTION.attributable(cause, inside_agreed_slot=i % 5 < 3)
        status = "cancelled" if cancelled[i] else "completed"
        if completed > now and not cancelled[i]:
            completed, status = None, "ready"
        person, district, depot = people[person_index[i]]
        order_id = i + 1
        orders.append(
            (
                order_id,
                f"EQ-{order_id:07d}",
                "collection" if rc.kind == "collection" else "delivery",
                rc.code,
                status,
                person,
                depot,
                district,
                _stamp(received),
                _stamp(received),
                _stamp(due),
                _stamp(completed),
                excused,
                "",
                _stamp(received),
            )
        )
        if is_late[i] and not cancelled[i]:
            delays.append(
                (
                    order_id,
                    "actual" if completed else "predicted",
                    cause,
                    not excused,
                    _stamp(due),
                    _stamp(completed),
                    "",
                    _stamp(min(completed or now, now)),
                )
            )
    return orders, delays


def prepare(url: str, n: int, months: int, regenerate: bool) -> None:
    """An up-to-date schema, the seed, and n orders (unless they are there already)."""
    if url.startswith("postgresql"):
        _create_pg_database(url)
    engine = make_engine(url)
    if regenerate:
        _drop_everything(engine)
    upgrade_to_head(engine)
    with new_session(engine) as session:
        have = session.execute(select(func.count()).select_from(Order)).scalar_one() if _has_depots(session) else -1
        first = session.execute(select(func.min(Order.received_at))).scalar_one() if have > 0 else None
        span_ok = first is not None and abs((datetime.now(UTC) - first).days - months * 365.25 / 12) < 10
        if have == n and span_ok:
            print(f"  {url}: {n:,} orders over {months} months already there")
            engine.dispose()
            return
    if have != -1:
        _drop_everything(engine)
        upgrade_to_head(engine)
    started = time.perf_counter()
    with new_session(engine) as session:
        seed(session, demo=True)
        classes = {rc.code: rc for rc in session.execute(select(ResponseClass)).scalars()}
        depot_of = dict(session.execute(select(PostcodeDistrict.district, PostcodeDistrict.depot_id)).all())
        people = [(pid, d, depot_of[d]) for pid, d in session.execute(select(ServiceUser.id, ServiceUser.district))]
    orders, delays = generate_rows(n, datetime.now(UTC), classes, people, months)
    generated = time.perf_counter()
    _bulk_load(engine, url, orders, delays)
    print(
        f"  {url}: generated {n:,} orders and {len(delays):,} delays in {generated - started:.0f} s, "
        f"loaded in {time.perf_counter() - generated:.0f} s"
    )
    engine.dispose()


def _has_depots(session) -> bool:
    try:
        return session.execute(text("SELECT count(*) FROM depots")).scalar_one() > 0
    except Exception:  # noqa: BLE001 - no schema yet
        session.rollback()
        return False


def _create_pg_database(url: str) -> None:
    parsed = make_url(normalise_database_url(url))
    admin = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
        ).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def _drop_everything(engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    else:
        path = Path(engine.url.database)
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)


def _bulk_load(engine, url: str, orders: list[tuple], delays: list[tuple]) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            raw = connection.connection.driver_connection
            with raw.cursor() as cursor:
                with cursor.copy(f"COPY orders ({', '.join(ORDER_COLUMNS)}) FROM STDIN") as copy:
                    for row in orders:
                        copy.write_row(row)
                with cursor.copy(f"COPY delays ({', '.join(DELAY_COLUMNS)}) FROM STDIN") as copy:
                    for row in delays:
                        copy.write_row(row)
            connection.execute(
                text("SELECT setval(pg_get_serial_sequence('orders', 'id'), (SELECT max(id) FROM orders))")
            )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE orders, delays"))
        return
    connection = sqlite3.connect(engine.url.database)
    with connection:
        connection.executemany(
            f"INSERT INTO orders ({', '.join(ORDER_COLUMNS)}) VALUES ({', '.join('?' * len(ORDER_COLUMNS))})", orders
        )
        connection.executemany(
            f"INSERT INTO delays ({', '.join(DELAY_COLUMNS)}) VALUES ({', '.join('?' * len(DELAY_COLUMNS))})", delays
        )
    connection.execute("ANALYZE")
    connection.close()


def measure(url: str, repeat: int) -> dict[str, float]:
    """Median and best times of the year's KPIs (API) and the year's dashboard (page)."""
    app = create_app(
        {
            "DATABASE_URL": normalise_database_url(url),
            "SECRET_KEY": "bench",
            "LOGIN_RATE_LIMIT": "1000 per minute",
            "WTF_CSRF_ENABLED": False,
        }
    )
    engine = app.extensions["db_engine"]
    with new_session(engine) as session:
        officer = session.execute(select(User).where(User.username == "officer")).scalar_one()
        token, _ = users.issue_token(officer, secret_key="bench", hours=1)
    client = app.test_client()
    today = datetime.now(LONDON).date()
    year = f"from={(today - timedelta(days=364)).isoformat()}&to={today.isoformat()}"
    headers = {"Authorization": f"Bearer {token}"}
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    client.post(
        "/login",
        data={"username": "officer", "password": "demo-equipment", **({"csrf_token": csrf.group(1)} if csrf else {})},
    )
    figures = {}
    for name, path, kwargs in (
        ("kpis_api_year", f"/api/v1/kpis?{year}", {"headers": headers}),
        ("dashboard_year", f"/reports/?{year}", {}),
    ):
        timings = []
        for attempt in range(repeat + 1):
            started = time.perf_counter()
            response = client.get(path, **kwargs)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:300])
            if attempt:  # the first request warms caches and compiles queries
                timings.append(elapsed)
        figures[name + "_median_ms"] = statistics.median(timings) * 1000
        figures[name + "_best_ms"] = min(timings) * 1000
    body = client.get(f"/api/v1/kpis?{year}", headers=headers).json
    figures["due_in_year"] = sum(r["due"] for r in body["items"])
    engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=30, help="how many months the orders span (12: all in the year)")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/bench_kpis")
    parser.add_argument("--sqlite", default=str(ROOT / "instance" / "bench_kpis.db"))
    parser.add_argument("--only", choices=["pg", "sqlite"], default=None)
    parser.add_argument("--regenerate", action="store_true", help="drop and generate again")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    targets = []
    if args.only != "sqlite":
        targets.append(("PostgreSQL", normalise_database_url(args.pg)))
    if args.only != "pg":
        Path(args.sqlite).parent.mkdir(parents=True, exist_ok=True)
        targets.append(("SQLite", f"sqlite:///{Path(args.sqlite).resolve()}"))
    print(f"Preparing {args.orders:,} orders over {args.months} months")
    for _, url in targets:
        prepare(url, args.orders, args.months, args.regenerate)
    print(
        f"\n{'database':<12}{'orders due in the year':>24}{'GET /api/v1/kpis (year)':>28}{'dashboard page (year)':>26}"
    )
    for name, url in targets:
        f = measure(url, args.repeat)
        print(
            f"{name:<12}{f['due_in_year']:>24,}{f['kpis_api_year_median_ms']:>20.0f} ms med"
            f"{f['dashboard_year_median_ms']:>18.0f} ms med"
        )
        print(
            f"{'':<12}{'':>24}{f['kpis_api_year_best_ms']:>20.0f} ms best{f['dashboard_year_best_ms']:>17.0f} ms best"
        )
    print(
        f"\nTargets on PostgreSQL: KPIs < 300 ms, dashboard < 1000 ms. Load average now: {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs (other work on the machine slows every figure)."
    )


if __name__ == "__main__":
    main()
