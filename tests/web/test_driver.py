"""Drivers: only their own route (API and pages), outcomes with Idempotency-Key, the run sheet."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import func, select

from equipment import service_time
from equipment.db import utcnow
from equipment.models import AuditEvent, Order, Outcome, Route
from equipment.vocabulary import Role
from tests.conftest import csrf_token_from, sign_in
from tests.equipment.test_planning_support import TZ, build_world, get_order


@pytest.fixture
def two_routes(db, engine, make):
    """Two vans with two stops each, published; a driver for each van."""
    w = build_world(db, engine, make, vans=2, volume_capacity=4, day=service_time.today(TZ))
    people = [w.person(km_north=2 + k, name=f"Resident {k}", access_notes=f"Key safe {k}") for k in range(4)]
    for p in people:
        w.order(p)
    plan = w.published()
    drivers = [make.user(Role.DRIVER, van=van) for van in w.vans]
    view = w.view(plan)
    assert len(view.routes) == 2
    return w, plan, drivers, view


def _bearer(make, user) -> dict:
    return {"Authorization": f"Bearer {make.token(user)}"}


def test_a_driver_sees_only_their_own_route(client, make, two_routes):
    w, _, drivers, view = two_routes
    mine = {rv.van.reg: rv for rv in view.routes}
    for driver, van in zip(drivers, w.vans):
        body = client.get(f"/api/v1/routes?date={w.day}", headers=_bearer(make, driver)).get_json()
        assert body["total"] == 1 and body["items"][0]["van"] == van.reg
        stops = body["items"][0]["stops"]
        assert [s["id"] for s in stops] == [sv.stop.id for sv in mine[van.reg].stops]
        assert stops[0]["name"].startswith("Resident") and stops[0]["access_notes"].startswith("Key safe")
        assert stops[0]["deliver"][0]["sku"] == "FRAME"
    coordinator = client.get(f"/api/v1/routes?date={w.day}", headers=make.headers(Role.COORDINATOR)).get_json()
    assert coordinator["total"] == 2
    vanless = client.get(f"/api/v1/routes?date={w.day}", headers=make.headers(Role.DRIVER)).get_json()
    assert vanless["total"] == 0
    assert client.get(f"/api/v1/routes?date={w.day}", headers=make.headers(Role.OFFICER)).status_code == 403


def test_another_driver_cannot_record_an_outcome_nor_tell_which_stops_exist(client, make, two_routes):
    """Issue #15 finding 9: another driver's stop answers exactly as a stop that does not exist."""
    w, _, drivers, view = two_routes
    other_stop = next(rv for rv in view.routes if rv.van.id == w.vans[1].id).stops[0].stop
    missing_id = other_stop.id + 10_000

    def answer(stop_id):
        reply = client.post(
            f"/api/v1/stops/{stop_id}/outcome",
            json={"status": "delivered", "recipient": "X"},
            headers=_bearer(make, drivers[0]),
        )
        problem = reply.get_json()
        return reply.status_code, reply.mimetype, problem["title"], problem["detail"].replace(str(stop_id), "N")

    assert answer(other_stop.id) == answer(missing_id)
    assert answer(other_stop.id)[0] == 404
    assert w.db.exec(select(func.count()).select_from(Outcome)).one() == 0


