"""The real Notify client against a local server that checks what Notify would receive."""

from __future__ import annotations

import pytest
from sqlmodel import select

from equipment import notices
from equipment.models import Notice
from equipment.vocabulary import Channel
from tests.equipment.test_planning_support import build_world
from tests.notices.fake_notify import API_KEY, FakeNotify

TEMPLATES = {Channel.SMS: "sms-template-id", Channel.EMAIL: "email-template-id", Channel.LETTER: "letter-template-id"}


@pytest.fixture
def notify():
    fake = FakeNotify()
    yield fake
    fake.close()


@pytest.fixture
def settings(notify):
    return notices.NotifySettings(api_key=API_KEY, base_url=notify.url, templates=TEMPLATES)


@pytest.fixture
def published(db, engine, make):
    world = build_world(db, engine, make)
    people = {
        "sms": world.person(1, phone="07700 900001", contact_by="sms", contact_consent=True),
        "email": world.person(2, email="sam@example.org", contact_by="email", contact_consent=True),
        "letter": world.person(3, name="Pat Letter", contact_by="letter"),
    }
    for person in people.values():
        world.order(person=person)
    world.published()
    return people


def _by_channel(db) -> dict[str, Notice]:
    db.expire_all()
    found = {n.channel: n for n in db.exec(select(Notice))}
    db.commit()  # end the read: the sender writes from its own sessions
    return found


def test_each_message_reaches_notify_once_with_its_template_personalisation_and_reference(
    db, engine, published, notify, settings
):
    queued = _by_channel(db)
    assert notices.send_queued(engine, settings) == 3
    assert notify.problems == []
    by_type = {n["type"]: n for n in notify.sent}
    assert by_type["sms"]["phone_number"] == "07700 900001"
    assert by_type["email"]["email_address"] == "sam@example.org"
    for channel, notice in queued.items():
        got = by_type[channel]
        assert got["template_id"] == TEMPLATES[channel] and got["reference"] == notice.event_key
        assert got["personalisation"]["message"] == notice.body
    letter = by_type["letter"]["personalisation"]
    assert letter["address_line_1"] == "Pat Letter" and letter["address_line_3"] == "IP4 1AA"

    stored = _by_channel(db)
    assert {n.status for n in stored.values()} == {"sent"}
    assert {n.provider_id for n in stored.values()} == {n["id"] for n in notify.sent}
    assert notices.send_queued(engine, settings) == 0 and len(notify.sent) == 3  # never twice

    assert notices.refresh_statuses(engine, settings) == 3
    assert {n.status for n in _by_channel(db).values()} == {"delivered"}


def test_a_send_whose_answer_was_lost_is_found_by_its_reference_not_sent_again(db, engine, published, notify, settings):
    notify.answer_next_post_with = 500  # Notify took the first message, but we never heard
    notices.send_queued(engine, settings)
    first = notify.sent[0]["reference"]
    assert _by_channel(db)[notify.sent[0]["type"]].status == "queued"
    notices.send_queued(engine, settings)
    assert len(notify.posts_for(first)) == 1
    stored = _by_channel(db)
    assert {n.status for n in stored.values()} == {"sent"} and notify.problems == []
    assert stored[notify.sent[0]["type"]].provider_id == notify.sent[0]["id"]


def test_a_message_notify_refuses_is_failed_and_not_retried(db, engine, published, notify, settings):
    notify.answer_next_post_with = 400
    notices.send_queued(engine, settings)
    stored = sorted(_by_channel(db).values(), key=lambda n: n.id)
    assert stored[0].status == "failed" and "400" in stored[0].error
    assert [n.status for n in stored[1:]] == ["sent", "sent"]
    assert notices.send_queued(engine, settings) == 0 and len(notify.sent) == 2


def test_without_a_key_nothing_is_sent_and_the_outbox_keeps_every_message(db, engine, published):
    assert notices.NotifySettings.from_settings({"NOTIFY_API_KEY": ""}) is None
    rows, total = notices.list_notices(db, status="queued")
    assert total == 3 and {row.notice.channel for row in rows} == {"sms", "email", "letter"}
    letters = notices.queued_letters(db, user_id=None)
    assert [lines[0] for _, lines in letters] == ["Pat Letter"]


def test_with_redis_one_waiting_job_sends_them_all_whatever_the_number_of_asks(
    db, engine, published, notify, redis_url
):
    from redis import Redis
    from rq import Queue, SimpleWorker

    from equipment.notices.dispatch import QUEUE_NAME, ask_for_sending

    settings = {
        "REDIS_URL": redis_url,
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "NOTIFY_API_KEY": API_KEY,
        "NOTIFY_BASE_URL": notify.url,
        "NOTIFY_SMS_TEMPLATE": "sms-template-id",
    }
    for _ in range(20):  # a burst of publishes and outcomes
        assert ask_for_sending(engine, settings)
    connection = Redis.from_url(redis_url)
    queue = Queue(QUEUE_NAME, connection=connection)
    assert len(queue.job_ids) == 1
    SimpleWorker([queue], connection=connection).work(burst=True)
    assert len(notify.sent) == 3 and notify.problems == []
    db.expire_all()
    assert set(db.exec(select(Notice.status))) <= {"sent", "delivered"}


def test_the_send_command_sends_what_waits_and_says_so_without_a_key(app, db, engine, published, notify):
    runner = app.test_cli_runner()
    without_key = runner.invoke(args=["notices", "send"])
    assert without_key.exit_code == 2 and "outbox" in without_key.output
    app.config.update(NOTIFY_API_KEY=API_KEY, NOTIFY_BASE_URL=notify.url, NOTIFY_SMS_TEMPLATE="sms-template-id")
    sent = runner.invoke(args=["notices", "send"])
    assert sent.exit_code == 0 and "3 message(s) sent" in sent.output
    assert len(notify.sent) == 3 and notify.problems == []
