"""Following an order from outside the stores (prescribers): the planned visit window once a plan
is published, proof of delivery, a failed visit's reason and when it was rebooked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, select

from equipment import audit
from equipment.db import use_case
from equipment.models import Order, Outcome, Plan, Route, ServiceUser, Stop, StopOrder
from equipment.notices.wording import visit_window
from equipment.orders.queries import OrderRow, depot_codes
from equipment.vocabulary import CAUSE_LABELS, OPEN_ORDER_STATUSES, DelayCause, OutcomeStatus


@dataclass(frozen=True)
class Visit:
    service_date: date
    eta: datetime

    # The same two hours the person at home is told (whole-hour offsets keep half hours aligned).
    @property
    def window_start(self) -> datetime:
        return visit_window(self.eta)[0]

    @property
    def window_end(self) -> datetime:
        return visit_window(self.eta)[1]


@dataclass(frozen=True)
class Tracking:
    visit: Visit | None  # the latest published visit
    delivered_at: datetime | None
    received_by: str
    failed_at: datetime | None
    failure_reason: str  # in plain words
    rebooked_for: datetime | None  # after a failed visit: the next planned visit or slot


def published_visits(session: Session, order_ids: Iterable[int]) -> dict[int, list[Visit]]:
    """Each order's visits on published plans, in the order they were published."""
    ids = list(order_ids)
    if not ids:
        return {}
    found = session.exec(
        select(StopOrder.order_id, Plan.service_date, Stop.eta)
        .join(Stop, Stop.id == StopOrder.stop_id)
        .join(Route, Route.id == Stop.route_id)
        .join(Plan, Plan.id == Route.plan_id)
        .where(StopOrder.order_id.in_(ids), Plan.published_at.is_not(None))
        .order_by(Plan.published_at, Stop.eta)
    )
    visits: dict[int, list[Visit]] = {}
    for order_id, service_date, eta in found:
        visits.setdefault(order_id, []).append(Visit(service_date, eta))
    return visits


def latest_visits(session: Session, order_ids: Iterable[int]) -> dict[int, Visit]:
    return {order_id: visits[-1] for order_id, visits in published_visits(session, order_ids).items()}


def reason_text(reason: str | None) -> str:
    if not reason:
        return ""
    try:
        return CAUSE_LABELS[DelayCause(reason)]
    except ValueError:
        return reason.replace("_", " ")


def track(session: Session, order: Order) -> Tracking:
    """Where one order stands for the person who asked for it."""
    visits = published_visits(session, [order.id]).get(order.id, [])
    outcomes = list(session.exec(select(Outcome).where(Outcome.order_id == order.id).order_by(Outcome.at)))
    done = next((o for o in reversed(outcomes) if o.status != OutcomeStatus.FAILED), None)
    failed = next((o for o in reversed(outcomes) if o.status == OutcomeStatus.FAILED), None)
    rebooked = None
    if failed is not None and (done is None or done.at < failed.at):
        later = [v.eta for v in visits if v.eta > failed.at]
        if order.slot_start and order.slot_start > failed.at:
            later.append(order.slot_start)
        rebooked = min(later) if later else None
    return Tracking(
        visit=visits[-1] if visits else None,
        delivered_at=done.at if done else None,
        received_by=done.recipient if done else "",
        failed_at=failed.at if failed else None,
        failure_reason=reason_text(failed.reason) if failed else "",
        rebooked_for=rebooked,
    )


@use_case
def own_orders(
    session: Session, *, prescriber_id: int, open_only: bool, limit: int, offset: int, user_id: int | None
) -> tuple[list[OrderRow], int]:
    """A prescriber's orders with their people (the listing is audited): open ones earliest due
    first, or all of them newest first; and how many in all."""
    query = select(Order).where(Order.prescriber_id == prescriber_id)
    if open_only:
        query = query.where(Order.status.in_(OPEN_ORDER_STATUSES))
        ordered = query.order_by(Order.due_at.is_(None), Order.due_at, Order.id)
    else:
        ordered = query.order_by(Order.received_at.desc(), Order.id.desc())
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    found = session.exec(ordered.limit(limit).offset(offset)).all()
    people: dict[int, ServiceUser] = {}
    if found:
        ids = {o.service_user_id for o in found}
        people = {p.id: p for p in session.exec(select(ServiceUser).where(ServiceUser.id.in_(ids)))}
        audit.record(
            session,
            user_id=user_id,
            action="listed",
            entity="service_user",
            entity_id=f"{len(ids)} people",
            detail="orders " + " ".join(o.ref for o in found),
        )
    codes = depot_codes(session)
    return [OrderRow(o, codes.get(o.depot_id, ""), people.get(o.service_user_id)) for o in found], total
