"""The dashboard's response class and depot filters: every figure, table and CSV narrows to the
chosen class and/or depot, counted against the rows the test wrote itself; an unknown class or
depot is a message beside its field, never figures that look filtered; an officer still sees no
name."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

import pytest

from equipment import reports
from equipment.errors import Invalid
from equipment.models import Order, ServiceUser
from equipment.reports.delay_recorder import record_delay
from equipment.vocabulary import DelayCause, DelayKind
from equipment.web.pages.reports import FILTERED_TABLES
from tests.conftest import sign_in

CLASSES = ("next_day", "emergency")
DEPOTS = {"IPS": "IP4", "BSE": "IP14"}
# outcome -> how many of it in each (depot, class) cell, so every cell has different figures
OUTCOMES = ("on_time", "late_done", "late_open", "excused", "pending", "cancelled")


@dataclass
class Spec:
    ref: str
    depot: str
    district: str
    response_class: str
    outcome: str
    person: str

    @property
    def counted(self) -> bool:
        return self.outcome != "cancelled"

    @property
    def late(self) -> bool:
        return self.outcome in ("late_done", "late_open", "excused")

    @property
    def open(self) -> bool:
        return self.outcome in ("late_open", "pending")


@pytest.fixture
def grid(db, make):
    """Orders in two depots and two classes, written directly as rows."""
    make.response_classes()
    depots = {}
    for code, district in DEPOTS.items():
        depots[code] = make.depot(code)
        make.district(district, depots[code])
    now = datetime.now(UTC)
    specs: list[Spec] = []
    n = 0
    for d_index, (code, district) in enumerate(DEPOTS.items()):
        for c_index, rc in enumerate(CLASSES):
            for o_index, outcome in enumerate(OUTCOMES):
                # 1..4 of each outcome, different in every cell
                for _ in range(1 + (d_index * 2 + c_index + o_index) % 4):
                    n += 1
                    name = f"Filtertest Person{n:03d}"
                    person = ServiceUser(
                        name=name, address=f"{n} Secret Lane", postcode="IP4 1AA", district=district, lat=52.0, lon=1.1
                    )
                    db.add(person)
                    db.flush()
                    due = (
                        now + timedelta(hours=10)
                        if outcome == "pending"
                        else now - timedelta(days=1 + n % 12, hours=n % 5)
                    )
                    completed = {
                        "on_time": due - timedelta(hours=1),
                        "late_done": due + timedelta(hours=3),
                        "excused": due + timedelta(hours=5),
                    }.get(outcome)
                    status = {"cancelled": "cancelled"}.get(outcome, "completed" if completed else "ready")
                    order = Order(
                        ref=f"EQ-{900000 + n:06d}",
                        kind="delivery",
                        response_class=rc,
                        status=status,
                        service_user_id=person.id,
                        depot_id=depots[code].id,
                        district=district,
                        received_at=due - timedelta(days=1),
                        due_at=due,
                        completed_at=completed,
                        notes=f"for {name}",
                    )
                    db.add(order)
                    db.flush()
                    if outcome == "excused":
                        record_delay(
                            db,
                            order,
                            kind=DelayKind.ACTUAL,
                            cause=DelayCause.LATER_DATE_REQUESTED,
                            note=f"{name} asked",
                        )
                    elif outcome == "late_done":
                        record_delay(
                            db,
                            order,
                            kind=DelayKind.ACTUAL,
                            cause=DelayCause.NO_VAN_CAPACITY,
                            note=f"{name} at {person.address}",
                        )
                    specs.append(Spec(order.ref, code, district, rc, outcome, name))
    db.commit()
    return specs


def _query(**filters: str) -> str:
    today = date.today()
    args = {"from": (today - timedelta(days=30)).isoformat(), "to": (today + timedelta(days=2)).isoformat()}
    args.update({k: v for k, v in filters.items() if v})
    return urlencode(args)


def _csv(client, name: str, **filters: str) -> list[dict[str, str]]:
    response = client.get(f"/reports/csv/{name}.csv?{_query(**filters)}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _chosen(specs: list[Spec], response_class: str | None, depot: str | None) -> list[Spec]:
    return [s for s in specs if response_class in (None, s.response_class) and depot in (None, s.depot)]


FILTERS = [(None, None), ("next_day", None), (None, "BSE"), ("emergency", "IPS"), ("next_day", "BSE")]


@pytest.fixture
def officer(client, make):
    sign_in(client, make.user("officer").username)
    return client


@pytest.mark.parametrize(("response_class", "depot"), FILTERS)
def test_every_table_narrows_to_the_filter(officer, grid, response_class, depot):
    client = officer
    chosen = _chosen(grid, response_class, depot)
    counted = [s for s in chosen if s.counted]
    filters = {"class": response_class or "", "depot": depot or ""}

    kpis = {r["response_class"]: r for r in _csv(client, "kpis", **filters)}
    if response_class:
        assert list(kpis) == [response_class]  # only the chosen class's row
    for rc in CLASSES if response_class is None else [response_class]:
        mine = [s for s in counted if s.response_class == rc]
        row = kpis[rc]
        assert int(row["due"]) == len(mine)
        assert int(row["on_time"]) == sum(s.outcome == "on_time" for s in mine)
        assert int(row["late"]) == sum(s.late for s in mine)
        assert int(row["excused"]) == sum(s.outcome == "excused" for s in mine)
        assert int(row["not_yet_due"]) == sum(s.outcome == "pending" for s in mine)
    assert sum(int(r["due"]) for r in kpis.values()) == len(counted)

    depots = {r["depot"]: int(r["due"]) for r in _csv(client, "depots", **filters)}
    assert depots == {code: sum(s.depot == code for s in counted) for code in {s.depot for s in counted}}
    districts = {r["district"]: int(r["late"]) for r in _csv(client, "districts", **filters)}
    assert districts == {d: sum(s.late for s in counted if s.district == d) for d in {s.district for s in counted}}
    weekly = _csv(client, "weekly", **filters)
    assert sum(int(r["due"]) for r in weekly) == len(counted)
    assert {r["response_class"] for r in weekly} == {s.response_class for s in counted}

    late = _csv(client, "late", **filters)
    assert sorted(r["ref"] for r in late) == sorted(s.ref for s in chosen if s.late)
    causes = _csv(client, "causes", **filters)
    assert sum(int(r["late_orders"]) for r in causes) == sum(s.late for s in chosen)
    by_cause = {r["cause"]: int(r["late_orders"]) for r in causes}
    assert by_cause.get("no_van_capacity", 0) == sum(s.outcome == "late_done" for s in chosen)
    assert by_cause.get("later_date_requested", 0) == sum(s.outcome == "excused" for s in chosen)
    assert by_cause.get("not_recorded", 0) == sum(s.outcome == "late_open" for s in chosen)
    attributable = _csv(client, "attributable", **filters)
    assert sum(int(r["not_attributable"]) for r in attributable) == sum(s.outcome == "excused" for s in chosen)
    assert sum(int(r["attributable"]) for r in attributable) == sum(
        s.outcome in ("late_done", "late_open") for s in chosen
    )

    at_risk = _csv(client, "at_risk", **filters)
    assert sorted(r["ref"] for r in at_risk) == sorted(s.ref for s in chosen if s.open)
    delays = _csv(client, "delays", **filters)
    assert sorted(r["order_ref"] for r in delays) == sorted(
        s.ref for s in chosen if s.outcome in ("late_done", "excused")
    )

    # The page shows the same orders and no others.
    html = client.get(f"/reports/?{_query(**filters)}").get_data(as_text=True)
    shown = set(re.findall(r"EQ-9\d{5}", html))
    assert shown == {s.ref for s in chosen if s.late or s.open}
    assert f"{sum(s.late for s in chosen)} late" in html


def test_the_form_keeps_the_filters_and_the_csv_links_carry_them(officer, grid):
    html = officer.get(f"/reports/?{_query(**{'class': 'next_day', 'depot': 'bse'})}").get_data(as_text=True)
    assert '<label for="class">Response class</label>' in html and '<label for="depot">Depot</label>' in html
    assert re.search(r'<select id="class" name="class">\s*<option value="">All</option>', html)
    assert re.search(r'<select id="depot" name="depot">\s*<option value="">All</option>', html)
    assert '<option value="next_day" selected>' in html and '<option value="BSE" selected>' in html
    links = re.findall(r'href="(/reports/csv/[a-z_]+\.csv\?[^"]*)"', html)
    assert {re.search(r"csv/([a-z_]+)\.csv", link).group(1) for link in links} == set(FILTERED_TABLES)
    for link in links:
        assert "class=next_day" in link and "depot=BSE" in link, link
    late_link = next(link for link in links if "/late.csv" in link).replace("&amp;", "&")
    response = officer.get(late_link)
    assert response.headers["Content-Disposition"].endswith('-next_day-BSE.csv"')
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    expected = [s.ref for s in _chosen(grid, "next_day", "BSE") if s.late]
    assert sorted(r["ref"] for r in rows) == sorted(expected) and expected
    assert {(r["response_class"], r["depot"]) for r in rows} == {("next_day", "BSE")}
    # Without filters, the form shows "All" chosen and the links carry none.
    plain = officer.get(f"/reports/?{_query()}").get_data(as_text=True)
    assert " selected>" not in plain
    plain_links = re.findall(r'href="(/reports/csv/[a-z_]+\.csv\?[^"]*)"', plain)
    assert plain_links and not any("class=" in link or "depot=" in link for link in plain_links)


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        ({"class": "teleport"}, "class", "There is no response class 'teleport'."),
        ({"depot": "XYZ"}, "depot", "There is no depot 'XYZ'."),
        ({"class": "next_day", "depot": "nope"}, "depot", "There is no depot 'NOPE'."),
    ],
)
def test_an_unknown_class_or_depot_is_shown_beside_the_field(officer, grid, args, field, message):
    response = officer.get(f"/reports/?{_query(**args)}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(rf'<p class="error" id="{field}-error">{re.escape(message)}</p>', html.replace("&#39;", "'"))
    assert f'aria-describedby="{field}-error"' in html
    # Nothing shown as if unfiltered: no figures, no orders, no CSV links.
    assert "On time against target" not in html and "Late orders in the period" not in html
    assert not re.findall(r"EQ-9\d{5}", html)
    assert "/reports/csv/" not in html
    for name in FILTERED_TABLES:
        assert officer.get(f"/reports/csv/{name}.csv?{_query(**args)}").status_code == 422, name


def test_an_officer_never_sees_a_name_with_filters(officer, grid):
    texts = []
    for response_class, depot in FILTERS[1:]:
        filters = {"class": response_class or "", "depot": depot or ""}
        texts.append(officer.get(f"/reports/?{_query(**filters)}").get_data(as_text=True))
        for name in FILTERED_TABLES:
            response = officer.get(f"/reports/csv/{name}.csv?{_query(**filters)}")
            assert response.status_code == 200, name
            texts.append(response.get_data(as_text=True))
    for text in texts:
        assert "Filtertest" not in text and "Secret Lane" not in text


def test_scope_checks_codes(db, make):
    make.response_classes()
    make.depot("IPS")
    found = reports.scope(db, response_class=" next_day ", depot="ips")
    assert (found.response_class, found.depot) == ("next_day", "IPS") and found.depot_id is not None
    assert reports.scope(db, response_class="", depot=None) == reports.ALL
    with pytest.raises(Invalid) as exc:
        reports.scope(db, response_class="nope")
    assert exc.value.field == "class"
    with pytest.raises(Invalid) as exc:
        reports.scope(db, depot="NOPE")
    assert exc.value.field == "depot"
