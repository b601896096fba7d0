"""Compliance in the home: inspection visits, results at the door, recalls and the figures."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import func, select

from equipment import compliance, deliveries, stock
from equipment.compliance.schemas import RecallCreate
from equipment.errors import Invalid, InvalidTransition
from equipment.models import Asset, AssetEvent, Order, OrderLine, Recall, RecallUnit, ResponseClass, StockMovement
from equipment.stock.inspections import next_due, record_inspection
from equipment.stock.returns import process_asset
from equipment.vocabulary import OrderKind, OrderStatus
from tests.equipment.compliance_support import COORD, build_compliance_world, stop_with

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def cw(db, engine, make):
    return build_compliance_world(db, engine, make)


def _service_hours_between(start: datetime, end: datetime) -> float:
    """Hours from start to end inside each day's 08:00-20:00 in London (the seed's swap window)."""
    seconds, day = 0.0, start.astimezone(LONDON).date() - timedelta(days=1)
    while datetime.combine(day, time(8), LONDON) < end:
        opens, closes = datetime.combine(day, time(8), LONDON), datetime.combine(day, time(20), LONDON)
        seconds += max(0.0, (min(end, closes) - max(start, opens)).total_seconds())
        day += timedelta(days=1)
    return round(seconds / 3600, 3)


def _lines(db, order) -> list[str]:
    return sorted(db.exec(select(OrderLine.serial).where(OrderLine.order_id == order.id)))


def test_schedule_twice_creates_each_visit_once_one_per_address(cw):
    home, other, later = cw.world.person(), cw.world.person(km_north=4), cw.world.person(km_north=5)
    first = cw.lend(home, cw.lifter, due_in_days=10)
    second = cw.lend(home, cw.lifter, due_in_days=15)
    pump = cw.lend(other, cw.tester, due_in_days=5)
    far_off = cw.lend(later, cw.lifter, due_in_days=40)

    done = compliance.schedule_inspection_visits(cw.db)
    assert len(done.created) == 2 and done.units == 3
    (visit,) = cw.orders_of(home, kind=OrderKind.INSPECTION)
    assert _lines(cw.db, visit) == sorted([first.serial, second.serial])
    assert visit.status == OrderStatus.READY and visit.response_class == "inspection"
    local_due = visit.due_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/London"))
    assert local_due.date() == cw.today + timedelta(days=10) and local_due.hour == 17
    assert _lines(cw.db, cw.orders_of(other, kind=OrderKind.INSPECTION)[0]) == [pump.serial]

    again = compliance.schedule_inspection_visits(cw.db)
    assert again.created == [] and again.extended == [] and again.units == 0
    assert cw.db.exec(select(func.count()).select_from(Order).where(Order.kind == OrderKind.INSPECTION)).one() == 2

    # Later the far-off unit comes within the lead time: it gets its own visit, once.
    compliance.schedule_inspection_visits(cw.db, today=cw.today + timedelta(days=25))
    assert [_lines(cw.db, o) for o in cw.orders_of(later, kind=OrderKind.INSPECTION)] == [[far_off.serial]]


def _visit_stop(cw, person):
    compliance.schedule_inspection_visits(cw.db)
    (visit,) = cw.orders_of(person, kind=OrderKind.INSPECTION)
    plan = cw.world.published()
    return visit, stop_with(cw.world, plan, visit.ref)


def test_a_pass_sets_the_next_due_date_and_a_fail_takes_the_unit_out_of_use_with_a_swap(cw):
    home = cw.world.person()
    good, bad = cw.lend(home, cw.lifter, due_in_days=3), cw.lend(home, cw.lifter, due_in_days=4)
    visit, stop = _visit_stop(cw, home)
    at = None  # now: the visit orders were made a moment ago

    with pytest.raises(Invalid) as missing:
        deliveries.apply_outcome(
            cw.db,
            stop_id=stop.id,
            status="delivered",
            actor=COORD,
            recipient="Mr Ames",
            at=at,
            inspections=[{"serial": good.serial, "result": "pass"}],
            examiner="J Smith",
        )
    assert missing.value.field == "inspections"
    cw.db.rollback()
    with pytest.raises(Invalid) as nobody:
        deliveries.apply_outcome(
            cw.db,
            stop_id=stop.id,
            status="delivered",
            actor=COORD,
            recipient="Mr Ames",
            at=at,
            inspections=[{"serial": good.serial, "result": "pass"}, {"serial": bad.serial, "result": "fail"}],
        )
    assert nobody.value.field == "examiner"
    cw.db.rollback()

    deliveries.apply_outcome(
        cw.db,
        stop_id=stop.id,
        status="delivered",
        actor=COORD,
        recipient="Mr Ames",
        at=at,
        examiner="J Smith",
        inspections=[
            {"serial": good.serial, "result": "pass"},
            {"serial": bad.serial, "result": "fail", "note": "sling frayed"},
        ],
    )
    cw.db.commit()
    passed, failed = cw.asset(good.serial), cw.asset(bad.serial)
    assert passed.last_inspected_on == cw.today and passed.next_inspection_due == next_due("loler_6m", cw.today)
    assert failed.next_inspection_due == cw.today - timedelta(days=1) and failed.state == "on_loan"
    events = [e.event for e in cw.db.exec(select(AssetEvent).where(AssetEvent.asset_id == failed.id))]
    assert "out_of_use" in events
    swap = cw.orders_of(home, response_class="swap")
    (collection,) = cw.orders_of(home, kind=OrderKind.COLLECTION)
    assert len(swap) == 1 and swap[0].kind == OrderKind.DELIVERY and swap[0].status == OrderStatus.READY
    assert _lines(cw.db, collection) == [bad.serial] and collection.due_at == swap[0].due_at
    assert _service_hours_between(swap[0].clock_started_at, swap[0].due_at) == 4  # the swap class's clock
    replacement = cw.db.exec(
        select(Asset).where(Asset.order_line_id.in_(select(OrderLine.id).where(OrderLine.order_id == swap[0].id)))
    ).one()
    assert replacement.state == "allocated" and replacement.item_id == cw.lifter.id
    assert cw.db.get(Order, visit.id).status == OrderStatus.COMPLETED


def _recall(**fields) -> RecallCreate:
    values = {"reference": "MHRA-2026-001", "skus": ["LIFT-L"], "action": "inspect"}
    values.update(fields)
    return RecallCreate(**values)


def test_a_batch_recall_quarantines_stock_reaches_homes_and_is_acknowledged(cw):
    home = cw.world.person()
    lent = cw.lend(home, cw.lifter, due_in_days=100)  # LFT-001, batch B1
    waiting = cw.world.order(cw.world.person(km_north=6), lines=[(cw.lifter, 1)])  # holds LFT-002
    assert cw.asset("LFT-002").state == "allocated"

    recall = compliance.record_recall(cw.db, data=_recall(batch="B1"), user_id=None)
    detail = compliance.recall_detail(cw.db, recall.id)
    by_serial = {u.serial: u for u in detail.units}
    assert sorted(by_serial) == ["LFT-001", "LFT-002", "LFT-003", "LFT-004"]
    assert {s: u.status for s, u in by_serial.items()} == {
        "LFT-001": "visit_planned",
        "LFT-002": "quarantined",
        "LFT-003": "quarantined",
        "LFT-004": "quarantined",
    }
    assert by_serial["LFT-001"].where == "home" and by_serial["LFT-001"].area == "IP4"
    assert all(cw.asset(s).state == "quarantine" for s in ("LFT-002", "LFT-003", "LFT-004"))
    # The order that held a recalled unit took another one, of batch B2.
    held = cw.db.exec(
        select(Asset).join(OrderLine, OrderLine.id == Asset.order_line_id).where(OrderLine.order_id == waiting.id)
    ).one()
    assert held.batch == "B2" and cw.db.get(Order, waiting.id).status == OrderStatus.READY
    assert (detail.progress.affected, detail.progress.reached, detail.progress.done) == (4, 3, 3)

    # Orders now take only B2 units, then wait: recalled units are never allocated.
    more = [cw.world.order(cw.world.person(km_north=7), lines=[(cw.lifter, 1)]) for _ in range(2)]
    assert {
        cw.db.exec(
            select(Asset.batch).where(Asset.order_line_id.in_(select(OrderLine.id).where(OrderLine.order_id == o.id)))
        ).one()
        for o in more
    } == {"B2"}
    with pytest.raises(ValueError):
        cw.world.order(cw.world.person(km_north=8), lines=[(cw.lifter, 1)])
    cw.db.rollback()
    process_asset(cw.db, serial="LFT-003", action="decontaminated", user_id=None)
    with pytest.raises(InvalidTransition):
        record_inspection(cw.db, serial="LFT-003", result="pass", user_id=None)

    # The visit to the home: the unit inspected, the person acknowledges the notice.
    visit = cw.db.get(
        Order,
        cw.db.exec(
            select(RecallUnit.order_id).where(RecallUnit.recall_id == recall.id, RecallUnit.order_id.is_not(None))
        ).one(),
    )
    assert visit.kind == OrderKind.INSPECTION and _lines(cw.db, visit) == [lent.serial]
    cw.db.commit()
    plan = cw.world.published()
    stop = stop_with(cw.world, plan, visit.ref)
    deliveries.apply_outcome(
        cw.db,
        stop_id=stop.id,
        status="delivered",
        actor=COORD,
        recipient="Mrs Lane",
        at=None,
        inspections=[{"serial": lent.serial, "result": "pass"}],
        examiner="A Examiner",
        acknowledged=True,
    )
    cw.db.commit()
    detail = compliance.recall_detail(cw.db, recall.id)
    unit = next(u for u in detail.units if u.serial == lent.serial)
    assert unit.status == "acknowledged" and unit.acknowledged_at is not None and unit.visit_status == "completed"
    assert (detail.progress.affected, detail.progress.reached, detail.progress.done) == (4, 4, 4)


def test_a_withdrawal_swaps_the_unit_in_the_home(cw):
    home = cw.world.person()
    lent = cw.lend(home, cw.lifter, due_in_days=100)
    recall = compliance.record_recall(
        cw.db, data=_recall(serials=[lent.serial], action="withdraw", response_class="emergency"), user_id=None
    )
    (unit,) = cw.db.exec(select(RecallUnit).where(RecallUnit.recall_id == recall.id)).all()
    collection, delivery = cw.db.get(Order, unit.order_id), cw.db.get(Order, unit.swap_order_id)
    assert collection.kind == OrderKind.COLLECTION and _lines(cw.db, collection) == [lent.serial]
    assert delivery.kind == OrderKind.DELIVERY and delivery.response_class == "emergency"
    assert delivery.depot_id == collection.depot_id and delivery.status == OrderStatus.READY


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"skus": ["NO-SUCH"], "batch": "B1"}, "skus"),
        ({"serials": ["LFT-999"]}, "serials"),
        ({"serials": ["PMP-001"]}, "serials"),  # not one of the notice's lines
        ({}, "serials"),  # no selection
        ({"batch": "B1", "serials": ["LFT-001"]}, "serials"),  # two selections
        ({"batch": "NOPE"}, "batch"),  # names no unit
        ({"made_from": "2026-05-01", "made_to": "2026-01-01"}, "made_to"),
        ({"made_from": "2026-05-01"}, "made_to"),
        ({"batch": "B1", "action": "burn"}, "action"),
        ({"batch": "B1", "response_class": "urgent_collection"}, "response_class"),
        ({"batch": "B1", "skus": []}, "skus"),
    ],
)
def test_bad_notices_are_refused_and_write_nothing(cw, fields, field):
    cw.lend(cw.world.person(), cw.lifter, due_in_days=100)
    movements = cw.db.exec(select(func.count()).select_from(StockMovement)).one()
    with pytest.raises(Invalid) as refused:
        compliance.record_recall(cw.db, data=_recall(**fields), user_id=None)
    assert refused.value.field == field
    cw.db.rollback()
    assert cw.db.exec(select(func.count()).select_from(Recall)).one() == 0
    assert cw.db.exec(select(func.count()).select_from(StockMovement)).one() == movements
    assert {a.state for a in cw.db.exec(select(Asset).where(Asset.batch == "B1"))} <= {"available", "on_loan"}


def test_compliance_figures_recompute_from_the_asset_records(cw):
    people = [cw.world.person(km_north=n) for n in (2, 3, 4)]
    for n, person in enumerate(people):
        cw.lend(person, cw.lifter, due_in_days=[-3, 10, 40][n])
        cw.lend(person, cw.tester, due_in_days=[5, -1, -20][n])
    cw.lend(people[0], cw.lifter, due_in_days=None)  # as received: due in six months
    compliance.record_recall(cw.db, data=_recall(batch="B2"), user_id=None)

    figures = compliance.compliance_figures(cw.db, today=cw.today)

    assets = cw.db.exec(select(Asset).where(Asset.state == "on_loan")).all()
    for figure in figures.regimes:
        item_id = cw.lifter.id if figure.regime == "loler_6m" else cw.tester.id
        mine = [a for a in assets if a.item_id == item_id]
        in_date = [a for a in mine if a.next_inspection_due and a.next_inspection_due >= cw.today]
        assert (figure.on_loan, figure.in_date) == (len(mine), len(in_date))
        assert figure.share == round(100 * len(in_date) / len(mine), 1)
    assert sum(a.overdue for a in figures.overdue_by_area) == sum(
        1 for a in assets if a.item_id in (cw.lifter.id, cw.tester.id) and a.next_inspection_due < cw.today
    )
    assert {a.area for a in figures.overdue_by_area} == {"IP4"}
    (recall,) = figures.recalls
    assert recall.reference == "MHRA-2026-001" and recall.progress.affected == 3
    csv_text = compliance.figures_csv(figures)
    assert "Person" not in csv_text and "MHRA-2026-001" in csv_text and "in_date,Lifting" in csv_text


def test_units_on_a_van_are_flagged_to_the_clerk_and_left_where_they_are(cw):
    order = cw.world.order(cw.world.person(), lines=[(cw.lifter, 1)])
    line = cw.db.exec(select(OrderLine).where(OrderLine.order_id == order.id)).one()
    stock.load_line(cw.db, line=line, van_id=cw.world.vans[0].id, user_id=None)
    cw.db.commit()
    recall = compliance.record_recall(cw.db, data=_recall(serials=["LFT-001", "LFT-002"]), user_id=None)
    units = {u.serial: u for u in compliance.recall_detail(cw.db, recall.id).units}
    assert (units["LFT-001"].status, units["LFT-001"].where) == ("flagged", "on_van")
    assert cw.asset("LFT-001").state == "loaded" and units["LFT-002"].status == "quarantined"
    progress = compliance.recall_detail(cw.db, recall.id).progress
    assert (progress.affected, progress.reached, progress.done) == (2, 1, 1)


def test_planning_goes_on_when_the_schedule_cannot_run(cw, engine):
    cw.lend(cw.world.person(), cw.lifter, due_in_days=3)
    cw.db.delete(cw.db.get(ResponseClass, "inspection"))
    cw.db.commit()
    assert compliance.schedule_before_planning(engine) is None


def test_a_clerk_quarantines_a_unit_back_from_the_van_releases_an_inspected_one_and_closes(cw):
    order = cw.world.order(cw.world.person(), lines=[(cw.lifter, 1)])
    line = cw.db.exec(select(OrderLine).where(OrderLine.order_id == order.id)).one()
    stock.load_line(cw.db, line=line, van_id=cw.world.vans[0].id, user_id=None)
    cw.db.commit()
    recall = compliance.record_recall(cw.db, data=_recall(serials=["LFT-001", "LFT-002"]), user_id=None)
    with pytest.raises(InvalidTransition):
        compliance.close_recall(cw.db, recall_id=recall.id, user_id=None)  # LFT-001 is still on the van
    with pytest.raises(InvalidTransition):
        compliance.act_on_recall_unit(cw.db, recall_id=recall.id, serial="LFT-001", action="quarantine", user_id=None)
    stock.release_line(cw.db, line=cw.db.get(OrderLine, line.id), user_id=None)  # the order is called off
    cw.db.commit()
    assert cw.asset("LFT-001").state == "available"
    assert stock.available_quantity(cw.db, depot_id=cw.world.depot.id, item_id=cw.lifter.id) == 5  # held: not 6
    compliance.act_on_recall_unit(cw.db, recall_id=recall.id, serial="LFT-001", action="quarantine", user_id=None)
    assert cw.asset("LFT-001").state == "quarantine"

    compliance.act_on_recall_unit(cw.db, recall_id=recall.id, serial="LFT-002", action="release", user_id=None)
    process_asset(cw.db, serial="LFT-002", action="decontaminated", user_id=None)
    record_inspection(cw.db, serial="LFT-002", result="pass", user_id=None)  # no longer held
    assert cw.asset("LFT-002").state == "available"
    with pytest.raises(Invalid):
        compliance.act_on_recall_unit(cw.db, recall_id=recall.id, serial="LFT-001", action="burn", user_id=None)
    compliance.act_on_recall_unit(cw.db, recall_id=recall.id, serial="LFT-001", action="release", user_id=None)
    closed = compliance.close_recall(cw.db, recall_id=recall.id, user_id=None)
    assert closed.status == "closed" and compliance.compliance_figures(cw.db, today=cw.today).recalls == []


def test_a_withdrawn_unit_is_never_released(cw):
    recall = compliance.record_recall(cw.db, data=_recall(serials=["LFT-003"], action="withdraw"), user_id=None)
    with pytest.raises(InvalidTransition):
        compliance.act_on_recall_unit(cw.db, recall_id=recall.id, serial="LFT-003", action="release", user_id=None)
