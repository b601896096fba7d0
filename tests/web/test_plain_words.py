"""Plain words on the pages: no state, status, class or cause code, and no UTC stamp with a Z,
reaches a person; times are local and carry the year when it is not this year (issue #16, item 6)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from equipment.errors import DomainError
from equipment.models import Delay, OrderEvent
from equipment.plain_words import plain
from equipment.stock.returns import process_asset
from equipment.web.labels import event_text, when
from tests.conftest import sign_in
from tests.equipment.test_orders_support import build_world, receive

SUMMER = datetime(2026, 7, 1, 10, 30, tzinfo=UTC)  # 11:30 in London (BST)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("on_loan", "on loan"),
        ("next_day", "next day"),
        ("three_day", "3 working days"),
        ("not_at_home", "person not at home"),
        ("awaiting_authorisation", "awaiting authorisation"),
        ("loler_6m", "LOLER examination every 6 months"),
        ("some_new_code", "some new code"),
    ],
)
def test_codes_read_as_words(code, words):
    assert plain(code) == words


def test_times_are_local_and_carry_the_year_when_not_this_year(app):
    with app.app_context():
        assert when(SUMMER, "%a %d %b %H:%M", now=SUMMER) == "Wed 01 Jul 11:30"
        assert when(SUMMER, "%a %d %b %H:%M", now=datetime(2027, 1, 5, tzinfo=UTC)) == "Wed 01 Jul 2026 11:30"
        assert event_text("plan 3, van AB12, ETA 2026-07-01 10:30Z") == "plan 3, van AB12, ETA Wed 01 Jul 11:30"
        assert event_text("insertion, ETA 10:30Z", SUMMER) == "insertion, ETA 11:30"
        assert event_text("no stamp here: 10:30") == "no stamp here: 10:30"


def test_a_refused_step_names_states_in_words(db):
    build_world(db)
    receive(db, "IPS", "BED", serials=["B1"])
    with pytest.raises(DomainError) as refused:
        process_asset(db, serial="B1", action="decontaminated", user_id=None)
    assert refused.value.detail == "Asset B1 is available; this needs it in quarantine"


def test_the_order_page_shows_no_codes_and_no_utc_stamps(client, db, make, make_order):
    order = make_order("next_day")
    db.add(
        OrderEvent(order_id=order.id, at=SUMMER, event="planned", detail="plan 1, van AB12 CDE, ETA 2026-07-01 10:30Z")
    )
    db.add(
        Delay(
            order_id=order.id,
            kind="predicted",
            cause="not_at_home",
            attributable=False,
            due_at=order.due_at,
            recorded_at=SUMMER,
        )
    )
    db.commit()
    sign_in(client, make.user("coordinator").username)
    html = client.get(f"/orders/{order.ref}").get_data(as_text=True)
    text = html.split("<main>", 1)[1]
    for code in ("next_day", "not_at_home", "10:30Z"):
        assert f">{code}<" not in text and f" {code}" not in text, code
    assert "next day" in text and "Person not at home" in text and "ETA Wed 01 Jul" in text and "11:30" in text
