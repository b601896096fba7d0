"""The outbox: messages as coordinators read them, letters to print, and marking one sent by hand."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from equipment import audit
from equipment.db import use_case, utcnow
from equipment.errors import InvalidTransition, NotFound
from equipment.models import Notice, Order, ServiceUser
from equipment.notices.channels import letter_address
from equipment.vocabulary import Channel, NoticeStatus


@dataclass(frozen=True)
class NoticeRow:
    notice: Notice
    order_ref: str | None
    person: ServiceUser


def list_notices(
    session: Session,
    *,
    status: str | None = None,
    kind: str | None = None,
    channel: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[NoticeRow], int]:
    """Newest first, with the total for paging."""
    where = []
    if status:
        where.append(Notice.status == status)
    if kind:
        where.append(Notice.kind == kind)
    if channel:
        where.append(Notice.channel == channel)
    total = session.exec(select(func.count()).select_from(Notice).where(*where)).one()
    rows = session.exec(
        select(Notice, Order.ref, ServiceUser)
        .join(ServiceUser, ServiceUser.id == Notice.service_user_id)
        .outerjoin(Order, Order.id == Notice.order_id)
        .where(*where)
        .order_by(Notice.created_at.desc(), Notice.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [NoticeRow(notice, ref, person) for notice, ref, person in rows], total


@use_case
def queued_letters(session: Session, *, user_id: int | None) -> list[tuple[NoticeRow, list[str]]]:
    """Letters waiting to be printed, each with its address lines. Each person shown is audited."""
    rows, _ = list_notices(session, status=NoticeStatus.QUEUED, channel=Channel.LETTER, limit=500)
    for person_id in sorted({row.person.id for row in rows}):
        audit.record(
            session,
            user_id=user_id,
            action="viewed",
            entity="service_user",
            entity_id=person_id,
            detail="letters to print",
        )
    return [(row, letter_address(row.person)) for row in reversed(rows)]


@use_case
def mark_sent_by_hand(session: Session, *, notice_id: int, user_id: int | None) -> Notice:
    """A coordinator printed and posted a letter (or sent a message by hand): it is sent."""
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise NotFound(f"no message {notice_id}")
    if notice.status != NoticeStatus.QUEUED:
        raise InvalidTransition(f"this message is already {notice.status}")
    notice.status, notice.sent_at, notice.updated_at = NoticeStatus.SENT, utcnow(), utcnow()
    session.add(notice)
    audit.record(session, user_id=user_id, action="notice_sent_by_hand", entity="notice", entity_id=notice.id)
    return notice
