"""KPIs and breakdowns: SQL aggregations that recompute exactly from the raw orders."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from equipment import reports, service_time
from equipment.errors import Invalid, NotFound
from equipment.models import Asset, Order, Plan, Route, ServiceUser, StockBalance, StockMovement, Stop, StopOrder
from equipment.reports.delay_recorder import record_delay
from equipment.vocabulary import DelayCause, DelayKind

LONDON = service_time.zone()
NOW = datetime(2026, 6, 20, 12, 0, tzinfo=UTC)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON).astimezone(UTC)


class Orders:
    """Orders made directly as rows, as the reports see them."""

    def __init__(self, db, make) -> None:
        self.db = db
        make.response_classes()
        self.ips = make.depot("IPS")
        self.bse = make.depot("BSE")
        self.person = ServiceUser(
            name="Ada Testperson", address="1 Secret Lane", postcode="IP4 1AA", district="IP4", lat=52.0, lon=1.1
        )
        db.add(self.person)
        db.commit()
        self.n = 0

    def add(
        self,
        *,
        due: datetime | None,
        completed: datetime | None = None,
        rc: str = "next_day",
        status: str | None = None,
        depot=None,
        district: str = "IP4",
        excused: bool = False,
        kind: str = "delivery",
    ) -> Order:
        self.n += 1
        order = Order(
            ref=f"EQ-{self.n:06d}",
            kind=kind,
            response_class=rc,
            status=status or ("completed" if completed else "ready"),
            service_user_id=self.person.id,
            depot_id=(depot or self.ips).id,
            district=district,
            received_at=(due or NOW) - timedelta(days=1),
            due_at=due,
            completed_at=completed,
            excused=excused,
        )
        self.db.add(order)
        self.db.flush()
        return order


@pytest.fixture
def orders(db, make) -> Orders:
    return Orders(db, make)


def june() -> reports.Period:
    return reports.period(date(2026, 6, 1), date(2026, 6, 30))


def row_of(rows, code):
    return next(r for r in rows if r.response_class == code)


def test_period_is_local_days_with_an_inclusive_last_day():
    p = reports.period(date(2026, 3, 29), date(2026, 3, 29))  # the day the clocks go forward
    assert p.start == datetime(2026, 3, 29, 0, tzinfo=UTC)
    assert p.end == datetime(2026, 3, 29, 23, tzinfo=UTC)
    summer = reports.period(date(2026, 6, 1), date(2026, 6, 30))
    assert summer.start == datetime(2026, 5, 31, 23, tzinfo=UTC) and summer.end == datetime(2026, 6, 30, 23, tzinfo=UTC)
    with pytest.raises(Invalid):
        reports.period(date(2026, 6, 2), date(2026, 6, 1))
    month = reports.month_period("2026-02")
    assert (month.first, month.last) == (date(2026, 2, 1), date(2026, 2, 28))
    with pytest.raises(Invalid):
        reports.month_period("Feb 2026")


def test_edge_rules_of_due_on_time_late_and_excused(db, orders):
    due = local(2026, 6, 10, 17)
    orders.add(due=due, completed=due)  # exactly at due: on time
    orders.add(due=due, completed=due + timedelta(seconds=1))  # a second after: late
    orders.add(due=due, completed=None)  # not done and due has passed: late
    orders.add(due=local(2026, 6, 25, 17))  # not done, not yet due: neither
    orders.add(due=due, completed=due + timedelta(hours=3), excused=True)  # late, excused
    orders.add(due=due, completed=due - timedelta(hours=3), excused=True)  # on time: excusal does not matter
    orders.add(due=due, status="cancelled")  # cancelled: left out
    orders.add(due=local(2026, 6, 1, 0), completed=local(2026, 5, 31, 9))  # first instant of the period: counted
    orders.add(due=local(2026, 7, 1, 0))  # first instant after the last day: not counted
    orders.add(due=local(2026, 5, 31, 23, 59))  # the day before: not counted
    orders.add(due=local(2026, 6, 30, 23, 59), rc="emergency")  # last minute of the last day: counted
    orders.add(due=None, status="awaiting_authorisation")  # no clock yet
    db.commit()
    rows = reports.kpis(db, june(), now=NOW)
    nd = row_of(rows, "next_day")
    assert (nd.figures.due, nd.figures.on_time, nd.figures.late, nd.figures.excused) == (7, 3, 3, 1)
    assert nd.contract() == {
        "response_class": "next_day",
        "due": 7,
        "on_time": 3,
        "late": 3,
        "excused": 1,
        "not_yet_due": 1,
        "percent_on_time": 100 * 3 / (3 + 3 - 1),  # the order not yet due counts neither for nor against
        "target": 95.0,
    }
    em = row_of(rows, "emergency")
    assert (em.figures.due, em.figures.on_time, em.figures.late) == (1, 0, 0)
    # Only an order not yet due: nothing to judge yet (not 0% on time).
    assert em.figures.not_yet_due == 1 and em.figures.percent_on_time is None and em.met is None
    st = row_of(rows, "standard")
    assert st.figures.due == 0 and st.figures.percent_on_time is None and st.met is None
    # the contract classes first, then those of compliance in the home (inspection, swap, ...)
    assert [r.response_class for r in rows][: len(reports.CLASS_ORDER)] == reports.CLASS_ORDER


def python_kpis(raw, p, now):
    """The contract's definitions (API.md `/kpis`), computed independently from the raw rows:
    due, on time, late, excused, not yet due and the percentage over the orders judged."""
    out = {}
    for rc, status, due_at, completed_at, excused in raw:
        if status == "cancelled" or due_at is None or not (p.start <= due_at < p.end):
            continue
        f = out.setdefault(rc, [0, 0, 0, 0, 0])
        f[0] += 1
        on_time = completed_at is not None and completed_at <= due_at
        late = (completed_at is not None and completed_at > due_at) or (completed_at is None and due_at < now)
        f[1] += on_time
        f[2] += late
        f[3] += late and excused
        f[4] += completed_at is None and due_at >= now
    return {
        rc: (d, o, la, e, n, 100 * o / (o + la - e) if o + la - e else None) for rc, (d, o, la, e, n) in out.items()
    }


def test_kpis_recompute_exactly_from_raw_rows(db, orders):
    rng = random.Random(7)
    start = local(2026, 3, 20)
    for _ in range(600):
        due = start + timedelta(minutes=rng.randint(0, 60 * 24 * 100))
        roll = rng.random()
        completed = None if roll < 0.15 else due + timedelta(minutes=rng.choice([-600, -1, 0, 0, 1, 30, 2000]))
        status = "cancelled" if rng.random() < 0.05 else None
        orders.add(
            due=due,
            completed=completed,
            rc=rng.choice(reports.CLASS_ORDER),
            status=status,
            excused=rng.random() < 0.2,
            depot=rng.choice([orders.ips, orders.bse]),
        )
    db.commit()
    raw = db.exec(select(Order.response_class, Order.status, Order.due_at, Order.completed_at, Order.excused)).all()
    for p in (
        reports.period(date(2026, 3, 29), date(2026, 4, 30)),
        reports.period(date(2026, 6, 1), date(2026, 6, 30)),
        reports.period(date(2026, 1, 1), date(2026, 12, 31)),
    ):
        expected = python_kpis(raw, p, NOW)
        got = {
            r.response_class: (
                r.figures.due,
                r.figures.on_time,
                r.figures.late,
                r.figures.excused,
                r.figures.not_yet_due,
                r.figures.percent_on_time,
            )
            for r in reports.kpis(db, p, now=NOW)
            if r.figures.due
        }
        assert got == expected
        # Breakdowns add up to the same totals.
        total = reports.totals(reports.kpis(db, p, now=NOW))
        for parts in (reports.by_depot(db, p, now=NOW), reports.by_district(db, p, now=NOW)):
            assert sum(b.figures.due for b in parts) == total.due
            assert sum(b.figures.late for b in parts) == total.late
        weekly = reports.weekly_trend(db, p, now=NOW)
        assert sum(t.figures.on_time for t in weekly) == total.on_time
        assert sum(t.figures.excused for t in weekly) == total.excused
        assert sum(c.late_orders for c in reports.by_cause(db, p, now=NOW)) == total.late


def test_weekly_trend_buckets_by_local_monday(db, orders):
    # Monday 30 March 2026, 00:30 BST is Sunday 29 March 23:30 UTC: it belongs to the week of 30 March.
    orders.add(due=local(2026, 3, 30, 0, 30), completed=local(2026, 3, 30, 0, 0))
    orders.add(due=local(2026, 3, 29, 23, 30), completed=local(2026, 3, 29, 23, 0))  # Sunday: the week before
    orders.add(due=local(2026, 10, 26, 0, 30), completed=None)  # after the change back to GMT
    db.commit()
    p = reports.period(date(2026, 3, 1), date(2026, 11, 30))
    weeks = {(t.week_start, t.response_class): t.figures.due for t in reports.weekly_trend(db, p, now=NOW)}
    assert weeks == {
        (date(2026, 3, 30), "next_day"): 1,
        (date(2026, 3, 23), "next_day"): 1,
        (date(2026, 10, 26), "next_day"): 1,
    }
    assert reports.weeks_of(reports.period(date(2026, 6, 3), date(2026, 6, 15)))[0] == date(2026, 6, 1)


def test_causes_explain_late_orders_and_excusal(db, orders, make):
    due = local(2026, 6, 10, 17)
    stock = orders.add(due=due, completed=due + timedelta(days=1))
    record_delay(db, stock, kind=DelayKind.PREDICTED, cause=DelayCause.STOCK_UNAVAILABLE)
    record_delay(db, stock, kind=DelayKind.ACTUAL, cause=DelayCause.NO_VAN_CAPACITY)
    asked = orders.add(due=due, completed=due + timedelta(days=2))
    record_delay(db, asked, kind=DelayKind.PREDICTED, cause=DelayCause.LATER_DATE_REQUESTED)
    record_delay(db, asked, kind=DelayKind.ACTUAL, cause=DelayCause.NOT_AT_HOME)  # later, but the order stays excused
    orders.add(due=due, completed=None)  # late, nothing recorded
    on_time = orders.add(due=due, completed=due - timedelta(hours=1))
    record_delay(db, on_time, kind=DelayKind.PREDICTED, cause=DelayCause.VEHICLE_BREAKDOWN)  # predicted but made it
    db.commit()
    causes = {(c.cause, c.attributable): c.late_orders for c in reports.by_cause(db, june(), now=NOW)}
    assert causes == {("no_van_capacity", True): 1, ("later_date_requested", False): 1, ("not_recorded", True): 1}
    rows = reports.kpis(db, june(), now=NOW)
    split = row_of(reports.by_attributable(rows), "next_day")
    assert (split.late, split.attributable, split.not_attributable) == (3, 2, 1)
    late, total = reports.late_orders(db, june(), now=NOW)
    assert total == 3 and [o.cause for o in late] == ["no_van_capacity", "later_date_requested", "not_recorded"]
    assert late[0].minutes_late == 24 * 60 and late[1].excused
    # The delay log: both kinds, filters, newest first.
    everything = reports.period(date(2020, 1, 1), date(2030, 1, 1))
    log, n = reports.delay_log(db, everything, reports.DelayFilter())
    assert n == 5 and log[0].cause == "vehicle_breakdown"
    assert reports.delay_log(db, everything, reports.DelayFilter(kind="actual"))[1] == 2
    assert reports.delay_log(db, everything, reports.DelayFilter(cause="stock_unavailable", depot="ips"))[1] == 1
    assert reports.delay_log(db, everything, reports.DelayFilter(response_class="emergency"))[1] == 0
    with pytest.raises(NotFound):
        reports.delay_log(db, everything, reports.DelayFilter(depot="NOPE"))


def test_at_risk_lists_unplanned_and_planned_late_orders(db, orders, make):
    soon = NOW + timedelta(hours=5)
    unplanned = orders.add(due=soon, status="ready")
    orders.add(due=soon, status="back_order")
    orders.add(due=NOW + timedelta(days=5), status="ready")  # beyond the horizon
    overdue = orders.add(due=NOW - timedelta(hours=1), status="ready")
    fine = orders.add(due=soon, status="planned")
    late = orders.add(due=soon, status="planned")
    orders.add(due=soon, status="completed", completed=NOW)
    van = make.van(orders.ips)
    plan = Plan(service_date=NOW.date(), status="done")
    db.add(plan)
    db.flush()
    route = Route(plan_id=plan.id, van_id=van.id)
    db.add(route)
    db.flush()
    for seq, (order, eta, is_late) in enumerate(
        [(fine, soon - timedelta(hours=1), False), (late, soon + timedelta(hours=1), True)]
    ):
        stop = Stop(
            route_id=route.id, sequence=seq, service_user_id=orders.person.id, lat=0, lon=0, eta=eta, late=is_late
        )
        db.add(stop)
        db.flush()
        db.add(StopOrder(stop_id=stop.id, order_id=order.id))
    db.commit()
    items, total = reports.at_risk(db, now=NOW)
    assert total == 4
    reasons = {i.ref: i.reason for i in items}
    assert reasons[unplanned.ref] == "not planned yet"
    assert reasons[overdue.ref].startswith("overdue")
    assert reasons[late.ref] == "planned after the due time"
    assert fine.ref not in reasons
    assert next(i for i in items if i.ref == late.ref).planned_eta == soon + timedelta(hours=1)


def test_timeline_hides_free_text_unless_asked(db, orders):
    order = orders.add(due=local(2026, 6, 10, 17), completed=local(2026, 6, 11, 9))
    record_delay(db, order, kind=DelayKind.ACTUAL, cause=DelayCause.ACCESS_PROBLEM, note="Ada was out")
    db.commit()
    officer = reports.order_timeline(db, order.ref.lower(), with_details=False, now=NOW)
    assert officer.on_time is False and officer.delays[0].cause == "access_problem"
    assert all("Ada" not in e.detail for e in officer.events) and officer.delays[0].note == ""
    staff = reports.order_timeline(db, order.ref, with_details=True, now=NOW)
    assert any("Ada was out" in e.detail for e in staff.events)
    with pytest.raises(NotFound):
        reports.order_timeline(db, "EQ-999999", with_details=False)


def test_monthly_report_breaches_recycling_loans_and_inspections(db, orders, make):
    due = local(2026, 6, 10, 17)
    for _i in range(19):
        orders.add(due=due, completed=due - timedelta(hours=1))
    late = orders.add(due=due, completed=due + timedelta(days=1))
    record_delay(db, late, kind=DelayKind.ACTUAL, cause=DelayCause.STOCK_UNAVAILABLE)
    late2 = orders.add(due=due, completed=due + timedelta(days=1))
    record_delay(db, late2, kind=DelayKind.ACTUAL, cause=DelayCause.VEHICLE_BREAKDOWN)
    orders.add(due=due, rc="emergency", completed=due)
    bed = make.item("BED", serialised=True, category="beds", inspection_regime="electrical_12m")
    frame = make.item("FRAME", category="walking")
    at = local(2026, 6, 5, 10)
    moves = [
        (bed, "on_loan", "quarantine", 3, "collection"),
        (bed, "quarantine", "available", 2, "return"),
        (bed, "quarantine", None, 1, "scrap"),
        (frame, "on_loan", "quarantine", 5, "collection"),
        (frame, "decontaminated", "available", 4, "return"),
        (frame, "repair", "scrapped", 1, "scrap"),
        (frame, None, "available", 50, "receipt"),
    ]
    for item, src, dst, qty, kind in moves:
        db.add(
            StockMovement(
                at=at,
                item_id=item.id,
                quantity=qty,
                from_depot_id=orders.ips.id if src else None,
                from_state=src,
                to_depot_id=orders.ips.id if dst else None,
                to_state=dst,
                kind=kind,
            )
        )
    db.add(
        StockMovement(
            at=local(2026, 7, 1, 10),
            item_id=bed.id,
            quantity=9,
            from_depot_id=orders.ips.id,
            from_state="on_loan",
            to_depot_id=orders.ips.id,
            to_state="quarantine",
            kind="collection",
        )
    )
    today = NOW.date()
    for n, (state, next_due) in enumerate(
        [
            ("on_loan", today - timedelta(days=3)),
            ("available", today - timedelta(days=1)),
            ("on_loan", today + timedelta(days=30)),
            ("scrapped", today - timedelta(days=90)),
        ]
    ):
        db.add(
            Asset(
                serial=f"S{n}",
                item_id=bed.id,
                depot_id=orders.ips.id,
                state=state,
                next_inspection_due=next_due,
                on_loan_since=NOW if state == "on_loan" else None,
            )
        )
    db.add(StockBalance(depot_id=orders.ips.id, item_id=frame.id, state="on_loan", quantity=12))
    db.commit()
    report = reports.monthly_report(db, june(), now=NOW)
    nd = row_of(report.kpis, "next_day")
    assert nd.figures.percent_on_time == pytest.approx(100 * 19 / 21) and nd.met is False
    assert [b.response_class for b in report.breaches] == ["next_day"]
    breach = report.breaches[0]
    assert {c.cause: c.late_orders for c in breach.causes} == {"stock_unavailable": 1, "vehicle_breakdown": 1}
    assert breach.shortfall_orders == 1  # 95% of 21 is 19.95: 20 needed
    assert row_of(report.kpis, "emergency").met is True
    recycling = {r.category: (r.collected, r.returned_to_stock, r.scrapped) for r in report.recycling}
    assert recycling == {"beds": (3, 2, 1), "walking": (5, 4, 1)}
    loans = {(r.category, r.depot): (r.serialised_units, r.bulk_units) for r in report.on_loan}
    assert loans == {("beds", "IPS"): (2, 0), ("walking", "IPS"): (0, 12)}
    overdue = report.inspections_overdue
    assert [(r.regime, r.in_homes, r.in_stores) for r in overdue] == [("electrical_12m", 1, 1)]
    assert overdue[0].oldest_due == today - timedelta(days=3)


def test_dashboard_rolls_up_to_the_same_figures_as_each_query(db, orders):
    rng = random.Random(3)
    start = local(2026, 5, 25)
    for _ in range(300):
        due = start + timedelta(minutes=rng.randint(0, 60 * 24 * 40))
        completed = None if rng.random() < 0.2 else due + timedelta(minutes=rng.choice([-300, 0, 45, 3000]))
        orders.add(
            due=due,
            completed=completed,
            rc=rng.choice(reports.CLASS_ORDER),
            excused=rng.random() < 0.2,
            depot=rng.choice([orders.ips, orders.bse]),
            district=rng.choice(["IP1", "IP4", "CO10"]),
        )
    db.commit()
    p = june()
    board = reports.dashboard(db, p, now=NOW)

    def flat(rows):
        return [
            (
                getattr(r, "response_class", None),
                getattr(r, "key", None),
                getattr(r, "week_start", None),
                r.figures.due,
                r.figures.on_time,
                r.figures.late,
                r.figures.excused,
            )
            for r in rows
        ]

    assert flat(board.kpis) == flat(reports.kpis(db, p, now=NOW))
    assert flat(board.depots) == flat(reports.by_depot(db, p, now=NOW))
    assert flat(board.districts) == flat(reports.by_district(db, p, now=NOW))
    assert flat(board.trend) == flat(reports.weekly_trend(db, p, now=NOW))
