"""Client input that used to reach a traceback: dates outside any plausible range, offsets at the
edge, numbers in odd notations, control characters in redirects. Each gets a 4xx, never a 500
(issue #15, finding 8)."""

from __future__ import annotations

import pytest

from tests.conftest import sign_in

API_READS = [
    "/api/v1/kpis?to=0001-01-01",
    "/api/v1/kpis?from=0001-01-01&to=0001-01-02",
    "/api/v1/kpis?to=9999-12-31",
    "/api/v1/delays?to=0001-01-01",
    "/api/v1/delays?from=9999-12-31",
    "/api/v1/orders/preview-due?response_class=next_day&received_at=9999-12-31T00:00:00",
    "/api/v1/orders/preview-due?response_class=next_day&received_at=0001-01-01T00:00:00%2B14:00",
    "/api/v1/orders?due_from=0001-01-01",
    "/api/v1/plans?date=0001-01-01",
    "/api/v1/routes?date=0001-01-01",
]


@pytest.mark.parametrize("path", API_READS)
def test_implausible_dates_in_queries_are_422(client, make, path):
    answer = client.get(path, headers=make.headers("admin"))
    assert answer.status_code == 422, (path, answer.status_code, answer.get_data(as_text=True)[:300])
    assert answer.mimetype == "application/problem+json"


API_WRITES = [
    ("/api/v1/plans", {"date": "0001-01-01"}),
    ("/api/v1/plans", {"date": "9999-12-31"}),
    ("/api/v1/stops/1/outcome", {"status": "delivered", "at": "0001-01-01T10:00:00Z", "recipient": "Ann"}),
    ("/api/v1/assets/H1/inspections", {"result": "pass", "inspected_on": "0001-01-01"}),
    ("/api/v1/assets/H1/return", {"depot": "IPS", "at": "0001-01-01T10:00:00"}),
    (
        "/api/v1/orders",
        {
            "kind": "delivery",
            "response_class": "next_day",
            "received_at": "0001-01-01T00:00:00+14:00",
            "service_user": {"name": "A", "address": "1 Road", "postcode": "IP4 2QJ"},
            "lines": [{"sku": "X", "quantity": 1}],
        },
    ),
]


@pytest.mark.parametrize(("path", "body"), API_WRITES)
def test_implausible_dates_in_bodies_are_422_beside_the_field(client, make, path, body):
    answer = client.post(path, json=body, headers=make.headers("admin"))
    assert answer.status_code == 422, (path, answer.status_code, answer.get_data(as_text=True)[:300])
    text = answer.get_data(as_text=True)
    assert "too far in the past: the earliest is 2000-01-01" in text or "the latest is 2099-12-31" in text, text


def test_an_offset_at_the_edge_of_the_range_is_accepted_when_plausible(client, make):
    answer = client.get(
        "/api/v1/orders/preview-due?response_class=next_day&received_at=2026-11-30T23:00:00%2B14:00",
        headers=make.headers("admin"),
    )
    assert answer.status_code in (200, 404, 422) and answer.status_code != 500


@pytest.mark.parametrize("query", ["page=1e23", "page=-1", "page=99999999999999999999", "due_from=0001-01-01"])
def test_the_orders_page_takes_odd_numbers_and_dates_without_a_traceback(client, make, query):
    user = make.user("coordinator")
    sign_in(client, user.username)
    assert client.get(f"/orders?{query}").status_code < 500


def test_a_crlf_in_next_never_reaches_a_header(client, make):
    user = make.user("coordinator")
    answer = sign_in_to(client, user.username, "/orders%0d%0aSet-Cookie:%20x=1")
    assert answer.status_code == 302
    assert "\n" not in answer.headers["Location"] and "Set-Cookie" not in answer.headers["Location"]


def sign_in_to(client, username: str, next_path: str):
    from tests.conftest import PASSWORD, csrf_token_from

    page = client.get(f"/login?next={next_path}")
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(
        f"/login?next={next_path}", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
