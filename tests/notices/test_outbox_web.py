"""The outbox on the web and in the API, and sending off the request thread after a publish."""

from __future__ import annotations

import time

from sqlmodel import func, select

from equipment.models import AuditEvent, Notice
from equipment.vocabulary import Role
from equipment.web import create_app
from equipment.web.pages.notices import SENDING_ENDPOINTS
from tests.conftest import SyncedClient, csrf_token_from, sign_in
from tests.equipment.test_planning_support import build_world
from tests.notices.fake_notify import API_KEY, FakeNotify


def _world_with_messages(db, engine, make):
    world = build_world(db, engine, make)
    world.order(person=world.person(1, phone="07700 900001", contact_by="sms", contact_consent=True))
    world.order(person=world.person(2, name="Lee Letter"))
    return world


def test_coordinators_read_the_outbox_print_letters_and_mark_them_sent(client, db, engine, make):
    world = _world_with_messages(db, engine, make)
    world.published()
    coordinator = make.user(Role.COORDINATOR)
    sign_in(client, coordinator.username)
    page = client.get("/notices?status=queued")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Visit window" in html and "Letter" in html and "Text" in html
    letters = client.get("/notices/letters").get_data(as_text=True)
    assert "Lee Letter" in letters and "IP4 1AA" in letters and "your equipment" in letters
    letter = db.exec(select(Notice).where(Notice.channel == "letter")).one()
    viewed = db.exec(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.entity == "service_user", AuditEvent.entity_id == str(letter.service_user_id))
    ).one()
    assert viewed >= 1
    db.commit()
    answer = client.post(f"/notices/{letter.id}/sent", data={"csrf_token": csrf_token_from(html)})
    assert answer.status_code == 302
    db.expire_all()
    assert db.get(Notice, letter.id).status == "sent" and db.get(Notice, letter.id).sent_at is not None
    db.commit()
    again = client.post(f"/notices/{letter.id}/sent", data={"csrf_token": csrf_token_from(html)}, follow_redirects=True)
    assert "already sent" in again.get_data(as_text=True)
    assert client.post("/notices/999999/sent", data={"csrf_token": csrf_token_from(html)}).status_code == 404


def test_the_notices_api_lists_messages_for_coordinators_only(client, db, engine, make):
    world = _world_with_messages(db, engine, make)
    world.published()
    answer = client.get("/api/v1/notices?channel=sms", headers=make.headers(Role.COORDINATOR))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["total"] == 1
    item = body["items"][0]
    assert item["kind"] == "window" and item["channel"] == "sms" and item["status"] == "queued"
    assert item["order_ref"].startswith("EQ-") and "name" not in item and "body" not in item
    assert client.get("/api/v1/notices", headers=make.headers(Role.OFFICER)).status_code == 403
    assert client.get("/api/v1/notices", headers=make.headers(Role.DRIVER)).status_code == 403
    bad = client.get("/api/v1/notices?status=lost", headers=make.headers(Role.COORDINATOR))
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"


def test_every_endpoint_that_makes_messages_asks_for_sending(app):
    assert set(app.view_functions) >= SENDING_ENDPOINTS


def test_publishing_through_the_api_sends_the_messages_off_the_request_thread(db, engine, make):
    notify = FakeNotify()
    try:
        app = create_app(
            {
                "ENGINE": engine,
                "DATABASE_URL": engine.url.render_as_string(hide_password=False),
                "TESTING": True,
                "SECRET_KEY": "secret-key-for-tests",
                "TEST_SESSION": db,
                "NOTIFY_API_KEY": API_KEY,
                "NOTIFY_BASE_URL": notify.url,
                "NOTIFY_SMS_TEMPLATE": "sms-template",
                "NOTIFY_LETTER_TEMPLATE": "letter-template",
            }
        )
        app.test_client_class = SyncedClient
        world = _world_with_messages(db, engine, make)
        plan = world.plan()
        headers = make.headers(Role.COORDINATOR)
        answer = app.test_client().post(f"/api/v1/plans/{plan.id}/publish", headers=headers)
        assert answer.status_code == 200
        deadline = time.monotonic() + 15
        while len(notify.sent) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sorted(n["template_id"] for n in notify.sent) == ["letter-template", "sms-template"]
        assert notify.problems == []
        while time.monotonic() < deadline:
            db.expire_all()
            statuses = set(db.exec(select(Notice.status)))
            db.commit()
            if statuses <= {"sent", "delivered"}:
                break
            time.sleep(0.1)
        assert statuses <= {"sent", "delivered"}
    finally:
        notify.close()
