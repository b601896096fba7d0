"""The dashboard, the monthly report, timelines and CSVs: who sees them, and never a name."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from equipment.models import Order, PostcodeDistrict, ServiceUser
from equipment.reports.delay_recorder import record_delay
from equipment.vocabulary import DelayCause, DelayKind
from equipment.web.pages.reports import CSV_TABLES
from tests.conftest import sign_in


@pytest.fixture
def orders(db, seeded):
    """Orders for real seeded people: done, late with causes, open and at risk."""
    people = db.exec(select(ServiceUser)).all()[:40]
    depots = {d.district: d.depot_id for d in db.exec(select(PostcodeDistrict))}
    now = datetime.now(UTC)
    made = []
    causes = list(DelayCause)
    for n, person in enumerate(people):
        due = now - timedelta(days=n % 20, hours=n % 7) + timedelta(hours=30 if n % 9 == 0 else 0)
        completed = None if n % 9 == 0 or n % 11 == 0 else due + timedelta(hours=(n % 5) - 3)
        order = Order(
            ref=f"EQ-{n + 1:06d}",
            kind="delivery",
            response_class=["next_day", "emergency", "standard"][n % 3],
            status="completed" if completed else "ready",
            service_user_id=person.id,
            depot_id=depots[person.district],
            district=person.district,
            received_at=due - timedelta(days=1),
            due_at=due,
            completed_at=completed,
            notes=f"for {person.name}",
        )
        db.add(order)
        db.flush()
        if completed is None or completed > due:
            record_delay(
                db,
                order,
                kind=DelayKind.ACTUAL,
                cause=causes[n % len(causes)],
                note=f"{person.name} at {person.address}",
            )
        made.append(order)
    db.commit()
    return made, people


def page_urls(refs):
    today = date.today()
    period = f"from={(today - timedelta(days=40)).isoformat()}&to={today.isoformat()}"
    month = today.strftime("%Y-%m")
    urls = ["/reports/", f"/reports/?{period}", f"/reports/monthly?month={month}", "/reports/monthly"]
    urls += [f"/reports/orders/{ref}" for ref in refs]
    urls += [f"/reports/csv/{name}.csv?{period}&month={month}" for name in CSV_TABLES]
    return urls


def test_officer_never_sees_a_name_or_address(client, make, orders):
    made, people = orders
    officer = make.user("officer")
    sign_in(client, officer.username)
    for url in page_urls([o.ref for o in made]):
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.get_data(as_text=True)
        for person in people:
            assert person.name not in text, f"{person.name} on {url}"
            assert person.address not in text, f"{person.address} on {url}"
    board = client.get("/reports/").get_data(as_text=True)
    late = next(o for o in made if o.completed_at and o.completed_at > o.due_at)
    assert late.ref in board  # late orders are listed by reference


def test_coordinator_sees_the_notes_on_a_timeline(client, make, orders):
    made, people = orders
    sign_in(client, make.user("coordinator").username)
    late = next(o for o in made if o.completed_at is None)
    text = client.get(f"/reports/orders/{late.ref}").get_data(as_text=True)
    assert "Delays" in text and late.ref in text
    assert any(p.name in text for p in people)  # staff notes are shown to staff


@pytest.mark.parametrize("role", ["admin", "coordinator", "officer"])
def test_readers_get_every_page(client, make, role):
    make.response_classes()
    sign_in(client, make.user(role).username)
    for url in page_urls([]):
        assert client.get(url).status_code == 200, url
    assert client.get("/reports/orders/EQ-404404").status_code == 404
    assert client.get("/reports/csv/nothing.csv").status_code == 404
    assert client.get("/reports/orders?ref=eq-1").status_code == 302


@pytest.mark.parametrize("role", ["clerk", "driver"])
def test_other_roles_are_refused(client, make, role):
    sign_in(client, make.user(role).username)
    for url in ("/reports/", "/reports/monthly", "/reports/csv/kpis.csv", "/reports/orders/EQ-000001"):
        assert client.get(url).status_code == 403


def test_dashboard_figures_match_the_api_and_the_csv(client, make, orders):
    sign_in(client, make.user("officer").username)
    today = date.today()
    q = f"from={(today - timedelta(days=30)).isoformat()}&to={today.isoformat()}"
    api = client.get(f"/api/v1/kpis?{q}", headers=make.headers("officer")).json["items"]
    rows = list(csv.DictReader(io.StringIO(client.get(f"/reports/csv/kpis.csv?{q}").get_data(as_text=True))))
    assert [r["response_class"] for r in rows] == [a["response_class"] for a in api]
    for r, a in zip(rows, api, strict=True):
        assert (int(r["due"]), int(r["on_time"]), int(r["late"]), int(r["excused"])) == (
            a["due"],
            a["on_time"],
            a["late"],
            a["excused"],
        )
    html = client.get(f"/reports/?{q}").get_data(as_text=True)
    assert "<svg" in html and "Weekly trend" in html
    late = list(csv.DictReader(io.StringIO(client.get(f"/reports/csv/late.csv?{q}").get_data(as_text=True))))
    assert len(late) == sum(a["late"] for a in api)
    assert all(re.fullmatch(r"EQ-\d{6}", r["ref"]) for r in late)


def test_bad_dates_are_shown_beside_the_field(client, make):
    make.response_classes()
    sign_in(client, make.user("officer").username)
    page = client.get("/reports/?from=2026-02-30&to=2026-01-01")
    assert page.status_code == 200 and "Give a date as day, month and year" in page.get_data(as_text=True)
    reversed_ = client.get("/reports/?from=2026-03-01&to=2026-01-01").get_data(as_text=True)
    assert "must not be after" in reversed_
    assert "YYYY-MM" in client.get("/reports/monthly?month=March").get_data(as_text=True)
    assert client.get("/reports/monthly?month=9999-12").status_code == 200
    assert client.get("/reports/csv/recycling.csv?month=9999-12").status_code == 422
    assert client.get("/reports/csv/kpis.csv?from=bad").status_code == 422


HOSTILE = 'x"; filename="evil.html'


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"/reports/csv/on_loan.csv?from={HOSTILE}&to={HOSTILE}&month={HOSTILE}", "on_loan.csv"),
        (f"/reports/csv/at_risk.csv?from={HOSTILE}&class=next_day", "at_risk-next_day.csv"),
        (f"/reports/csv/recycling.csv?month=2026-10&from={HOSTILE}", "recycling-2026-10.csv"),
        ("/reports/csv/kpis.csv?from=2026-11-01&to=2026-11-30&month=" + HOSTILE, "kpis-2026-11-01-2026-11-30.csv"),
    ],
)
def test_csv_names_are_built_from_parsed_values_only(client, make, url, expected):
    """A download's name carries what the table was built from, never the query string's text."""
    make.response_classes()
    sign_in(client, make.user("officer").username)
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="{expected}"'
