"""A council officer checks delivery performance: finds a late order on the dashboard, narrows the
period to its due day and then to its depot, reads its timeline (a reference, never a name), and
downloads the depot's late orders as CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import expect
from sqlmodel import select

from equipment import service_time
from equipment.db import utcnow
from equipment.models import Delay
from equipment.reports.delay_recorder import record_delay
from tests.browser.conftest import sign_in_as
from tests.browser.journey_helpers import TZ, depot_id, order_by_ref, person, take_order, user_id

LATE_HEADER = [
    "ref",
    "response_class",
    "kind",
    "status",
    "depot",
    "district",
    "due_at",
    "completed_at",
    "minutes_late",
    "excused",
    "cause",
]


def _late_orders(db):
    """Three orders that were never delivered by their due time: one in Ipswich last week, with the
    coordinator's predicted delay on record, one in Bury St Edmunds due at the same time, and an
    older one in Ixworth (both of those served from the Bury St Edmunds depot)."""
    now = utcnow()
    late = take_order(
        db, name="Bernard Flatman", sku="FRM-ZIMMER", response_class="next_day", received_at=now - timedelta(days=10)
    )
    record_delay(
        db,
        late,
        kind="predicted",
        cause="no_van_capacity",
        user_id=user_id(db, "coordinator"),
        note="Bernard Flatman: every Ipswich van full",
    )
    db.commit()
    older = take_order(
        db, name="Colin Squirrell", sku="FRM-ZIMMER", response_class="three_day", received_at=now - timedelta(days=20)
    )
    bury = take_order(
        db, name="Pamela Mayhew", sku="FRM-ZIMMER", response_class="next_day", received_at=now - timedelta(days=10)
    )
    return late, older, bury


def test_officer_finds_a_late_order_reads_its_timeline_and_downloads_the_csv(live_server, open_page, db):
    late, older, bury = _late_orders(db)
    due_day = service_time.to_local(late.due_at, TZ).date()
    assert service_time.to_local(older.due_at, TZ).date() < due_day
    assert bury.due_at == late.due_at and bury.depot_id == depot_id(db, "BSE")
    names = [person(db, "Bernard Flatman"), person(db, "Colin Squirrell"), person(db, "Pamela Mayhew")]
    private = [text for p in names for text in (p.name, p.address, p.postcode, p.nhs_number, p.phone) if text]

    page = open_page()
    sign_in_as(page, live_server, "officer")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Performance").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delivery performance")

    # The last 30 days: all three late orders are there.
    late_table = page.locator("section", has=page.get_by_role("heading", name="Late orders in the period"))
    expect(late_table).to_contain_text("3 late")
    for order in (late, older, bury):
        expect(late_table.get_by_role("link", name=order.ref)).to_be_visible()
    row = late_table.locator("tr", has=page.get_by_role("link", name=late.ref))
    for cell in ("next day", "IPS", "IP1", "not yet", "No van capacity"):
        expect(row).to_contain_text(cell)

    # Narrow the period to the day the Ipswich order was due.
    page.get_by_label("From", exact=True).fill(due_day.isoformat())
    page.get_by_label("To (inclusive)").fill(due_day.isoformat())
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_url(f"**/reports/?from={due_day.isoformat()}&to={due_day.isoformat()}&class=&depot=")
    expect(page.get_by_text(f"Orders due from {due_day:%d %b %Y} to {due_day:%d %b %Y}")).to_be_visible()
    expect(late_table).to_contain_text("2 late")
    expect(late_table.get_by_role("link", name=late.ref)).to_be_visible()
    expect(late_table.get_by_role("link", name=bury.ref)).to_be_visible()
    expect(late_table.get_by_role("link", name=older.ref)).to_have_count(0)
    kpis = page.locator("section", has=page.get_by_role("heading", name="On time against target"))
    next_day = kpis.locator("tbody tr", has=page.get_by_role("rowheader", name="Next working day"))
    expect(next_day.locator("td").nth(0)).to_have_text("2")  # due
    expect(next_day.locator("td").nth(2)).to_have_text("2")  # late
    expect(next_day).to_contain_text("breached")
    by_depot = page.locator("section", has=page.get_by_role("heading", name="By depot"))
    expect(by_depot.locator("tbody tr", has=page.get_by_role("rowheader", name="IPS"))).to_be_visible()
    expect(by_depot.locator("tbody tr", has=page.get_by_role("rowheader", name="BSE"))).to_be_visible()
    causes = page.locator("section", has=page.get_by_role("heading", name="Late orders by cause"))
    expect(causes.locator("tr", has_text="No van capacity")).to_contain_text("1")
    expect(causes.locator("tr", has_text="No cause recorded")).to_contain_text("1")

    # And to the Ipswich depot: only its late order is left, in every table.
    expect(page.get_by_label("Depot")).to_have_value("")
    expect(page.get_by_label("Response class")).to_have_value("")
    page.get_by_label("Depot").select_option("IPS")
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_url(f"**/reports/?from={due_day.isoformat()}&to={due_day.isoformat()}&class=&depot=IPS")
    expect(page.get_by_label("Depot")).to_have_value("IPS")
    expect(page.get_by_text("depot IPS only")).to_be_visible()
    expect(late_table).to_contain_text("1 late")
    expect(late_table.get_by_role("link", name=late.ref)).to_be_visible()
    expect(late_table.get_by_role("link", name=bury.ref)).to_have_count(0)
    expect(next_day.locator("td").nth(0)).to_have_text("1")  # due
    expect(next_day.locator("td").nth(2)).to_have_text("1")  # late
    expect(by_depot.locator("tbody tr", has=page.get_by_role("rowheader", name="IPS"))).to_be_visible()
    expect(by_depot.get_by_role("rowheader", name="BSE")).to_have_count(0)
    expect(causes.locator("tr", has_text="No van capacity")).to_contain_text("1")
    expect(causes.locator("tr", has_text="No cause recorded")).to_have_count(0)
    at_risk = page.locator("section", has=page.get_by_role("heading", name="Orders at risk now"))
    expect(at_risk.get_by_role("link", name=late.ref)).to_be_visible()
    expect(at_risk.get_by_role("link", name=bury.ref)).to_have_count(0)

    # Its timeline: by reference only, no staff free text for an officer.
    late_table.get_by_role("link", name=late.ref).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {late.ref}")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("IP1")
    expect(facts.locator(".badge.bad")).to_have_text("late")
    delays = page.locator("section", has=page.get_by_role("heading", name="Delays"))
    expect(delays.locator("tbody tr")).to_have_count(1)
    expect(delays.locator("tbody tr")).to_contain_text("predicted")
    expect(delays.locator("tbody tr")).to_contain_text("No van capacity")
    content = page.content()
    for text in private + ["every Ipswich van full"]:
        assert text not in content, f"an officer sees {text!r}"

    # Back to the narrowed dashboard, and the late orders as CSV for the same period and depot.
    page.go_back()
    expect(late_table).to_contain_text("1 late")
    with page.expect_download() as download:
        late_table.get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename == f"late-{due_day.isoformat()}-{due_day.isoformat()}-IPS.csv"
    text = Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == LATE_HEADER
    assert len(rows) == 2
    line = dict(zip(LATE_HEADER, rows[1]))
    stored = order_by_ref(db, late.ref)
    assert line["ref"] == stored.ref
    assert (line["response_class"], line["kind"], line["status"], line["depot"], line["district"]) == (
        "next_day",
        "delivery",
        stored.status,
        "IPS",
        "IP1",
    )
    assert line["due_at"] == stored.due_at.isoformat() and line["completed_at"] == ""
    assert int(line["minutes_late"]) >= (utcnow() - timedelta(minutes=5) - stored.due_at).total_seconds() // 60
    assert (line["excused"], line["cause"]) == ("no", "no_van_capacity")
    for private_text in private:
        assert private_text not in text

    # Reading changed nothing: the order is still open and late, with its one delay.
    assert stored.status == "ready" and stored.completed_at is None
    causes_on_record = list(db.exec(select(Delay.cause).where(Delay.order_id == stored.id)))
    db.commit()
    assert causes_on_record == ["no_van_capacity"]
