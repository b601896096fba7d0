"""GET /api/v1/kpis and /api/v1/delays: the contract's rows, filters, paging, roles, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from equipment.models import Order, ServiceUser
from equipment.reports.delay_recorder import record_delay
from equipment.vocabulary import DelayCause, DelayKind


@pytest.fixture
def history(db, make):
    """A few orders due on 10 June 2026 (long past), with delays."""
    make.response_classes()
    ips, bse = make.depot("IPS"), make.depot("BSE")
    person = ServiceUser(
        name="Bea Hiddenname", address="2 Private Road", postcode="IP4 1AA", district="IP4", lat=52, lon=1
    )
    db.add(person)
    db.commit()
    due = datetime(2026, 6, 10, 16, tzinfo=UTC)
    made = []
    specs = [
        ("next_day", ips, due - timedelta(hours=1), None),
        ("next_day", ips, due + timedelta(hours=5), DelayCause.STOCK_UNAVAILABLE),
        ("next_day", bse, due + timedelta(hours=5), DelayCause.LATER_DATE_REQUESTED),
        ("emergency", bse, None, DelayCause.NO_VAN_CAPACITY),
    ]
    for n, (rc, depot, completed, cause) in enumerate(specs, 1):
        order = Order(
            ref=f"EQ-{n:06d}",
            kind="delivery",
            response_class=rc,
            status="completed" if completed else "ready",
            service_user_id=person.id,
            depot_id=depot.id,
            district="IP4",
            received_at=due - timedelta(days=1),
            due_at=due,
            completed_at=completed,
        )
        db.add(order)
        db.flush()
        if cause:
            record_delay(db, order, kind=DelayKind.ACTUAL, cause=cause, note="Bea Hiddenname said so")
        made.append(order)
    db.commit()
    return made


def test_kpis_rows_are_the_contract(client, make, history):
    response = client.get("/api/v1/kpis?from=2026-06-01&to=2026-06-30", headers=make.headers("officer"))
    assert response.status_code == 200, response.json
    body = response.json
    assert body["total"] == 9 and len(body["items"]) == 9  # 6 contract classes + 3 of compliance in the home
    rows = {r["response_class"]: r for r in body["items"]}
    assert rows["next_day"] == {
        "response_class": "next_day",
        "due": 3,
        "on_time": 1,
        "late": 2,
        "excused": 1,
        "not_yet_due": 0,
        "percent_on_time": 50.0,
        "target": 95.0,
    }
    assert rows["emergency"] == {
        "response_class": "emergency",
        "due": 1,
        "on_time": 0,
        "late": 1,
        "excused": 0,
        "not_yet_due": 0,
        "percent_on_time": 0.0,
        "target": 95.0,
    }
    assert rows["standard"]["due"] == 0 and rows["standard"]["percent_on_time"] is None
    # The last day is inclusive; the day after is outside.
    assert (
        client.get("/api/v1/kpis?from=2026-06-10&to=2026-06-10", headers=make.headers("coordinator")).json["items"][1][
            "due"
        ]
        == 3
    )
    assert (
        client.get("/api/v1/kpis?from=2026-06-11&to=2026-06-30", headers=make.headers("admin")).json["items"][1]["due"]
        == 0
    )


@pytest.mark.parametrize("query", ["from=2026-06-30&to=2026-06-01", "from=yesterday", "to=2026-13-01", "nonsense=1"])
def test_kpis_bad_queries_are_422_problems(client, make, query):
    response = client.get(f"/api/v1/kpis?{query}", headers=make.headers("officer"))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("role", ["clerk", "driver"])
def test_other_roles_may_not_read_reports(client, make, role):
    assert client.get("/api/v1/kpis", headers=make.headers(role)).status_code == 403
    assert client.get("/api/v1/delays", headers=make.headers(role)).status_code == 403
    assert client.get("/api/v1/kpis").status_code == 401


def test_delay_log_filters_and_pages(client, make, history):
    headers = make.headers("officer")
    today = datetime.now(UTC).date().isoformat()
    everything = client.get(f"/api/v1/delays?from=2026-01-01&to={today}", headers=headers)
    assert everything.status_code == 200, everything.json
    body = everything.json
    assert body["total"] == 3
    assert "Hiddenname" not in everything.get_data(as_text=True)
    first = body["items"][0]
    assert set(first) == {
        "id",
        "order_ref",
        "kind",
        "cause",
        "cause_label",
        "attributable",
        "response_class",
        "depot",
        "district",
        "due_at",
        "expected_at",
        "recorded_at",
    }
    assert first["due_at"].endswith(("Z", "+00:00"))

    def total(q):
        r = client.get(f"/api/v1/delays?from=2026-01-01&to={today}&{q}", headers=headers)
        assert r.status_code == 200, r.json
        return r.json["total"]

    assert total("class=emergency") == 1
    assert total("depot=BSE") == 2
    assert total("cause=later_date_requested") == 1
    assert total("kind=predicted") == 0
    paged = client.get(f"/api/v1/delays?from=2026-01-01&to={today}&limit=2&offset=2", headers=headers).json
    assert paged["total"] == 3 and len(paged["items"]) == 1
    excused = client.get(f"/api/v1/delays?from=2026-01-01&to={today}&cause=later_date_requested", headers=headers).json
    assert excused["items"][0]["attributable"] is False
    assert client.get("/api/v1/delays?cause=bad_luck", headers=headers).status_code == 422
    assert client.get("/api/v1/delays?limit=5000", headers=headers).status_code == 422
    unknown = client.get("/api/v1/delays?depot=NOPE", headers=headers)
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"
    # Recorded today: nothing recorded before 2026-01-01.
    assert client.get("/api/v1/delays?from=2025-01-01&to=2025-12-31", headers=headers).json["total"] == 0


def test_openapi_describes_the_reports(client):
    spec = client.get("/api/v1/openapi.json").json
    kpis = spec["paths"]["/api/v1/kpis"]["get"]
    assert {p["name"] for p in kpis["parameters"]} >= {"from", "to"}
    delays = spec["paths"]["/api/v1/delays"]["get"]
    assert {p["name"] for p in delays["parameters"]} >= {"from", "to", "class", "depot", "cause", "limit", "offset"}
    assert "KpiList" in str(kpis["responses"]["200"])


@pytest.mark.parametrize(
    "query", ["from=9999-12-30&to=9999-12-31", "from=0001-01-01&to=0001-01-02", "from=2000-01-01&to=2099-12-31"]
)
def test_dates_far_away_are_422_not_500(client, make, query):
    response = client.get(f"/api/v1/kpis?{query}", headers=make.headers("officer"))
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
