"""Coordinators' plan pages (form, progress, review map, adjustments) and clerks' load lists."""

from __future__ import annotations

import re
import time

import pytest
from sqlmodel import select

from equipment.models import Asset
from equipment.vocabulary import Role
from tests.conftest import csrf_token_from, post_form, sign_in
from tests.equipment.test_planning_support import build_world


@pytest.fixture
def world(db, engine, make):
    return build_world(db, engine, make)


def _coordinator(client, make):
    user = make.user(Role.COORDINATOR)
    sign_in(client, user.username)
    return user


def test_plan_a_day_from_the_page_and_review_it(client, make, world):
    for k in range(3):
        world.order(world.person(km_north=2 + k))
    _coordinator(client, make)
    page = client.get("/plans")
    assert page.status_code == 200 and 'name="date"' in page.get_data(as_text=True)
    answer = post_form(client, "/plans", {"date": world.day.isoformat(), "seconds": "0.5"})
    assert answer.status_code == 302
    plan_url = answer.headers["Location"]
    plan_id = int(plan_url.rstrip("/").split("/")[-1])
    first = client.get(plan_url).get_data(as_text=True)
    assert "plan-map" in first
    deadline = time.monotonic() + 30
    while client.get(f"/api/v1/plans/{plan_id}").get_json()["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    html = client.get(plan_url).get_data(as_text=True)
    assert "Publish to drivers" in html and world.vans[0].reg in html
    assert "/vendor/leaflet/leaflet.js" in html and "plan_map.js" in html and 'id="plan-data"' in html
    assert '"tiles": ""' in html  # no tile server configured: vector layers only
    assert client.get("/vendor/leaflet/leaflet.css").status_code == 200
    assert client.get("/static/plan_map.js").status_code == 200
    published = post_form(client, plan_url, {}, action=f"/plans/{plan_id}/publish")
    assert published.status_code == 302
    assert "Urgent job" in client.get(plan_url).get_data(as_text=True)


def test_plan_form_errors_are_shown_beside_the_field(client, make, world):
    _coordinator(client, make)
    answer = post_form(client, "/plans", {"date": "tomorrow", "seconds": "0.5"})
    assert answer.status_code == 422 and "Give a date as day, month and year" in answer.get_data(as_text=True)
    answer = post_form(client, "/plans", {"date": world.day.isoformat(), "seconds": "1", "depots": "NOPE"})
    assert answer.status_code == 422 and "unknown depot" in answer.get_data(as_text=True)


def test_urgent_preview_then_confirm_on_the_page(client, make, world):
    world.order(world.person(km_north=3))
    plan = world.published()
    urgent = world.order(world.person(km_east=-3), klass="emergency", due=world.at(12))
    _coordinator(client, make)
    url = f"/plans/{plan.id}"
    preview = client.get(f"{url}?preview={urgent.ref}").get_data(as_text=True)
    assert f"Insert {urgent.ref}" in preview and "No other stop would become late" in preview
    done = post_form(client, url, {"order_ref": urgent.ref, "confirm": "1"}, action=f"{url}/insert")
    assert done.status_code == 302
    assert urgent.ref in client.get(url).get_data(as_text=True)


def test_urgent_orders_waiting_are_listed_on_the_published_plan_until_inserted(client, make, world):
    world.order(world.person(km_north=3))
    plan = world.published()
    swap = world.order(world.person(km_east=-3), klass="swap", due=world.at(11))
    urgent = world.order(world.person(km_east=3), klass="emergency", due=world.at(12))
    world.order(world.person(km_east=4), klass="next_day", due=world.at(16))  # not urgent: not listed
    _coordinator(client, make)
    url = f"/plans/{plan.id}"
    page = client.get(url).get_data(as_text=True)
    listed = re.findall(r'href="/plans/\d+\?preview=(EQ-\d+)"', page.split('id="urgent-waiting"')[1].split("</ul>")[0])
    assert listed == [swap.ref, urgent.ref]  # soonest due first
    assert "Swap of unsafe equipment" in page
    post_form(client, url, {"order_ref": swap.ref, "confirm": "1"}, action=f"{url}/insert")
    page = client.get(url).get_data(as_text=True)
    assert re.findall(r"\?preview=(EQ-\d+)", page) == [urgent.ref]


def test_load_list_and_marking_a_van_loaded(client, make, world):
    world.order(lines=[(world.bed, 1)])
    plan = world.published()
    clerk = make.user(Role.CLERK)
    sign_in(client, clerk.username)
    url = f"/load-lists?date={world.day}"
    html = client.get(url).get_data(as_text=True)
    assert "BED-001" in html and f"Mark {world.vans[0].reg} loaded" in html
    route_id = world.view(plan).routes[0].route.id
    answer = client.post(
        f"/load-lists/{route_id}/loaded", data={"date": world.day.isoformat(), "csrf_token": csrf_token_from(html)}
    )
    assert answer.status_code == 302
    world.db.expire_all()
    assert world.db.exec(select(Asset).where(Asset.serial == "BED-001")).one().state == "loaded"
    assert "loaded" in client.get(url).get_data(as_text=True)


def test_drivers_and_officers_do_not_get_planning_pages(client, make, world):
    sign_in(client, make.user(Role.DRIVER).username)
    assert client.get("/plans").status_code == 403
    assert client.get("/load-lists").status_code == 403


def test_the_plan_page_counts_late_and_overdue_apart_and_refuses_a_second_running_plan(client, make, world):
    from datetime import timedelta

    world.order(world.person(km_north=4), due=world.at(17) - timedelta(days=1), klass="three_day")
    world.order(world.person(km_north=-4), due=world.at(8, 1))
    _coordinator(client, make)
    answer = post_form(client, "/plans", {"date": world.day.isoformat(), "seconds": "2"})
    assert answer.status_code == 302
    again = post_form(client, "/plans", {"date": world.day.isoformat(), "seconds": "1"})
    html = again.get_data(as_text=True)
    assert again.status_code == 422 and re.search(r'<p class="error">[^<]*already (queued|running)', html)
    plan_url = answer.headers["Location"]
    plan_id = int(plan_url.rstrip("/").split("/")[-1])
    deadline = time.monotonic() + 30
    while client.get(f"/api/v1/plans/{plan_id}").get_json()["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    html = client.get(plan_url).get_data(as_text=True)
    assert "<strong>1</strong> made late by the plan" in html and "<strong>1</strong> overdue" in html
    assert 'badge warn" title="Due before the day began">overdue' in html
