"""Recalls and compliance over HTTP: the API, the pages, the driver's phone form, the daily command."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import func, select

from equipment.models import Asset, Order, Plan, Recall, StockMovement
from equipment.vocabulary import OrderKind
from tests.conftest import csrf_token_from, post_form, sign_in
from tests.equipment.compliance_support import build_compliance_world, stop_with
from tests.web.test_plans import wait_done


@pytest.fixture
def cw(db, engine, make):
    return build_compliance_world(db, engine, make)


def _count(db, model) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


def test_a_clerk_records_a_recall_and_an_officer_follows_it_without_names(client, make, cw):
    home = cw.world.person(name="Bea Hiddenname")
    lent = cw.lend(home, cw.lifter, due_in_days=90)
    body = {"reference": "FSN-77", "skus": ["LIFT-L"], "batch": "B1", "action": "inspect"}
    assert client.post("/api/v1/recalls", json=body, headers=make.headers("officer")).status_code == 403
    created = client.post("/api/v1/recalls", json=body, headers=make.headers("clerk"))
    assert created.status_code == 201, created.json
    units = {u["serial"]: u for u in created.json["units"]}
    assert units[lent.serial]["status"] == "visit_planned" and units[lent.serial]["area"] == "IP4"
    assert units["LFT-004"] == {**units["LFT-004"], "status": "quarantined", "where": "depot", "depot": "IPS"}
    again = client.post("/api/v1/recalls", json=body, headers=make.headers("clerk"))
    assert again.status_code == 409

    officer = make.headers("officer")
    read = client.get(f"/api/v1/recalls/{created.json['id']}", headers=officer)
    assert read.status_code == 200 and read.json["progress"] == {"affected": 4, "reached": 3, "done": 3}
    assert "Hiddenname" not in read.get_data(as_text=True)
    assert client.get("/api/v1/recalls/999", headers=officer).status_code == 404
    assert client.get("/api/v1/recalls", headers=officer).json["total"] == 1
    figures = client.get("/api/v1/compliance", headers=officer).json
    assert figures["recalls"] == [
        {"id": created.json["id"], "reference": "FSN-77", "action": "inspect", "affected": 4, "reached": 3, "done": 3}
    ]
    (lifting,) = [r for r in figures["regimes"] if r["regime"] == "loler_6m"]
    assert lifting["on_loan"] == 1 and lifting["share_percent"] == 100.0
    csv_text = client.get("/api/v1/compliance.csv", headers=officer).get_data(as_text=True)
    assert "FSN-77" in csv_text and "Hiddenname" not in csv_text
    export = client.get("/api/v1/exports/on-loan.csv", headers=officer).get_data(as_text=True)
    header, row = (
        export.splitlines()[0].split(","),
        next(r for r in export.splitlines() if r.startswith(lent.serial)).split(","),
    )
    record = dict(zip(header, row))
    assert record["open_recall"] == "FSN-77" and record["order_ref"].startswith("EQ-") and record["last_inspected_on"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"skus": ["NOPE"], "batch": "B1"}, "skus"),
        ({"serials": ["LFT-999"]}, "serials"),
        ({}, "serials"),
        ({"made_from": "2026-03-01", "made_to": "2026-02-01"}, "made_to"),
        ({"batch": "B1", "action": "burn"}, "action"),
        ({"batch": "B1", "colour": "red"}, "colour"),
    ],
)
def test_bad_notices_are_a_clear_422_and_write_nothing(client, make, db, cw, fields, field):
    before = _count(db, StockMovement)
    body = {"reference": "FSN-1", "skus": ["LIFT-L"], "action": "inspect", **fields}
    response = client.post("/api/v1/recalls", json=body, headers=make.headers("clerk"))
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert field in {e["field"] for e in response.json["errors"]}
    assert _count(db, Recall) == 0 and _count(db, StockMovement) == before


def test_the_recall_page_records_a_notice_and_puts_messages_beside_fields(client, make, db, cw):
    sign_in(client, make.user("clerk").username)
    page = client.get("/recalls")
    assert page.status_code == 200 and "Record a field safety notice" in page.get_data(as_text=True)
    bad = post_form(
        client,
        "/recalls",
        {
            "reference": "FSN-9",
            "skus": "LIFT-L",
            "made_from": "2026-03-01",
            "made_to": "2026-01-01",
            "action": "withdraw",
        },
    )
    assert bad.status_code == 422 and 'id="made_to-error"' in bad.get_data(as_text=True)
    assert _count(db, Recall) == 0
    good = post_form(
        client, "/recalls", {"reference": "FSN-9", "skus": "LIFT-L", "serials": "LFT-005 LFT-006", "action": "withdraw"}
    )
    assert good.status_code == 302
    detail = client.get(good.headers["Location"]).get_data(as_text=True)
    assert "LFT-005" in detail and "quarantined" in detail and "2</strong> affected" in detail


def test_the_dashboard_and_monthly_report_show_the_compliance_block(client, make, cw):
    cw.lend(cw.world.person(), cw.lifter, due_in_days=-2)
    sign_in(client, make.user("officer").username)
    for url in ("/reports/", "/reports/monthly"):
        html = client.get(url).get_data(as_text=True)
        assert 'id="compliance-figures"' in html and "LOLER examination" in html
        assert 'data-regime="loler_6m">0.0%' in html
    download = client.get("/api/v1/compliance.csv")  # the block's CSV link, with the page's session
    assert (
        download.status_code == 200
        and download.mimetype == "text/csv"
        and "overdue_by_area,IP4" in download.get_data(as_text=True)
    )


def test_the_daily_command_makes_each_visit_once(app, db, cw):
    cw.lend(cw.world.person(), cw.lifter, due_in_days=7)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["inspections", "schedule"])
    assert first.exit_code == 0 and "1 new visit" in first.output
    second = runner.invoke(args=["inspections", "schedule"])
    assert second.exit_code == 0 and "0 new visit" in second.output
    db.expire_all()
    assert db.exec(select(func.count()).select_from(Order).where(Order.kind == OrderKind.INSPECTION)).one() == 1


def test_planning_a_day_schedules_the_visits_and_the_driver_records_them_on_the_phone(client, make, db, cw):
    home = cw.world.person()
    unit = cw.lend(home, cw.lifter, due_in_days=5)
    headers = make.headers("coordinator")
    plan = client.post("/api/v1/plans", json={"date": cw.today.isoformat(), "seconds": 0.5}, headers=headers)
    assert wait_done(client, headers, plan.json["id"])["status"] == "done"
    (visit,) = cw.orders_of(home, kind=OrderKind.INSPECTION)
    assert client.post(f"/api/v1/plans/{plan.json['id']}/publish", headers=headers).status_code == 200
    db.expire_all()
    stop = stop_with(cw.world, db.get(Plan, plan.json["id"]), visit.ref)

    driver = make.user("driver", van=cw.world.vans[0])
    sign_in(client, driver.username)
    page = client.get("/driver/today").get_data(as_text=True)
    assert f'name="result-{unit.serial}"' in page and "Examined by" in page
    token = csrf_token_from(page)
    form = {
        "csrf_token": token,
        "status": "delivered",
        "recipient": "Mr Ames",
        f"result-{unit.serial}": "fail",
        "examiner": "J Smith",
    }
    client.post(f"/driver/stops/{stop.id}/outcome", data={**form, "examiner": ""})
    assert cw.asset(unit.serial).next_inspection_due != cw.today  # no examiner: nothing recorded
    client.post(f"/driver/stops/{stop.id}/outcome", data=form)
    assert cw.asset(unit.serial).next_inspection_due == cw.today - timedelta(days=1)
    assert [o.kind for o in cw.orders_of(home, response_class="swap")] == ["delivery"]
    assert [o.ref for o in cw.orders_of(home, kind=OrderKind.COLLECTION)]
    db.expire_all()
    assert db.exec(select(Asset).where(Asset.serial == unit.serial)).one().state == "on_loan"


def test_a_clerk_releases_a_unit_and_closes_the_recall_through_the_api_and_the_page(client, make, cw):
    clerk = make.headers("clerk")
    body = {"reference": "FSN-5", "skus": ["LIFT-L"], "serials": ["LFT-004", "LFT-005"], "action": "modify"}
    recall_id = client.post("/api/v1/recalls", json=body, headers=clerk).json["id"]
    url = f"/api/v1/recalls/{recall_id}/units/LFT-004"
    assert client.post(url, json={"action": "release"}, headers=make.headers("officer")).status_code == 403
    released = client.post(url, json={"action": "release", "note": "new valve fitted"}, headers=clerk)
    assert released.status_code == 200 and released.json["progress"]["done"] == 2
    assert client.post(url, json={"action": "release"}, headers=clerk).status_code == 409
    assert (
        client.post(f"/api/v1/recalls/{recall_id}/units/NOPE", json={"action": "release"}, headers=clerk).status_code
        == 404
    )

    sign_in(client, make.user("clerk").username)
    page = f"/recalls/{recall_id}"
    assert "Release: inspected or modified" in client.get(page).get_data(as_text=True)
    done = post_form(client, page, {"action": "release"}, action=f"/recalls/{recall_id}/units/LFT-005")
    assert "LFT-005: done." in client.get(done.headers["Location"]).get_data(as_text=True)
    closed = post_form(client, page, {}, action=f"/recalls/{recall_id}/close")
    assert "Recall closed." in client.get(closed.headers["Location"]).get_data(as_text=True)
    assert client.get(f"/api/v1/recalls/{recall_id}", headers=clerk).json["status"] == "closed"


def test_goods_received_carry_their_batch_and_date_of_manufacture(client, make, db, cw):
    clerk = make.headers("clerk")
    body = {"depot": "IPS", "sku": "LIFT-L", "serials": ["LFT-100"], "batch": "B9", "manufactured_on": "2025-06-01"}
    assert client.post("/api/v1/stock/receipts", json=body, headers=clerk).status_code == 201
    asset = client.get("/api/v1/assets/LFT-100", headers=clerk).json
    assert (asset["batch"], asset["manufactured_on"]) == ("B9", "2025-06-01")
    future = {**body, "serials": ["LFT-101"], "manufactured_on": (cw.today + timedelta(days=3)).isoformat()}
    refused = client.post("/api/v1/stock/receipts", json=future, headers=clerk)
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "manufactured_on"
    assert client.get("/api/v1/assets/LFT-101", headers=clerk).status_code == 404