def test_outcome_retries_with_the_same_key_count_once(client, make, two_routes):
    w, _, drivers, view = two_routes
    rv = next(rv for rv in view.routes if rv.van.id == w.vans[0].id)
    stop = rv.stops[0]
    headers = {**_bearer(make, drivers[0]), "Idempotency-Key": "phone-123"}
    body = {"status": "delivered", "recipient": "Mr Smith"}
    first = client.post(f"/api/v1/stops/{stop.stop.id}/outcome", json=body, headers=headers)
    second = client.post(f"/api/v1/stops/{stop.stop.id}/outcome", json=body, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.get_json() == second.get_json()
    assert first.get_json()["outcomes"][0]["order_status"] == "completed"
    assert w.db.exec(select(func.count()).select_from(Outcome)).one() == 1
    other = client.post(
        f"/api/v1/stops/{stop.stop.id}/outcome", json={**body, "recipient": "Someone else"}, headers=headers
    )
    assert other.status_code == 409
    assert get_order(w.db, stop.orders[0].ref).status == "completed"
    bad = client.post(
        f"/api/v1/stops/{rv.stops[1].stop.id}/outcome",
        json={"status": "failed", "reason": "bored"},
        headers=_bearer(make, drivers[0]),
    )
    assert bad.status_code == 422


def test_driver_pages_show_only_their_route_and_take_outcomes(client, make, two_routes):
    w, _, drivers, view = two_routes
    mine = next(rv for rv in view.routes if rv.van.id == w.vans[0].id)
    theirs = next(rv for rv in view.routes if rv.van.id == w.vans[1].id)
    sign_in(client, drivers[0].username)
    page = client.get(f"/driver/today?date={w.day}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for sv in mine.stops:
        assert sv.person.name in html
    for sv in theirs.stops:
        assert sv.person.name not in html
    assert "Idempotency-Key" not in html and "driver.js" in html and 'name="viewport"' in html
    sheet = client.get(f"/driver/run-sheet?date={w.day}").get_data(as_text=True)
    assert mine.stops[0].person.name in sheet and theirs.stops[0].person.name not in sheet
    token = csrf_token_from(html)
    refused = client.post(
        f"/driver/stops/{theirs.stops[0].stop.id}/outcome",
        data={"status": "delivered", "recipient": "X", "csrf_token": token},
    )
    assert refused.status_code == 404
    form = {"status": "failed", "reason": "not_at_home", "idempotency_key": "form-1", "csrf_token": token}
    for _ in range(2):  # a double tap
        saved = client.post(f"/driver/stops/{mine.stops[0].stop.id}/outcome", data=form)
        assert saved.status_code == 302
    assert w.db.exec(select(func.count()).select_from(Outcome)).one() == 1
    assert get_order(w.db, mine.stops[0].orders[0].ref).status == "ready"
    assert client.get("/vendor/leaflet/leaflet.js").status_code == 200


def test_other_roles_do_not_get_the_driver_page(client, make, two_routes):
    user = make.user(Role.CLERK)
    sign_in(client, user.username)
    assert client.get("/driver/today").status_code == 403


def test_an_outcome_cannot_be_backdated_but_a_late_phone_is_believed(client, make, two_routes):
    """Issue #15 finding 1: on the service day, not before received or loaded, not after recorded."""
    w, plan, drivers, view = two_routes
    rv = next(rv for rv in view.routes if rv.van.id == w.vans[0].id)
    stop, order = rv.stops[0].stop, rv.stops[0].orders[0]
    now = utcnow()
    day_start = service_time.local_midnight(w.day, TZ)
    truthful = max(now - timedelta(hours=2), day_start + timedelta(minutes=2))
    row = w.db.get(Order, order.id)
    row.received_at = truthful - timedelta(minutes=1)
    w.db.add(row)
    route = w.db.get(Route, rv.route.id)
    route.loaded_at = truthful - timedelta(seconds=30)
    w.db.add(route)
    w.db.commit()

    def post(at: datetime):
        return client.post(
            f"/api/v1/stops/{stop.id}/outcome",
            json={"status": "delivered", "recipient": "Mr Smith", "at": at.isoformat()},
            headers=_bearer(make, drivers[0]),
        )

    for at in (
        day_start - timedelta(hours=14),  # the day before: a morning of an earlier day
        truthful - timedelta(minutes=5),  # before the order was received
        truthful - timedelta(seconds=45),  # after received, before the van was loaded
        now + timedelta(minutes=30),  # beyond a phone clock running a little fast
    ):
        refused = post(at)
        assert refused.status_code == 422, at
        assert refused.mimetype == "application/problem+json"
        assert [e["field"] for e in refused.get_json()["errors"]] == ["at"]
    w.db.expire_all()
    assert w.db.exec(select(func.count()).select_from(Outcome)).one() == 0
    assert w.db.get(Order, order.id).completed_at is None

    saved = post(truthful)  # an offline phone sends hours later, with the true moment
    assert saved.status_code == 200
    w.db.expire_all()
    outcome = w.db.exec(select(Outcome)).one()
    assert outcome.at == truthful and outcome.recorded_at >= now
    assert w.db.get(Order, order.id).completed_at == truthful  # what the KPIs count


def test_a_driver_sees_and_records_only_today(client, make, two_routes):
    """Issue #15 finding 2: another day's route is 403 for a driver (API, pages, outcomes);
    coordinators keep any date."""
    w, _, drivers, _ = two_routes
    today = w.day
    w.day = today + timedelta(days=1)
    w.order(w.person(name="Tomorrow Person"))
    tomorrow = w.view(w.published())
    (route,) = [rv for rv in tomorrow.routes if rv.stops]
    driver = drivers[w.vans.index(next(v for v in w.vans if v.id == route.van.id))]
    headers = _bearer(make, driver)

    assert client.get(f"/api/v1/routes?date={today}", headers=headers).status_code == 200
    for day in (today + timedelta(days=1), today - timedelta(days=1)):
        refused = client.get(f"/api/v1/routes?date={day}", headers=headers)
        assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
        assert "Tomorrow Person" not in refused.get_data(as_text=True)
    coordinator = client.get(f"/api/v1/routes?date={w.day}", headers=make.headers(Role.COORDINATOR)).get_json()
    assert coordinator["total"] == 1 and coordinator["items"][0]["stops"][0]["name"] == "Tomorrow Person"

    stop = route.stops[0].stop
    ahead = client.post(
        f"/api/v1/stops/{stop.id}/outcome", json={"status": "failed", "reason": "other"}, headers=headers
    )
    assert ahead.status_code == 403 and ahead.mimetype == "application/problem+json"
    assert w.db.exec(select(func.count()).select_from(Outcome)).one() == 0

    sign_in(client, driver.username)
    assert client.get("/driver/today").status_code == 200
    for path in ("/driver/today", "/driver/run-sheet"):
        page = client.get(f"{path}?date={w.day}")
        assert page.status_code == 403 and "Tomorrow Person" not in page.get_data(as_text=True)
    token = csrf_token_from(client.get("/driver/today").get_data(as_text=True))
    form = client.post(
        f"/driver/stops/{stop.id}/outcome", data={"status": "failed", "reason": "other", "csrf_token": token}
    )
    assert form.status_code == 403
    assert w.db.exec(select(func.count()).select_from(Outcome)).one() == 0


PERSONAL = ("name", "address", "postcode", "phone", "access_notes", "safety_alerts", "location")


def test_a_clerk_gets_no_personal_data_and_each_person_shown_is_audited(client, make, two_routes):
    """Issue #15 finding 3: the clerk's load list is refs, items and area; every view of a person's
    details is one audit row per person."""
    w, _, drivers, view = two_routes
    for p in w.people:
        p.phone, p.safety_alerts = "01473 000000", "Dog in the garden"
        w.db.add(p)
    w.db.commit()
    clerk = make.user(Role.CLERK)
    answer = client.get(f"/api/v1/routes?date={w.day}", headers=_bearer(make, clerk))
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    for p in w.people:
        assert p.name not in text and p.address not in text and p.postcode not in text
    assert "Key safe" not in text and "01473" not in text and "Dog" not in text
    stops = [s for r in answer.get_json()["items"] for s in r["stops"]]
    assert len(stops) == 4
    for s in stops:
        assert all(s[field] is None for field in PERSONAL)
        assert s["order_refs"] and s["deliver"][0]["sku"] == "FRAME" and s["area"] == "IP4"
    assert _person_views(w.db, clerk.id) == []
    spec = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["StopDetail"]
    assert "null for clerks" in spec["properties"]["name"]["description"]

    driver = drivers[0]
    mine = next(rv for rv in view.routes if rv.van.id == w.vans[0].id)
    shown = client.get(f"/api/v1/routes?date={w.day}", headers=_bearer(make, driver)).get_json()
    assert shown["items"][0]["stops"][0]["name"].startswith("Resident")
    assert _person_views(w.db, driver.id) == sorted(str(sv.person.id) for sv in mine.stops)
    coordinator = make.user(Role.COORDINATOR)
    client.get(f"/api/v1/routes?date={w.day}", headers=_bearer(make, coordinator))
    assert _person_views(w.db, coordinator.id) == sorted(str(p.id) for p in w.people)


def _person_views(db, user_id: int) -> list[str]:
    db.expire_all()
    rows = db.exec(
        select(AuditEvent.entity_id).where(
            AuditEvent.user_id == user_id, AuditEvent.entity == "service_user", AuditEvent.action == "viewed"
        )
    )
    return sorted(rows)


def test_an_outcome_queued_before_midnight_is_taken_after_it(client, make, two_routes):
    """An offline phone's outcome from yesterday's route, sent today with its true moment, is kept;
    a moment outside that day is still refused."""
    w, _, drivers, _ = two_routes
    today = w.day
    w.day = today - timedelta(days=1)
    w.order(w.person(name="Yesterday Person"), due=w.at(17))
    yesterday = w.view(w.published())
    (route,) = [rv for rv in yesterday.routes if rv.stops]
    driver = drivers[w.vans.index(next(v for v in w.vans if v.id == route.van.id))]
    stop = route.stops[0].stop
    late_evening = w.at(23).isoformat()  # the service day's 23:00, local
    wrong_day = client.post(
        f"/api/v1/stops/{stop.id}/outcome",
        json={"status": "failed", "reason": "other", "at": f"{today.isoformat()}T00:05:00"},
        headers=_bearer(make, driver),
    )
    assert wrong_day.status_code == 422
    sent = client.post(
        f"/api/v1/stops/{stop.id}/outcome",
        json={"status": "failed", "reason": "other", "at": late_evening},
        headers=_bearer(make, driver),
    )
    assert sent.status_code == 200, sent.get_json()
    assert w.db.exec(select(func.count()).select_from(Outcome)).one() == 1
