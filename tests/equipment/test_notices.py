"""Messages to service users come from the published plan and the day's outcomes: one per event,
by the channel the person chose and consented to, naming nothing but "your equipment"."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from equipment import deliveries, notices, planning, service_time
from equipment.db import utcnow
from equipment.models import Notice, Plan
from equipment.notices import wording
from equipment.vocabulary import Role
from tests.equipment.test_planning_support import TZ, build_world

COORD = deliveries.Actor(None, Role.COORDINATOR)


def _notices(db, kind=None):
    db.expire_all()
    rows = db.exec(select(Notice).order_by(Notice.id)).all()
    return [n for n in rows if kind is None or n.kind == kind]


def test_publishing_queues_one_window_message_per_visit_by_the_chosen_channel(db, engine, make):
    world = build_world(db, engine, make)
    texted = world.person(1, phone="07700 900001", contact_by="sms", contact_consent=True)
    emailed = world.person(2, email="p@example.org", contact_by="email", contact_consent=True)
    no_consent = world.person(3, phone="07700 900003", contact_by="sms", contact_consent=False)
    orders = [world.order(person=p) for p in (texted, emailed, no_consent)]
    plan = world.published()

    sent = {n.service_user_id: n for n in _notices(db, "window")}
    assert set(sent) == {texted.id, emailed.id, no_consent.id}
    assert [sent[p.id].channel for p in (texted, emailed, no_consent)] == ["sms", "email", "letter"]
    for order, person in zip(orders, (texted, emailed, no_consent)):
        body = sent[person.id].body
        assert sent[person.id].order_id == order.id and sent[person.id].status == "queued"
        assert "your equipment" in body and order.ref in body
        assert world.frame.name not in body and "FRAME" not in body and person.name not in body
    stop = next(sv.stop for rv in world.view(plan).routes for sv in rv.stops if sv.person.id == texted.id)
    start, end = wording.visit_window(service_time.to_local(stop.eta, TZ))
    assert f"between {start:%H:%M} and {end:%H:%M}" in sent[texted.id].body
    assert end - start == timedelta(hours=2) and start <= service_time.to_local(stop.eta, TZ) <= end


def test_a_replanned_day_with_the_same_windows_messages_nobody_twice(db, engine, make):
    world = build_world(db, engine, make)
    world.order(person=world.person(phone="07700 900001", contact_by="sms", contact_consent=True))
    plan = world.published()
    first = _notices(db)
    notices.queue_window_notices(db, db.get(Plan, plan.id), tz=TZ)
    db.commit()
    assert len(first) == 1 and len(_notices(db)) == 1


def test_an_outcome_tells_the_next_person_the_van_is_on_its_way_and_a_failure_what_next(db, engine, make):
    world = build_world(db, engine, make, day=service_time.today(TZ))
    people = [world.person(k, phone=f"07700 90000{k}", contact_by="sms", contact_consent=True) for k in (1, 2, 3)]
    for person in people:
        world.order(person=person)
    plan = world.published()
    stops = [sv.stop for rv in world.view(plan).routes for sv in rv.stops]
    assert len(stops) == 3
    at = utcnow() - timedelta(minutes=1)
    deliveries.apply_outcome(db, stop_id=stops[0].id, status="failed", reason="not_at_home", actor=COORD, at=at)
    db.commit()
    on_way = _notices(db, "on_the_way")
    failed = _notices(db, "failed_visit")
    assert [n.stop_id for n in on_way] == [stops[1].id]
    assert [n.stop_id for n in failed] == [stops[0].id] and "could not complete the visit" in failed[0].body
    assert "not_at_home" not in failed[0].body and "not at home" not in failed[0].body


def test_nobody_without_a_phone_is_told_by_letter_that_the_van_is_on_its_way(db, engine, make):
    world = build_world(db, engine, make, day=service_time.today(TZ))
    first, letter_only = world.person(1), world.person(2)
    world.order(person=first)
    world.order(person=letter_only)
    plan = world.published()
    stops = [sv.stop for rv in world.view(plan).routes for sv in rv.stops]
    deliveries.apply_outcome(db, stop_id=stops[0].id, status="delivered", recipient="Mr A", actor=COORD)
    db.commit()
    assert _notices(db, "on_the_way") == []
    assert {n.channel for n in _notices(db, "window")} == {"letter"}
    assert planning.plan_view(db, plan.id).plan.published_at is not None


def test_an_urgent_insertion_tells_the_new_person_their_window(db, engine, make):
    world = build_world(db, engine, make)  # a later day: today's vans may have finished when this runs
    world.order(person=world.person(1))
    plan = world.published()
    urgent = world.order(person=world.person(2, phone="07700 900002", contact_by="sms", contact_consent=True))
    result = planning.insert_urgent(db, plan_id=plan.id, order_ref=urgent.ref, dry_run=False, user_id=None, tz=TZ)
    db.commit()
    assert result.stop is not None
    told = [n for n in _notices(db, "window") if n.order_id == urgent.id]
    assert len(told) == 1 and told[0].channel == "sms" and told[0].stop_id == result.stop.stop_id
