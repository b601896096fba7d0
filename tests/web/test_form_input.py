"""HTML forms: a NUL character never reaches the database, and days outside 2000-2099 are
refused beside their field with nothing written (issue #15: the pages' side of findings 5 and 8)."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from equipment.models import AssetEvent, Plan, StockMovement
from tests.conftest import post_form, sign_in


@pytest.fixture
def clerk(client, make):
    make.depot("IPS")
    make.item("FRAME")
    user = make.user("clerk")
    sign_in(client, user.username)
    return user


def test_a_nul_character_in_a_form_field_never_reaches_the_database(client, db, clerk):
    answer = post_form(
        client, "/stock/receive", {"depot": "IPS", "sku": "FRAME", "quantity": "3", "reason": "pallet\x00 7"}
    )
    assert answer.status_code == 302
    db.expire_all()
    reasons = list(db.exec(select(StockMovement.reason)))
    assert reasons and all("\x00" not in reason for reason in reasons) and "pallet 7" in reasons


@pytest.mark.parametrize(
    "day, words",
    [
        ("0001-01-01", "too far in the past"),
        ("9999-12-31", "too far ahead"),
        ("1999-12-31", "too far in the past"),
        ("next tuesday", "Give a date as day, month and year"),
    ],
)
def test_a_plan_for_an_implausible_day_is_refused_beside_the_field(client, db, make, day, words):
    make.depot("IPS")
    sign_in(client, make.user("coordinator").username)
    answer = post_form(client, "/plans", {"date": day, "seconds": "1"})
    html = answer.get_data(as_text=True)
    assert answer.status_code in (200, 422) and words in html
    assert db.exec(select(func.count()).select_from(Plan)).one() == 0


def test_an_inspection_dated_in_the_far_future_is_refused_and_nothing_is_written(client, db, clerk):
    before = db.exec(select(func.count()).select_from(AssetEvent)).one()
    answer = post_form(client, "/stock/inspections", {"serial": "H1", "result": "pass", "inspected_on": "9999-12-31"})
    assert "too far" in answer.get_data(as_text=True)
    assert db.exec(select(func.count()).select_from(AssetEvent)).one() == before


@pytest.mark.parametrize(
    "path", ["/reports/?from=0001-01-01", "/reports/?to=9999-12-31", "/load-lists?date=0001-01-01"]
)
def test_report_and_load_list_pages_take_implausible_days_without_a_traceback(client, make, path):
    sign_in(client, make.user("admin").username)
    answer = client.get(path)
    assert answer.status_code < 500
    if path.startswith("/reports"):
        assert "too far" in answer.get_data(as_text=True)


def test_the_driver_page_for_an_implausible_day_shows_today(client, make):
    sign_in(client, make.user("driver").username)
    assert client.get("/driver/today?date=0001-01-01").status_code in (200, 403)
