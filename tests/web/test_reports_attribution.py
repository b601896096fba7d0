"""Which delay causes are the provider's is configuration (NOT_ATTRIBUTABLE_CAUSES): failed
visits recorded over HTTP are excused or not by it, and the dashboard says beside each cause
whose it is. The figures are recomputed from the orders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from equipment import service_time
from equipment.db import utcnow
from equipment.models import Delay, Order
from equipment.reports.attribution import Attribution
from equipment.vocabulary import Role
from equipment.web import create_app
from tests.conftest import SyncedClient, sign_in
from tests.equipment.test_planning_support import TZ, build_world, get_order


def app_with(engine, db, **settings):
    """The app as the `app` fixture makes it, with settings of the test's own."""
    app = create_app(
        {
            "ENGINE": engine,
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "TESTING": True,
            "SECRET_KEY": "secret-key-for-tests",
            "LOGIN_RATE_LIMIT": "10000 per minute",
            "TEST_SESSION": db,
            **settings,
        }
    )
    app.test_client_class = SyncedClient
    return app


@pytest.fixture
def three_visits(db, engine, make):
    """Three orders on today's published route, all already overdue: one whose person agreed a
    slot around now, one with no slot, one for the wrong-address reason."""
    w = build_world(db, engine, make, day=service_time.today(TZ))
    orders = [w.order(w.person(km_north=2 + k)) for k in range(3)]
    plan = w.published()
    now = utcnow()
    for n, order in enumerate(orders):
        order = get_order(db, order.ref)
        order.due_at = now - timedelta(minutes=30)
        if n == 0:
            order.slot_start, order.slot_end = now - timedelta(hours=1), now + timedelta(hours=1)
        db.add(order)
    db.commit()
    stops = {o.ref: sv.stop.id for rv in w.view(plan).routes for sv in rv.stops for o in sv.orders}
    return [(get_order(db, o.ref), stops[o.ref]) for o in orders]


def _fail(client, headers, stop_id: int, reason: str) -> None:
    answer = client.post(
        f"/api/v1/stops/{stop_id}/outcome", json={"status": "failed", "reason": reason}, headers=headers
    )
    assert answer.status_code == 200, answer.get_json()


def _excused(db) -> dict[str, tuple[bool, bool]]:
    """Per order ref: (the order excused, its delay attributable), read back from the rows."""
    db.expire_all()
    out = {}
    for delay, ref, excused in db.exec(select(Delay, Order.ref, Order.excused).join(Order, Order.id == Delay.order_id)):
        out[ref] = (excused, delay.attributable)
    return out


def test_by_default_not_at_home_in_the_agreed_slot_and_a_wrong_address_are_not_the_providers(
    client, make, db, three_visits
):
    (in_slot, s1), (no_slot, s2), (wrong, s3) = three_visits
    headers = make.headers(Role.COORDINATOR)
    _fail(client, headers, s1, "not_at_home")
    _fail(client, headers, s2, "not_at_home")
    _fail(client, headers, s3, "wrong_address")
    assert _excused(db) == {in_slot.ref: (True, False), no_slot.ref: (False, True), wrong.ref: (True, False)}
    # The KPIs recompute from the orders: all three late, two excused.
    # The day they fell due (30 min ago: not today's date just after midnight).
    day = service_time.to_local(utcnow() - timedelta(minutes=30), TZ).date().isoformat()
    rows = client.get(f"/api/v1/kpis?from={day}&to={day}", headers=make.headers(Role.OFFICER)).get_json()["items"]
    nd = next(r for r in rows if r["response_class"] == "next_day")
    assert (nd["due"], nd["on_time"], nd["late"], nd["excused"], nd["not_yet_due"]) == (3, 0, 3, 2, 0)
    assert nd["percent_on_time"] == 0.0  # 0 of (0 + 3 - 2)


def test_a_configured_list_decides_instead(engine, db, make, three_visits):
    app = app_with(engine, db, NOT_ATTRIBUTABLE_CAUSES="later_date_requested, access_problem")
    client = app.test_client()
    (in_slot, s1), (no_slot, s2), (wrong, s3) = three_visits
    headers = make.headers(Role.COORDINATOR)
    _fail(client, headers, s1, "not_at_home")
    _fail(client, headers, s2, "access_problem")
    _fail(client, headers, s3, "wrong_address")
    assert _excused(db) == {in_slot.ref: (False, True), no_slot.ref: (True, False), wrong.ref: (False, True)}


def test_the_dashboard_says_beside_each_cause_whose_it_is(engine, db, make, client, three_visits):
    (in_slot, s1), (no_slot, s2), (wrong, s3) = three_visits
    headers = make.headers(Role.COORDINATOR)
    _fail(client, headers, s1, "not_at_home")
    _fail(client, headers, s2, "not_at_home")
    make.user(Role.OFFICER, username="officer.attr")
    sign_in(client, "officer.attr")
    html = client.get("/reports/").get_data(as_text=True)
    # Not at home twice: once excused (inside the slot), once the provider's.
    assert "Person not at home" in html
    assert 'data-cause="not_at_home" data-attributable="false"' in html
    assert 'data-cause="not_at_home" data-attributable="true"' in html
    # The rules as configured, every cause with whose it is.
    assert "not the provider&#39;s when the visit was inside the slot the person agreed" in html
    assert 'data-rule="wrong_address">Wrong address</th><td>not the provider&#39;s' in html
    assert 'data-rule="no_van_capacity">No van capacity</th><td>the provider&#39;s' in html

    other = app_with(engine, db, NOT_ATTRIBUTABLE_CAUSES="").test_client()
    sign_in(other, "officer.attr")
    html = other.get("/reports/").get_data(as_text=True)
    assert 'data-rule="wrong_address">Wrong address</th><td>the provider&#39;s' in html


def test_an_unknown_cause_in_the_setting_stops_the_start(engine, db):
    with pytest.raises(ValueError, match="unknown cause 'weather'"):
        app_with(engine, db, NOT_ATTRIBUTABLE_CAUSES="later_date_requested,weather")
    assert Attribution.from_setting("").attributable("later_date_requested")
