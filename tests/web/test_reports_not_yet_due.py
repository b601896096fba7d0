"""The KPI definition with orders not yet due (API.md `/kpis`): they count neither for nor
against, and are shown as their own count, alike in the API, the dashboard (its weekly trend
too, the current week included) and the monthly report for the same month, which agree. The
figures are recomputed here from the orders."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from equipment import reports, service_time
from equipment.models import Order, ServiceUser
from equipment.vocabulary import Role
from tests.conftest import sign_in

CLASSES = ["emergency", "next_day", "three_day"]


@pytest.fixture
def this_month(db, make):
    """Orders due this calendar month: done on time, done late, open and overdue, open and not
    yet due (some of them later this week), excused or not, and a cancelled one."""
    make.response_classes()
    depot = make.depot("IPS")
    person = ServiceUser(name="Hidden Person", address="1 Lane", postcode="IP4 1AA", district="IP4", lat=52, lon=1.1)
    db.add(person)
    db.commit()
    p = reports.month_period(service_time.today().strftime("%Y-%m"))
    now = datetime.now(UTC)
    rng = random.Random(14)
    past, ahead = (now - p.start).total_seconds(), (p.end - now).total_seconds()
    # The rest of this week (within the month): on a Sunday evening "a little later" is
    # already next week, and the weekly trend's current week needs some not yet due.
    today = service_time.today()
    week_end = service_time.local_midnight(today + timedelta(days=7 - today.weekday()))
    rest_of_week = min(week_end, p.end) - now
    for n in range(120):
        if n % 3 == 0:  # not yet due: later this week, a little later today, or later in the month
            if n % 9 == 0:
                due = now + max(rest_of_week / 2, timedelta(minutes=1))
            else:
                due = now + timedelta(seconds=ahead * rng.choice([0.01, 0.05, 0.5, 0.9]) + 60)
            completed = None if n % 2 else now - timedelta(minutes=5)  # some already done, early
        else:
            due = now - timedelta(seconds=past * rng.uniform(0.01, 0.99) + 60)
            completed = rng.choice([None, due - timedelta(hours=2), due, due + timedelta(hours=3)])
            completed = min(completed, now) if completed else None
        db.add(
            Order(
                ref=f"EQ-{n + 1:06d}",
                kind="delivery",
                response_class=CLASSES[n % len(CLASSES)],
                status="cancelled" if n == 7 else ("completed" if completed else "ready"),
                service_user_id=person.id,
                depot_id=depot.id,
                district="IP4",
                received_at=min(due, now) - timedelta(days=1),
                due_at=due,
                completed_at=completed,
                excused=n % 5 == 0,
            )
        )
    db.commit()
    return p


def recomputed(db, p, now, week_of=None) -> dict[str, tuple]:
    """Per class: due, on time, late, excused, not yet due and % on time, from the rows."""
    out: dict[str, list[int]] = {}
    for o in db.exec(select(Order)).all():
        if o.status == "cancelled" or not (p.start <= o.due_at < p.end):
            continue
        if week_of is not None and not week_of[0] <= o.due_at < week_of[1]:
            continue
        f = out.setdefault(o.response_class, [0, 0, 0, 0, 0])
        on_time = o.completed_at is not None and o.completed_at <= o.due_at
        late = (o.completed_at is not None and o.completed_at > o.due_at) or (o.completed_at is None and o.due_at < now)
        f[0] += 1
        f[1] += on_time
        f[2] += late
        f[3] += late and o.excused
        f[4] += o.completed_at is None and o.due_at >= now
    return {
        rc: (d, ot, la, e, n, round(100 * ot / (ot + la - e), 1) if ot + la - e else None)
        for rc, (d, ot, la, e, n) in out.items()
    }


def _csv(client, url) -> list[dict[str, str]]:
    answer = client.get(url)
    assert answer.status_code == 200, url
    return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))


def _as_figures(row: dict[str, str]) -> tuple:
    pct = row["percent_on_time"]
    numbers = (int(row[k]) for k in ("due", "on_time", "late", "excused", "not_yet_due"))
    return (*numbers, round(float(pct), 1) if pct else None)


def test_orders_not_yet_due_count_neither_for_nor_against(client, make, db, this_month):
    p = this_month
    now = datetime.now(UTC)
    expected = recomputed(db, p, now)
    assert sum(f[4] for f in expected.values()) >= 20, "set-up: plenty not yet due"
    first, last = p.first.isoformat(), p.last.isoformat()

    api = client.get(f"/api/v1/kpis?from={first}&to={last}", headers=make.headers(Role.OFFICER)).get_json()
    got = {
        r["response_class"]: (
            r["due"],
            r["on_time"],
            r["late"],
            r["excused"],
            r["not_yet_due"],
            None if r["percent_on_time"] is None else round(r["percent_on_time"], 1),
        )
        for r in api["items"]
        if r["due"]
    }
    assert got == expected

    make.user(Role.OFFICER, username="officer.month")
    sign_in(client, "officer.month")
    board = _csv(client, f"/reports/csv/kpis.csv?from={first}&to={last}")
    monthly = _csv(client, f"/reports/csv/monthly_kpis.csv?month={p.first:%Y-%m}")
    assert board == monthly, "the dashboard and the monthly report for one month agree"
    assert {r["response_class"]: _as_figures(r) for r in board if int(r["due"])} == expected

    # The pages show the same percentage and the not-yet-due count beside it.
    dashboard = client.get(f"/reports/?from={first}&to={last}").get_data(as_text=True)
    pack = client.get(f"/reports/monthly?month={p.first:%Y-%m}").get_data(as_text=True)
    for figures in expected.values():
        if figures[5] is not None:
            assert f"<strong>{figures[5]:.1f}%</strong>" in dashboard and f"<strong>{figures[5]:.1f}%</strong>" in pack
    assert "Not yet due" in dashboard and "Not yet due" in pack
    assert f"Monthly contract report for {p.first:%B %Y}" in dashboard


def test_the_weekly_trend_leaves_the_current_weeks_orders_not_yet_due_out(client, make, db, this_month):
    p = this_month
    now = datetime.now(UTC)
    make.user(Role.OFFICER, username="officer.week")
    sign_in(client, "officer.week")
    rows = _csv(client, f"/reports/csv/weekly.csv?from={p.first}&to={p.last}")
    today = service_time.today()
    monday = today - timedelta(days=today.weekday())
    week = (service_time.local_midnight(monday), service_time.local_midnight(monday + timedelta(days=7)))
    expected = recomputed(db, p, now, week_of=week)
    current = {r["response_class"]: _as_figures(r) for r in rows if r["week_start"] == monday.isoformat()}
    assert current == expected
    assert sum(f[4] for f in current.values()) > 0, "set-up: the current week has orders not yet due"
