"""Inspections as visits: every unit on loan whose examination or electrical test falls due
within the lead time gets a visit, due on its inspection date. Several units at one address
become one visit; a unit already on an open inspection visit never gets a second one."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from equipment.compliance.settings import ComplianceSettings
from equipment.compliance.visits import add_unit_lines, inspection_visit, response_class
from equipment.db import new_session, use_case, utcnow
from equipment.errors import DomainError
from equipment.models import Asset, Item, Order, OrderLine, ServiceUser
from equipment.orders import clocks
from equipment.orders.records import add_event
from equipment.service_time import today as service_today
from equipment.vocabulary import OPEN_ORDER_STATUSES, InspectionRegime, OrderKind, OrderStatus, StockState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scheduled:
    """What one run of the schedule did."""

    created: list[str]  # refs of new visit orders
    extended: list[str]  # refs of open visits that took more units
    units: int  # units newly put on a visit


def units_due(session: Session, horizon: date) -> list[Asset]:
    """Units on loan with an inspection regime due on or before `horizon`."""
    return list(
        session.exec(
            select(Asset)
            .join(Item, Item.id == Asset.item_id)
            .where(
                Asset.state == StockState.ON_LOAN,
                Asset.service_user_id.is_not(None),
                Asset.next_inspection_due.is_not(None),
                Asset.next_inspection_due <= horizon,
                Item.inspection_regime != InspectionRegime.NONE,
            )
            .order_by(Asset.service_user_id, Asset.next_inspection_due, Asset.serial)
        )
    )


def serials_on_open_visits(session: Session, serials: list[str]) -> set[str]:
    """Which of these units are already on an open inspection visit."""
    if not serials:
        return set()
    return set(
        session.exec(
            select(OrderLine.serial)
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                Order.kind == OrderKind.INSPECTION, Order.status.in_(OPEN_ORDER_STATUSES), OrderLine.serial.in_(serials)
            )
        )
    )


@use_case
def schedule_inspection_visits(
    session: Session,
    *,
    settings: ComplianceSettings | None = None,
    user_id: int | None = None,
    today: date | None = None,
) -> Scheduled:
    """Create the inspection visits that are missing; commits. Safe to run any number of times."""
    settings = settings or ComplianceSettings()
    today = today or service_today(settings.tz)
    rc = response_class(session, settings.inspection_class, kind="delivery", field="INSPECTION_RESPONSE_CLASS")
    by_person: dict[int, list[Asset]] = defaultdict(list)
    for asset in units_due(session, today + timedelta(days=settings.lead_days)):
        by_person[asset.service_user_id].append(asset)
    created, extended, units = [], [], 0
    for person_id, assets in by_person.items():
        # The person's row is the lock: two schedules running at once take turns per address.
        person = session.exec(select(ServiceUser).where(ServiceUser.id == person_id).with_for_update()).one()
        covered = serials_on_open_visits(session, [a.serial for a in assets])
        missing = [a for a in assets if a.serial not in covered]
        if not missing:
            continue
        units += len(missing)
        open_visit = _waiting_visit(session, person_id, rc.code)
        if open_visit is not None:
            _extend(session, open_visit, missing, user_id=user_id, tz=settings.tz)
            extended.append(open_visit.ref)
            continue
        order = inspection_visit(
            session,
            person=person,
            assets=missing,
            rc=rc,
            due_on=min(a.next_inspection_due for a in missing),
            now=utcnow(),
            user_id=user_id,
            notes="inspection due: " + ", ".join(f"{a.serial} {a.next_inspection_due}" for a in missing),
            tz=settings.tz,
        )
        created.append(order.ref)
    session.flush()
    return Scheduled(created=created, extended=extended, units=units)


def _waiting_visit(session: Session, person_id: int, code: str) -> Order | None:
    """The person's inspection visit that is not planned yet, if any: new units join it."""
    return session.exec(
        select(Order)
        .where(
            Order.service_user_id == person_id,
            Order.kind == OrderKind.INSPECTION,
            Order.response_class == code,
            Order.status == OrderStatus.READY,
        )
        .order_by(Order.id)
    ).first()


def _extend(session: Session, order: Order, assets: list[Asset], *, user_id: int | None, tz: str) -> None:
    add_unit_lines(session, order, assets)
    earliest = clocks.end_of_working_day(min(a.next_inspection_due for a in assets), tz=tz)
    if order.due_at is None or earliest < order.due_at:
        order.due_at = earliest
    session.add(order)
    add_event(session, order, user_id, "amended", "inspection also of " + ", ".join(a.serial for a in assets))


def schedule_before_planning(engine: Engine, settings: ComplianceSettings | None = None) -> Scheduled | None:
    """The schedule in its own short transaction, run as a day is planned. A schedule that
    cannot run (say the inspection class is missing) is logged and never stops the planning."""
    with new_session(engine) as session:
        try:
            return schedule_inspection_visits(session, settings=settings)
        except DomainError as exc:
            log.warning("inspection visits not scheduled before planning: %s", exc.detail)
            return None
