"""Finding orders: by ref, NHS number, name or postcode, on the page and in the API; NHS-number
searches audited and limited when they find no one; the list opens on open orders, and dates
carry their year when it is not this year (issue #16 item 5; issue #15 finding 9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from equipment.models import AuditEvent
from equipment.web import lookup_limits
from equipment.web.limiter import limiter
from tests.conftest import sign_in
from tests.equipment.test_orders_support import VALID_NHS, build_world


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    with app.app_context():
        limiter.reset()
    yield


@pytest.fixture
def world(db, make):
    build_world(db)
    ada = make.person(name="Ada Lovelace", postcode="IP4 2QJ", nhs_number=VALID_NHS[0])
    bob = make.person(name="Bob Brown", postcode="IP33 1AB", district="IP33", nhs_number=VALID_NHS[1])
    first = make.order(person=ada, ref="EQ-000101")
    second = make.order(person=bob, ref="EQ-000102")
    done = make.order(person=ada, ref="EQ-000103")
    done.status, done.completed_at = "completed", datetime.now(UTC)
    db.add(done)
    db.commit()
    return {"ada": first, "bob": second, "done": done}


@pytest.fixture
def coordinator(client, make, world):
    user = make.user("coordinator")
    sign_in(client, user.username)
    return user


def listed(client, url: str) -> str:
    answer = client.get(url)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:2000]
    return answer.get_data(as_text=True)


@pytest.mark.parametrize(
    ("q", "found", "not_found"),
    [
        ("EQ-000102", "EQ-000102", "EQ-000101"),
        ("102", "EQ-000102", "EQ-000101"),
        ("943 476 5919", "EQ-000101", "EQ-000102"),
        ("lovelace", "EQ-000101", "EQ-000102"),
        ("ip33 1ab", "EQ-000102", "EQ-000101"),
        ("IP33", "EQ-000102", "EQ-000101"),
    ],
)
def test_the_list_finds_orders_by_ref_nhs_number_name_or_postcode(client, coordinator, q, found, not_found):
    html = listed(client, f"/orders?q={q}")
    assert f">{found}</a>" in html and f">{not_found}</a>" not in html


def test_the_list_opens_on_open_orders(client, coordinator):
    html = listed(client, "/orders")
    assert ">EQ-000101</a>" in html and ">EQ-000103</a>" not in html
    every = listed(client, "/orders?status=")
    assert ">EQ-000103</a>" in every
    assert ">EQ-000103</a>" in listed(client, "/orders?status=completed")


def test_dates_show_the_year_when_not_this_year(client, db, coordinator, world):
    order = world["bob"]
    order.due_at = datetime.now(UTC).replace(month=6, day=15, hour=12) - timedelta(days=800)
    db.add(order)
    db.commit()
    html = listed(client, "/orders?q=EQ-000102")
    assert f"{order.due_at.year}" in html
    this_year = listed(client, "/orders?q=EQ-000101")
    received = world["ada"].received_at.astimezone().strftime("%d %b")
    assert received in this_year and f"{received} {world['ada'].received_at.year}" not in this_year


def test_a_search_by_nhs_number_is_audited_without_the_number(client, db, coordinator):
    listed(client, "/orders?q=9434765919")
    searched = db.exec(select(AuditEvent).where(AuditEvent.action == "searched")).one()
    assert searched.user_id == coordinator.id and "NHS number" in searched.detail
    assert "9434765919" not in searched.detail
    listed(client, f"/orders?q={VALID_NHS[2]}")
    missed = db.exec(select(AuditEvent).where(AuditEvent.action == "not_found")).one()
    assert VALID_NHS[2] not in missed.detail


def test_nhs_number_searches_that_find_no_one_are_limited_on_the_page(client, coordinator):
    for _ in range(lookup_limits.MISSES_PER_USER.amount):
        listed(client, f"/orders?q={VALID_NHS[2]}")
    answer = client.get("/orders?q=9434765919")  # a find, refused all the same
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'id="q-error"' in html and "Too many searches" in html
    assert ">EQ-000101</a>" not in html
    assert ">EQ-000101</a>" in listed(client, "/orders?q=lovelace")  # other searches go on


def test_an_invalid_nhs_number_is_named_beside_the_search(client, coordinator):
    answer = client.get("/orders?q=9434765918")
    assert answer.status_code == 422 and "not a valid NHS number" in answer.get_data(as_text=True)


def test_bad_dates_and_nul_characters_in_the_filters_are_refused_beside_the_field(client, coordinator):
    answer = client.get("/orders?due_from=0001-01-01")
    assert answer.status_code == 422 and 'id="due_from-error"' in answer.get_data(as_text=True)
    answer = client.get("/orders?q=ada%00")
    assert answer.status_code == 422 and 'id="q-error"' in answer.get_data(as_text=True)


def test_the_api_searches_and_limits_nhs_number_look_ups(client, make, world):
    headers = make.headers("coordinator")
    found = client.get("/api/v1/orders?q=lovelace", headers=headers).get_json()
    assert {o["ref"] for o in found["items"]} == {"EQ-000101", "EQ-000103"}
    open_only = client.get("/api/v1/orders?q=lovelace&status=open", headers=headers).get_json()
    assert [o["ref"] for o in open_only["items"]] == ["EQ-000101"]
    by_nhs = client.get("/api/v1/orders?q=9997371275", headers=headers).get_json()
    assert [o["ref"] for o in by_nhs["items"]] == ["EQ-000102"]
    assert client.get("/api/v1/orders?q=9997371276", headers=headers).status_code == 422  # check digit
    for _ in range(lookup_limits.MISSES_PER_USER.amount):
        assert client.get(f"/api/v1/orders?q={VALID_NHS[2]}", headers=headers).get_json()["total"] == 0
    refused = client.get("/api/v1/orders?q=9997371275", headers=headers)
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"


def test_officers_search_by_ref_only(client, make, world):
    headers = make.headers("officer")
    assert client.get("/api/v1/orders?q=EQ-000101", headers=headers).get_json()["total"] == 1
    assert client.get("/api/v1/orders?q=lovelace", headers=headers).get_json()["total"] == 0
    assert client.get("/api/v1/orders?q=9434765919", headers=headers).get_json()["total"] == 0
