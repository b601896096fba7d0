"""Sending queued messages through GOV.UK Notify. Each message is claimed in one short
transaction, sent with none open, and its answer stored in another; Notify's `reference` is the
message's event key, so a send that may have happened is looked up before it is ever repeated."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient
from sqlalchemy import Engine, or_
from sqlmodel import Session, select

from equipment.db import utcnow
from equipment.models import Notice, Order, ServiceUser
from equipment.notices.channels import letter_address
from equipment.vocabulary import Channel, NoticeStatus

log = logging.getLogger(__name__)

BATCH = 50  # messages claimed per round: a round never holds the queue for long
MAX_ATTEMPTS = 5
# A claim older than this was left by a sender that stopped half way: look it up and carry on.
STALE_CLAIM = timedelta(minutes=10)
# Notify's states of a message that has reached the person, and of one that never will.
REACHED = {"delivered", "received"}
NEVER = {"permanent-failure", "temporary-failure", "technical-failure", "validation-failed", "virus-scan-failed"}


@dataclass(frozen=True)
class NotifySettings:
    api_key: str
    base_url: str = "https://api.notifications.service.gov.uk"
    templates: dict[str, str] = field(default_factory=dict)  # channel -> Notify template id

    @classmethod
    def from_settings(cls, settings: dict) -> NotifySettings | None:
        if not settings.get("NOTIFY_API_KEY"):
            return None
        return cls(
            api_key=settings["NOTIFY_API_KEY"],
            base_url=settings.get("NOTIFY_BASE_URL") or cls.base_url,
            templates={
                Channel.SMS: settings.get("NOTIFY_SMS_TEMPLATE", ""),
                Channel.EMAIL: settings.get("NOTIFY_EMAIL_TEMPLATE", ""),
                Channel.LETTER: settings.get("NOTIFY_LETTER_TEMPLATE", ""),
            },
        )

    def client(self) -> NotificationsAPIClient:
        return NotificationsAPIClient(self.api_key, base_url=self.base_url, timeout=10)


@dataclass(frozen=True)
class Claimed:
    id: int
    reference: str
    channel: str
    attempts: int  # this one included
    to: str
    personalisation: dict


def _claim(engine: Engine, now) -> list[Claimed]:
    with Session(engine) as session:
        rows = session.exec(
            select(Notice, ServiceUser, Order)
            .join(ServiceUser, ServiceUser.id == Notice.service_user_id)
            .outerjoin(Order, Order.id == Notice.order_id)
            .where(
                or_(
                    Notice.status == NoticeStatus.QUEUED,
                    (Notice.status == NoticeStatus.SENDING) & (Notice.updated_at < now - STALE_CLAIM),
                )
            )
            .order_by(Notice.id)
            .limit(BATCH)
        ).all()
        claimed = []
        for notice, person, order in rows:
            notice.status, notice.attempts, notice.updated_at = NoticeStatus.SENDING, notice.attempts + 1, now
            session.add(notice)
            personal = {"message": notice.body, "reference": order.ref if order else ""}
            if notice.channel == Channel.LETTER:
                personal |= {f"address_line_{i}": line for i, line in enumerate(letter_address(person), start=1)}
            to = person.phone if notice.channel == Channel.SMS else person.email
            claimed.append(Claimed(notice.id, notice.event_key, notice.channel, notice.attempts, to, personal))
        session.commit()
        return claimed


def _already_sent(client: NotificationsAPIClient, reference: str) -> dict | None:
    found = client.get_all_notifications(reference=reference).get("notifications") or []
    return found[0] if found else None


def _send(client: NotificationsAPIClient, notify: NotifySettings, item: Claimed) -> dict:
    if item.attempts > 1:  # an earlier attempt may have reached Notify
        earlier = _already_sent(client, item.reference)
        if earlier is not None:
            return earlier
    template = notify.templates.get(item.channel, "")
    if item.channel == Channel.SMS:
        return client.send_sms_notification(item.to, template, item.personalisation, reference=item.reference)
    if item.channel == Channel.EMAIL:
        return client.send_email_notification(item.to, template, item.personalisation, reference=item.reference)
    return client.send_letter_notification(template, item.personalisation, reference=item.reference)


def _store(engine: Engine, notice_id: int, **changes) -> None:
    with Session(engine) as session:
        notice = session.get(Notice, notice_id)
        for name, value in changes.items():
            setattr(notice, name, value)
        notice.updated_at = utcnow()
        session.add(notice)
        session.commit()


def _transient(error: APIError) -> bool:
    return error.status_code >= 500 or error.status_code == 429


def send_queued(engine: Engine, notify: NotifySettings) -> int:
    """One round: up to BATCH queued messages handed to Notify. Returns how many were sent."""
    client, sent = notify.client(), 0
    for item in _claim(engine, utcnow()):
        try:
            answer = _send(client, notify, item)
        except APIError as error:
            log.warning("notice %s not sent: %s", item.id, error.status_code)
            again = _transient(error) and item.attempts < MAX_ATTEMPTS
            status = NoticeStatus.QUEUED if again else NoticeStatus.FAILED
            _store(engine, item.id, status=status, error=f"Notify answered {error.status_code}"[:300])
            continue
        _store(engine, item.id, status=NoticeStatus.SENT, provider_id=str(answer.get("id", ""))[:64], sent_at=utcnow())
        sent += 1
    return sent


def refresh_statuses(engine: Engine, notify: NotifySettings) -> int:
    """Ask Notify what became of sent messages: delivered, or failed for good. Returns changes."""
    with Session(engine) as session:
        waiting = session.exec(
            select(Notice.id, Notice.provider_id)
            .where(Notice.status == NoticeStatus.SENT, Notice.provider_id != "")
            .order_by(Notice.updated_at, Notice.id)
            .limit(BATCH)
        ).all()
    client, changed = notify.client(), 0
    for notice_id, provider_id in waiting:
        try:
            state = client.get_notification_by_id(provider_id).get("status", "")
        except APIError as error:
            log.warning("notice %s status unknown: %s", notice_id, error.status_code)
            continue
        if state in REACHED or state in NEVER:
            final = NoticeStatus.DELIVERED if state in REACHED else NoticeStatus.FAILED
            _store(engine, notice_id, status=final, error="" if final == NoticeStatus.DELIVERED else state)
            changed += 1
        else:
            _store(engine, notice_id)  # asked: the next round asks about the others first
    return changed
