"""Order intake, allocation, authorisation, collections, amendment and cancellation."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from equipment import orders, stock
from equipment.errors import Conflict, Invalid, InvalidTransition
from equipment.models import Asset, AuditEvent, Delay, Order, OrderEvent, OrderLine, ResponseClass, ServiceUser
from equipment.orders.schemas import OrderAmend
from tests.equipment.test_orders_support import VALID_NHS, build_world, order_body, person, receive

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # GMT: local time is UTC


@pytest.fixture
def world(db):
    return build_world(db)


def create(db, world, now=MONDAY_10, **overrides):
    return orders.create_order(db, data=order_body(**overrides), user_id=world["user"].id, now=now)


def count(db, model) -> int:
    return db.exec(select(func.count()).select_from(model)).one()


def events(db, order) -> list[str]:
    return [e.event for e in db.exec(select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id))]


def test_delivery_with_stock_at_the_serving_depot_is_ready(db, world):
    receive(db, "IPS", "FRAME", quantity=3)
    order = create(db, world)
    assert order.ref == f"EQ-{order.id:06d}"
    assert order.status == "ready"
    assert order.depot_id == world["depots"]["IPS"].id and order.district == "IP4"
    assert order.received_at == MONDAY_10 and order.clock_started_at == MONDAY_10
    assert order.due_at == datetime(2026, 11, 26, 17, 0, tzinfo=UTC)  # three working days
    line = db.exec(select(OrderLine).where(OrderLine.order_id == order.id)).one()
    assert line.allocated == 1
    assert stock.available_quantity(db, depot_id=world["depots"]["IPS"].id, item_id=world["items"]["FRAME"].id) == 2
    assert events(db, order) == ["received", "allocated"]
    person_row = db.get(ServiceUser, order.service_user_id)
    assert (person_row.postcode, person_row.district, person_row.nhs_number) == ("IP4 2QJ", "IP4", VALID_NHS[0])
    assert person_row.location_source == "district_centroid"
    actions = {(a.action, a.entity) for a in db.exec(select(AuditEvent))}
    assert {("created", "order"), ("created", "service_user")} <= actions


def test_nearest_depot_that_has_it_when_the_serving_depot_has_none(db, world):
    receive(db, "ELL", "FRAME", quantity=5)
    receive(db, "BSE", "FRAME", quantity=5)
    order = create(db, world)
    assert order.status == "ready"
    assert order.depot_id == world["depots"]["BSE"].id  # Bury is nearer Ipswich than Ellough
    second = create(db, world, service_user=person(name="Bob", nhs_number=VALID_NHS[1], postcode="NR34 7XD"))
    assert second.depot_id == world["depots"]["ELL"].id


def test_whole_order_from_one_depot(db, world):
    receive(db, "IPS", "FRAME", quantity=5)
    receive(db, "BSE", "FRAME", quantity=5)
    receive(db, "BSE", "BED", serials=["B1"])
    order = create(db, world, lines=[{"sku": "FRAME", "quantity": 2}, {"sku": "BED"}])
    assert order.status == "ready" and order.depot_id == world["depots"]["BSE"].id
    assert db.exec(select(Asset).where(Asset.serial == "B1")).one().state == "allocated"


def test_no_stock_anywhere_is_a_back_order_filled_by_a_receipt(db, world):
    order = create(db, world, response_class="standard")
    assert order.status == "back_order" and order.depot_id == world["depots"]["IPS"].id
    assert count(db, Delay) == 0  # due in seven working days: stock may yet come
    receive(db, "IPS", "FRAME", quantity=1)
    db.refresh(order)
    assert order.status == "ready"


def test_back_order_due_within_the_next_working_day_predicts_a_stock_delay(db, world):
    order = create(db, world, response_class="next_day")
    assert order.status == "back_order"
    delay = db.exec(select(Delay)).one()
    assert (delay.kind, delay.cause, delay.attributable) == ("predicted", "stock_unavailable", True)
    assert delay.due_at == order.due_at
    assert "delay_predicted" in events(db, order)
    # A later check does not log it twice.
    assert orders.predict_back_order_delays(db, now=MONDAY_10) == []


def test_predict_back_order_delays_as_time_passes(db, world):
    order = create(db, world, response_class="three_day")  # due Thursday
    assert count(db, Delay) == 0
    assert orders.predict_back_order_delays(db, now=MONDAY_10 + timedelta(days=1)) == []
    assert orders.predict_back_order_delays(db, now=MONDAY_10 + timedelta(days=2)) == [order.ref]
    assert count(db, Delay) == 1


def test_partial_stock_is_held_at_the_serving_depot(db, world):
    receive(db, "IPS", "FRAME", quantity=1)
    order = create(db, world, response_class="standard", lines=[{"sku": "FRAME", "quantity": 3}])
    assert order.status == "back_order"
    assert db.exec(select(OrderLine)).one().allocated == 1
    receive(db, "IPS", "FRAME", quantity=2)
    db.refresh(order)
    assert order.status == "ready"


def test_authorisation_with_the_clock_running_from_receipt(db, world):
    receive(db, "IPS", "BARI", serials=["X1"])
    order = create(db, world, lines=[{"sku": "BARI"}])
    assert order.status == "awaiting_authorisation"
    assert order.due_at == datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
    assert db.exec(select(OrderLine)).one().allocated == 0
    admin = world["staff"]["admin"]
    later = MONDAY_10 + timedelta(hours=2)
    authorised = orders.authorise_order(db, ref=order.ref, user_id=admin.id, now=later)
    assert authorised.status == "ready" and authorised.authorised_by == admin.id
    assert authorised.due_at == datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
    with pytest.raises(InvalidTransition):
        orders.authorise_order(db, ref=order.ref, user_id=admin.id, now=later)


def test_authorisation_starts_the_clock_when_the_class_says_so(db, world):
    rc = db.get(ResponseClass, "next_day")
    rc.clock_start = "authorised"
    db.add(rc)
    db.commit()
    receive(db, "IPS", "BARI", serials=["X1"])
    order = create(db, world, response_class="next_day", lines=[{"sku": "BARI"}])
    assert order.due_at is None and order.clock_started_at is None
    wednesday_9 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    order = orders.authorise_order(db, ref=order.ref, user_id=world["user"].id, now=wednesday_9)
    assert order.clock_started_at == wednesday_9
    assert order.due_at == datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
    # Orders that need no authorisation still count from receipt.
    receive(db, "IPS", "FRAME", quantity=1)
    plain = create(db, world, response_class="next_day")
    assert plain.due_at == datetime(2026, 11, 24, 17, 0, tzinfo=UTC)


def test_changing_the_configuration_never_rewrites_due_times(db, world):
    order = create(db, world, response_class="standard")
    due = order.due_at
    rc = db.get(ResponseClass, "standard")
    rc.amount = 2
    db.add(rc)
    db.commit()
    db.expire_all()
    assert db.get(Order, order.id).due_at == due
    newer = create(db, world, response_class="standard", service_user=person(nhs_number=VALID_NHS[1], name="Bo"))
    assert newer.due_at < due


def test_naive_received_at_is_local_time(db, world):
    summer_now = datetime(2026, 7, 6, 12, 0, tzinfo=UTC)
    order = create(db, world, now=summer_now, received_at="2026-07-06T09:00:00")
    assert order.received_at == datetime(2026, 7, 6, 8, 0, tzinfo=UTC)


def test_find_or_create_the_person(db, world):
    first = create(db, world, response_class="standard")
    by_nhs = create(db, world, response_class="standard", service_user=person(name="A. Lovelace", phone="07700 900000"))
    assert by_nhs.service_user_id == first.service_user_id
    assert db.get(ServiceUser, first.service_user_id).phone == "07700 900000"
    no_nhs = person(nhs_number=None, name="Carl Jung", postcode="ip4 2qj")
    one = create(db, world, response_class="standard", service_user=no_nhs)
    two = create(db, world, response_class="standard", service_user={**no_nhs, "name": "carl  jung"})
    assert one.service_user_id == two.service_user_id != first.service_user_id
    # Later the NHS number is known: it is added to the same person.
    three = create(db, world, response_class="standard", service_user={**no_nhs, "nhs_number": VALID_NHS[2]})
    assert three.service_user_id == one.service_user_id
    assert db.get(ServiceUser, one.service_user_id).nhs_number == VALID_NHS[2]
    assert count(db, ServiceUser) == 2


def test_given_location_is_kept(db, world):
    order = create(db, world, response_class="standard", service_user=person(lat=52.07, lon=1.19))
    row = db.get(ServiceUser, order.service_user_id)
    assert (row.lat, row.lon, row.location_source) == (52.07, 1.19, "given")


def deliver_bed(db, world, serial="B1", **person_overrides):
    receive(db, "IPS", "BED", serials=[serial])
    order = create(db, world, lines=[{"sku": "BED"}], service_user=person(**person_overrides))
    line = db.exec(select(OrderLine).where(OrderLine.order_id == order.id)).one()
    stock.deliver_line(db, line=line, service_user_id=order.service_user_id, at=MONDAY_10, user_id=None)
    order.status, order.completed_at = "completed", MONDAY_10
    db.add(order)
    db.commit()
    return order


def test_collection_by_serial_shares_the_person_with_the_delivery(db, world):
    delivered = deliver_bed(db, world)
    collection = create(db, world, kind="collection", response_class="urgent_collection", lines=[{"serial": "B1"}])
    assert collection.status == "ready"
    assert collection.service_user_id == delivered.service_user_id
    assert collection.due_at == datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    line = db.exec(select(OrderLine).where(OrderLine.order_id == collection.id)).one()
    assert (line.serial, line.item_id, line.allocated) == ("B1", world["items"]["BED"].id, 0)
    # A second open collection of the same asset is a conflict.
    with pytest.raises(Conflict) as exc:
        create(db, world, kind="collection", response_class="urgent_collection", lines=[{"serial": "B1"}])
    assert exc.value.field == "lines.0.serial"


def test_collection_by_item(db, world):
    deliver_bed(db, world)
    collection = create(
        db,
        world,
        kind="collection",
        response_class="standard_collection",
        lines=[{"sku": "BED"}, {"sku": "FRAME", "quantity": 2}],
    )
    assert collection.status == "ready"
    with pytest.raises(Invalid) as exc:
        create(
            db, world, kind="collection", response_class="standard_collection", lines=[{"sku": "BED", "quantity": 2}]
        )
    assert exc.value.field == "lines.0.sku"


@pytest.mark.parametrize(
    "overrides, field",
    [
        (
            {"lines": [{"serial": "B1"}], "service_user": person(nhs_number=VALID_NHS[3], name="Other")},
            "lines.0.serial",
        ),
        ({"lines": [{"serial": "NOPE"}]}, "lines.0.serial"),
        ({"lines": [{"serial": "B2"}]}, "lines.0.serial"),  # in the depot, not on loan
        ({"lines": [{"sku": "FRAME", "serial": "B1"}]}, "lines.0.serial"),  # not a frame
        ({"response_class": "next_day"}, "response_class"),  # a delivery class
    ],
)
def test_bad_collections(db, world, overrides, field):
    deliver_bed(db, world)
    receive(db, "IPS", "BED", serials=["B2"])
    before = (count(db, Order), count(db, ServiceUser), count(db, OrderEvent))
    data = {"kind": "collection", "response_class": "urgent_collection", "lines": [{"serial": "B1"}], **overrides}
    with pytest.raises(Invalid) as exc:
        create(db, world, **data)
    assert exc.value.field == field
    assert (count(db, Order), count(db, ServiceUser), count(db, OrderEvent)) == before


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"received_at": "2026-11-23T10:30:00+00:00"}, "received_at"),
        ({"lines": [{"sku": "FRAME"}, {"sku": "NOPE"}]}, "lines.1.sku"),
        ({"lines": [{"serial": "B1"}]}, "lines.0.serial"),
        ({"lines": [{}]}, "lines.0.sku"),
        ({"service_user": person(nhs_number="9434765918")}, "service_user.nhs_number"),
        ({"service_user": person(nhs_number="12345")}, "service_user.nhs_number"),
        ({"service_user": person(postcode="NOT A CODE")}, "service_user.postcode"),
        ({"service_user": person(postcode="SW1A 1AA")}, "service_user.postcode"),  # outside the area
        ({"service_user": person(name="  ")}, "service_user.name"),
        ({"service_user": person(lat=52.0)}, "service_user.lon"),
        ({"slot": {"start": "2026-11-24T12:00", "end": "2026-11-24T08:00"}}, "slot.end"),
        ({"response_class": "urgent_collection"}, "response_class"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(db, world, overrides, field):
    audits = count(db, AuditEvent)
    with pytest.raises(Invalid) as exc:
        create(db, world, **overrides)
    assert exc.value.field == field
    assert count(db, Order) == 0 and count(db, ServiceUser) == 0 and count(db, AuditEvent) == audits


def test_cancel_releases_the_stock(db, world):
    receive(db, "IPS", "FRAME", quantity=2)
    receive(db, "IPS", "BED", serials=["B1"])
    order = create(db, world, lines=[{"sku": "FRAME", "quantity": 2}, {"sku": "BED"}])
    ips, frame = world["depots"]["IPS"].id, world["items"]["FRAME"].id
    assert stock.available_quantity(db, depot_id=ips, item_id=frame) == 0
    cancelled = orders.cancel_order(db, ref=order.ref, user_id=world["user"].id, reason="Person went into care")
    assert cancelled.status == "cancelled"
    assert stock.available_quantity(db, depot_id=ips, item_id=frame) == 2
    assert db.exec(select(Asset)).one().state == "available"
    event = db.exec(select(OrderEvent).where(OrderEvent.event == "cancelled")).one()
    assert event.user_id == world["user"].id and "went into care" in event.detail
    with pytest.raises(InvalidTransition):
        orders.cancel_order(db, ref=order.ref, user_id=world["user"].id)


def test_no_cancel_or_amend_after_loading(db, world):
    receive(db, "IPS", "FRAME", quantity=1)
    order = create(db, world)
    order.status = "loaded"
    db.add(order)
    db.commit()
    with pytest.raises(InvalidTransition):
        orders.cancel_order(db, ref=order.ref, user_id=None)
    with pytest.raises(InvalidTransition):
        orders.amend_order(db, ref=order.ref, data=OrderAmend(notes="x"), user_id=None)


def test_amend_lines_changes_the_allocation(db, world):
    receive(db, "IPS", "FRAME", quantity=3)
    order = create(db, world, response_class="standard")
    ips, frame = world["depots"]["IPS"].id, world["items"]["FRAME"].id
    amended = orders.amend_order(
        db,
        ref=order.ref,
        data=OrderAmend(lines=[{"sku": "FRAME", "quantity": 3}], reason="OT asked"),
        user_id=world["user"].id,
        now=MONDAY_10,
    )
    assert amended.status == "ready"
    assert stock.available_quantity(db, depot_id=ips, item_id=frame) == 0
    amended = orders.amend_order(
        db,
        ref=order.ref,
        data=OrderAmend(lines=[{"sku": "FRAME", "quantity": 5}]),
        user_id=world["user"].id,
        now=MONDAY_10,
    )
    assert amended.status == "back_order"
    amended = orders.amend_order(
        db,
        ref=order.ref,
        data=OrderAmend(lines=[{"sku": "FRAME", "quantity": 1}]),
        user_id=world["user"].id,
        now=MONDAY_10,
    )
    assert amended.status == "ready"
    assert stock.available_quantity(db, depot_id=ips, item_id=frame) == 2
    amend_events = db.exec(select(OrderEvent).where(OrderEvent.event == "amended")).all()
    assert len(amend_events) == 3 and all(e.user_id == world["user"].id for e in amend_events)
    assert "OT asked" in amend_events[0].detail


def test_amend_class_slot_and_notes(db, world):
    receive(db, "IPS", "FRAME", quantity=1)
    order = create(db, world, response_class="standard")
    amended = orders.amend_order(
        db,
        ref=order.ref,
        data=OrderAmend(
            response_class="next_day", slot={"start": "2026-11-24T08:00", "end": "2026-11-24T13:00"}, notes="Ring first"
        ),
        user_id=world["user"].id,
        now=datetime(2026, 11, 23, 12, 0, tzinfo=UTC),  # the slot is in the future then
    )
    assert amended.due_at == datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
    assert amended.slot_start == datetime(2026, 11, 24, 8, 0, tzinfo=UTC) and amended.notes == "Ring first"
    cleared = orders.amend_order(db, ref=order.ref, data=OrderAmend.model_validate({"slot": None}), user_id=None)
    assert cleared.slot_start is None and cleared.slot_end is None
    with pytest.raises(Invalid) as exc:
        orders.amend_order(db, ref=order.ref, data=OrderAmend(response_class="urgent_collection"), user_id=None)
    assert exc.value.field == "response_class"
    db.refresh(order)
    assert order.response_class == "next_day"


def test_amend_adding_a_high_cost_item_waits_for_authorisation(db, world):
    receive(db, "IPS", "FRAME", quantity=1)
    receive(db, "IPS", "BARI", serials=["X1"])
    order = create(db, world, response_class="standard")
    amended = orders.amend_order(
        db, ref=order.ref, data=OrderAmend(lines=[{"sku": "FRAME"}, {"sku": "BARI"}]), user_id=None
    )
    assert amended.status == "awaiting_authorisation"
    assert all(line.allocated == 0 for line in db.exec(select(OrderLine)))
    ready = orders.authorise_order(db, ref=order.ref, user_id=world["user"].id)
    assert ready.status == "ready"


def _in_parallel(engine, work, count: int) -> list:
    """Run work(session, i) in `count` threads at once, each with its own session."""
    import threading

    from equipment.db import new_session

    barrier = threading.Barrier(count)
    results: list = []
    errors: list = []

    def run(i: int) -> None:
        session = new_session(engine)
        try:
            barrier.wait()
            results.append(work(session, i))
        except Exception as exc:  # noqa: BLE001  (collected and asserted below)
            errors.append(exc)
        finally:
            session.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def test_concurrent_orders_never_share_the_last_unit(engine, db, world):
    receive(db, "IPS", "BED", serials=["B1", "B2"])

    def take(session, i):
        body = order_body(
            response_class="standard",
            lines=[{"sku": "BED"}],
            service_user=person(nhs_number=VALID_NHS[i], name=f"Person {i}"),
        )
        return orders.create_order(session, data=body, user_id=None, now=MONDAY_10).status

    statuses = _in_parallel(engine, take, 4)
    assert sorted(statuses) == ["back_order", "back_order", "ready", "ready"]
    assert sorted(a.order_line_id is not None for a in db.exec(select(Asset))) == [True, True]


def test_concurrent_orders_for_one_new_person_make_one_person(engine, db, world):
    def take(session, i):
        return orders.create_order(
            session, data=order_body(response_class="standard"), user_id=None, now=MONDAY_10
        ).service_user_id

    people = _in_parallel(engine, take, 3)
    assert len(set(people)) == 1 and count(db, ServiceUser) == 1


def test_review_moves_back_orders_to_a_depot_that_now_has_the_stock(db, world):
    waiting = create(db, world, response_class="standard", lines=[{"sku": "FRAME", "quantity": 2}])
    receive(db, "IPS", "FRAME", quantity=1)  # fill() holds one at Ipswich: still short
    db.refresh(waiting)
    assert waiting.status == "back_order"
    late = create(
        db,
        world,
        response_class="next_day",
        lines=[{"sku": "BED"}],
        service_user=person(nhs_number=VALID_NHS[1], name="Bo"),
    )
    assert late.status == "back_order"
    receive(db, "ELL", "FRAME", quantity=2)  # Ellough can supply the whole first order
    ready, delayed = orders.review_back_orders(db, user_id=world["user"].id, now=MONDAY_10)
    assert ready == [waiting.ref] and delayed == []  # the bed's delay was logged at intake
    db.refresh(waiting)
    assert waiting.status == "ready" and waiting.depot_id == world["depots"]["ELL"].id
    ips, frame = world["depots"]["IPS"].id, world["items"]["FRAME"].id
    assert stock.available_quantity(db, depot_id=ips, item_id=frame) == 1  # released at Ipswich
    assert db.exec(select(OrderLine).where(OrderLine.order_id == waiting.id)).one().allocated == 2
