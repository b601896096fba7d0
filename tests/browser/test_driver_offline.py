"""In Chromium: with no signal the driver's outcome waits in localStorage, goes when the phone is
back online, and a resend of the same outcome (same Idempotency-Key) records nothing twice."""

from __future__ import annotations

import threading
import time

from sqlmodel import func, select
from werkzeug.serving import make_server

from equipment import service_time
from equipment.models import Outcome
from equipment.vocabulary import Role
from tests.conftest import PASSWORD
from tests.equipment.test_planning_support import TZ, build_world, get_order


def _wait_queue(page, length: int, timeout: float = 10) -> None:
    """Wait until the phone's outcome queue holds `length` items (polling: the CSP forbids eval)."""
    deadline = time.monotonic() + timeout
    while page.evaluate("JSON.parse(localStorage.getItem('equipment.outcomes.v1') || '[]').length") != length:
        assert time.monotonic() < deadline, "the outcome queue did not reach the expected length"
        page.wait_for_timeout(100)


def test_outcome_waits_offline_and_is_sent_once(db, engine, make, app, open_page):
    w = build_world(db, engine, make, day=service_time.today(TZ))  # a driver works on the day
    order = w.order(lines=[(w.bed, 1)])
    w.published()
    driver = make.user(Role.DRIVER, van=w.vans[0])
    db.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        page = open_page(phone=True)
        context = page.context
        page.goto(base + "/login")
        page.fill("input[name=username]", driver.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{base}/driver/today?date={w.day}")
        form = page.locator("form.outcome").first
        context.set_offline(True)
        form.locator("input[name=recipient]").fill("Mrs Jones")
        form.locator("input[data-kind=delivered]").check()
        form.locator("button[value=delivered]").click()
        _wait_queue(page, 1)
        assert "waiting to send" in page.locator("#sync-status").inner_text()
        queued = page.evaluate("localStorage.getItem('equipment.outcomes.v1')")
        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        _wait_queue(page, 0)
        # The same outcome again, as a phone would resend it after losing the answer.
        page.evaluate("q => localStorage.setItem('equipment.outcomes.v1', q)", queued)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        _wait_queue(page, 0)
    finally:
        server.shutdown()
    db.expire_all()
    assert db.exec(select(func.count()).select_from(Outcome)).one() == 1
    assert get_order(db, order.ref).status == "completed"
