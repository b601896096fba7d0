"""What happens at a stop: delivered, collected or failed; and retries that never count twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from equipment import audit, compliance, idempotency, notices, service_time, stock
from equipment.db import use_case, utcnow
from equipment.deliveries.permissions import Actor, check_moment, checked_time_and_status, stop_for
from equipment.errors import DomainError, Invalid, InvalidTransition
from equipment.models import Asset, Delay, Order, OrderEvent, OrderLine, Outcome, Plan, Stop, StopOrder, Van
from equipment.reports.attribution import DEFAULT_ATTRIBUTION, Attribution, inside_agreed_slot
from equipment.reports.delay_recorder import record_delay
from equipment.vocabulary import DelayCause, DelayKind, OrderKind, OrderStatus, OutcomeStatus

FAIL_REASONS = (
    DelayCause.NOT_AT_HOME,
    DelayCause.ACCESS_PROBLEM,
    DelayCause.WRONG_ADDRESS,
    DelayCause.VEHICLE_BREAKDOWN,
    DelayCause.EQUIPMENT_FAULT,
    DelayCause.LATER_DATE_REQUESTED,
    DelayCause.OTHER,
)
# Orders on a stop that still await an outcome (another module's "open" means not yet completed).
AWAITING_OUTCOME = (OrderStatus.PLANNED, OrderStatus.LOADED)


def _open_orders(session: Session, stop: Stop) -> list[Order]:
    done = set(session.exec(select(Outcome.order_id).where(Outcome.stop_id == stop.id)))
    orders = session.exec(
        select(Order)
        .join(StopOrder, StopOrder.order_id == Order.id)
        .where(StopOrder.stop_id == stop.id)
        .order_by(Order.id)
    )
    return [o for o in orders if o.id not in done and o.status in AWAITING_OUTCOME]


def _targets(orders: list[Order], status: str, refs: list[str] | None) -> list[Order]:
    if refs:
        wanted = set(refs)
        chosen = [o for o in orders if o.ref in wanted]
        missing = wanted - {o.ref for o in chosen}
        if missing:
            raise Invalid(f"not open at this stop: {', '.join(sorted(missing))}", field="order_refs")
    elif status == OutcomeStatus.DELIVERED:
        chosen = [o for o in orders if o.kind in (OrderKind.DELIVERY, OrderKind.INSPECTION)]
    elif status == OutcomeStatus.COLLECTED:
        chosen = [o for o in orders if o.kind == OrderKind.COLLECTION]
    else:
        chosen = list(orders)
    if status == OutcomeStatus.DELIVERED and any(o.kind == OrderKind.COLLECTION for o in chosen):
        raise Invalid("a collection is recorded as collected, not delivered", field="order_refs")
    if status == OutcomeStatus.COLLECTED and any(o.kind != OrderKind.COLLECTION for o in chosen):
        raise Invalid("only collections can be recorded as collected", field="order_refs")
    if not chosen:
        raise InvalidTransition(f"nothing at this stop is open to record as {status}")
    return chosen


def _lines(session: Session, order: Order) -> list[OrderLine]:
    return list(session.exec(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)))


def expected_serials(session: Session, order: Order) -> list[str]:
    """Serials a driver confirms at the door: the units reserved for a delivery, the units to
    bring back for a collection."""
    lines = _lines(session, order)
    if order.kind == OrderKind.COLLECTION:
        return [line.serial for line in lines if line.serial]
    if not lines:
        return []
    return list(
        session.exec(select(Asset.serial).where(Asset.order_line_id.in_([l.id for l in lines])).order_by(Asset.serial))
    )


def _actual_cause(session: Session, order: Order) -> tuple[DelayCause, bool]:
    """The cause of a late completion, and whether the provider answers for it: as the delay
    last predicted or reported for the order was recorded."""
    last = session.exec(select(Delay).where(Delay.order_id == order.id).order_by(Delay.id.desc())).first()
    return (DelayCause(last.cause), last.attributable) if last else (DelayCause.OTHER, True)


def _complete(session: Session, order: Order, *, at: datetime, plan_id: int, actor: Actor, what: str) -> None:
    if order.due_at is not None and at > order.due_at:
        cause, attributable = _actual_cause(session, order)
        record_delay(
            session,
            order,
            kind=DelayKind.ACTUAL,
            cause=cause,
            attributable=attributable,
            expected_at=at,
            plan_id=plan_id,
            user_id=actor.user_id,
            note=f"{what} after the due time",
        )
    order.status, order.completed_at = OrderStatus.COMPLETED, at
    session.add(order)
    session.add(OrderEvent(order_id=order.id, user_id=actor.user_id, event="completed", at=at, detail=what))


def apply_outcome(
    session: Session,
    *,
    stop_id: int,
    status: str,
    actor: Actor,
    reason: str | None = None,
    recipient: str = "",
    serials: list[str] | None = None,
    order_refs: list[str] | None = None,
    at: datetime | None = None,
    note: str = "",
    tz: str = service_time.DEFAULT_TZ,
    inspections: list[dict] | None = None,
    examiner: str | None = None,
    acknowledged: bool | None = None,
    attribution: Attribution = DEFAULT_ATTRIBUTION,
) -> tuple[Stop, list[tuple[Order, Outcome]]]:
    """Record an outcome for the stop's open orders (flush only); `attribution` judges a failure;
    at an inspection or recall visit also each unit's result and the person's acknowledgement
    (equipment.compliance)."""
    stop, route, plan = stop_for(session, stop_id, actor, tz=tz)
    now = utcnow()
    at = checked_time_and_status(at or now, status)
    open_orders = _open_orders(session, stop)
    orders = _targets(open_orders, status, order_refs)
    check_moment(at, recorded_at=now, service_date=plan.service_date, route=route, orders=orders, tz=tz)
    van = session.get(Van, route.van_id)
    # One form may carry the serials of the whole visit: those of the other orders are not for now.
    others = {s for o in open_orders if o not in orders for s in expected_serials(session, o)}
    given = sorted({s.strip() for s in (serials or []) if s.strip()} - others)
    _check_evidence(session, orders, status=status, reason=reason, recipient=recipient, given=given)
    results: list[tuple[Order, Outcome]] = []
    for order in orders:
        done_serials = _carry_out(
            session,
            order,
            status=status,
            reason=reason,
            note=note,
            at=at,
            plan=plan,
            van=van,
            actor=actor,
            attribution=attribution,
        )
        outcome = Outcome(
            stop_id=stop.id,
            order_id=order.id,
            status=status,
            reason=reason if status == OutcomeStatus.FAILED else None,
            recipient=recipient.strip()[:120],
            serials=" ".join(done_serials or given)[:1000],
            at=at,
            recorded_by=actor.user_id,
            recorded_at=now,
        )
        session.add(outcome)
        results.append((order, outcome))
    session.flush()
    compliance.after_visit(
        session,
        orders=[o for o, _ in results],
        status=status,
        report=compliance.visit_report(inspections, examiner, acknowledged),
        user_id=actor.user_id,
        at=at,
        settings=compliance.ComplianceSettings(tz=tz),
    )
    _settle_stop(session, stop)
    notices.queue_after_outcome(session, stop, status, tz=tz)
    _audit_outcome(session, actor=actor, status=status, stop=stop, orders=[o for o, _ in results])
    session.flush()
    return stop, results


def _audit_outcome(session: Session, *, actor: Actor, status: str, stop: Stop, orders: list[Order]) -> None:
    audit.record(
        session,
        user_id=actor.user_id,
        action=f"outcome_{status}",
        entity="stop",
        entity_id=stop.id,
        detail=" ".join(o.ref for o in orders),
    )


def _check_evidence(
    session: Session, orders: list[Order], *, status: str, reason: str | None, recipient: str, given: list[str]
) -> None:
    """A failure says why; a delivery says who received it; the serials are those expected."""
    if status == OutcomeStatus.FAILED:
        if reason not in set(FAIL_REASONS):
            raise Invalid(f"say why, one of: {', '.join(FAIL_REASONS)}", field="reason")
        return
    if status == OutcomeStatus.DELIVERED and not recipient.strip():
        raise Invalid("who received the equipment?", field="recipient")
    expected = sorted({s for o in orders for s in expected_serials(session, o)})
    if expected and given != expected:
        missing, extra = set(expected) - set(given), set(given) - set(expected)
        detail = "; ".join(
            filter(
                None,
                [
                    f"not confirmed: {', '.join(sorted(missing))}" if missing else "",
                    f"not expected: {', '.join(sorted(extra))}" if extra else "",
                ],
            )
        )
        raise Invalid(f"serials do not match: {detail}", field="serials")


def _carry_out(
    session: Session,
    order: Order,
    *,
    status: str,
    reason: str | None,
    note: str,
    at: datetime,
    plan: Plan,
    van: Van,
    actor: Actor,
    attribution: Attribution,
) -> list[str]:
    """Move the stock and the order on for one order's outcome; the serials handled."""
    if status == OutcomeStatus.DELIVERED:
        return _deliver(session, order, at=at, plan=plan, actor=actor)
    if status == OutcomeStatus.COLLECTED:
        return _collect(session, order, at=at, plan=plan, van=van, actor=actor)
    _fail_visit(session, order, reason=reason, note=note, at=at, plan=plan, actor=actor, attribution=attribution)
    return []


def _deliver(session: Session, order: Order, *, at: datetime, plan: Plan, actor: Actor) -> list[str]:
    """The order's units go on loan at the person's home (a visit moves no stock); the serials."""
    done_serials: list[str] = []
    for line in _lines(session, order):
        if order.kind == OrderKind.DELIVERY:
            done_serials += stock.deliver_line(
                session, line=line, service_user_id=order.service_user_id, at=at, user_id=actor.user_id
            )
    _complete(
        session,
        order,
        at=at,
        plan_id=plan.id,
        actor=actor,
        what="delivered" if order.kind == OrderKind.DELIVERY else "visited",
    )
    return done_serials


def _collect(session: Session, order: Order, *, at: datetime, plan: Plan, van: Van, actor: Actor) -> list[str]:
    """The order's units come back to the van's depot, into quarantine; the serials."""
    done_serials: list[str] = []
    for line in _lines(session, order):
        if line.serial:
            stock.collect_asset(session, serial=line.serial, depot_id=van.depot_id, at=at, user_id=actor.user_id)
            done_serials.append(line.serial)
        else:
            stock.collect_bulk(
                session,
                item_id=line.item_id,
                quantity=line.quantity,
                depot_id=van.depot_id,
                at=at,
                user_id=actor.user_id,
            )
    _complete(session, order, at=at, plan_id=plan.id, actor=actor, what="collected")
    return done_serials


def _fail_visit(
    session: Session,
    order: Order,
    *,
    reason: str | None,
    note: str,
    at: datetime,
    plan: Plan,
    actor: Actor,
    attribution: Attribution,
) -> None:
    """A failed visit: the delay is recorded (when the order has a due time) and the order is ready again."""
    kind = DelayKind.ACTUAL if order.due_at is not None and at > order.due_at else DelayKind.PREDICTED
    if order.due_at is not None:
        record_delay(
            session,
            order,
            kind=kind,
            cause=reason,
            expected_at=None,
            plan_id=plan.id,
            user_id=actor.user_id,
            note=note or "visit failed",
            attribution=attribution,
            inside_agreed_slot=inside_agreed_slot(order, at),
        )
    order.status = OrderStatus.READY
    session.add(order)
    session.add(
        OrderEvent(
            order_id=order.id,
            user_id=actor.user_id,
            event="visit_failed",
            at=at,
            detail=f"{reason}{': ' + note if note else ''}; back to ready for rescheduling",
        )
    )


def _settle_stop(session: Session, stop: Stop) -> None:
    """Done when nothing is left open (failed when every outcome failed), else partial."""
    if not _open_orders(session, stop):
        recorded = set(session.exec(select(Outcome.status).where(Outcome.stop_id == stop.id)))
        stop.status = "done" if recorded - {OutcomeStatus.FAILED} else "failed"
    else:
        stop.status = "partial"
    session.add(stop)


def outcome_body(stop: Stop, results: list[tuple[Order, Outcome]]) -> dict[str, Any]:
    """The answer to an outcome, as JSON-ready data (stored for replays)."""
    return {
        "stop_id": stop.id,
        "stop_status": stop.status,
        "outcomes": [
            {
                "order_ref": order.ref,
                "status": out.status,
                "reason": out.reason,
                "recipient": out.recipient,
                "serials": out.serials.split(),
                "at": out.at.isoformat(),
                "order_status": order.status,
            }
            for order, out in results
        ],
    }


# ---------------------------------------------------------------------------- idempotency


def record_outcome(
    session: Session,
    *,
    stop_id: int,
    actor: Actor,
    payload: dict[str, Any],
    idempotency_key: str | None = None,
    method: str = "POST",
    path: str = "",
    tz: str = service_time.DEFAULT_TZ,
    attribution: Attribution = DEFAULT_ATTRIBUTION,
) -> tuple[int, dict]:
    """Record an outcome once: with an Idempotency-Key, a retry with the same body gets the first
    answer again and changes nothing; the same key with another body is refused (409)."""
    keys = ("status", "reason", "recipient", "serials", "order_refs", "at", "note", "inspections", "examiner")
    fields = {k: payload.get(k) for k in (*keys, "acknowledged")}
    fields["recipient"] = fields["recipient"] or ""
    fields["note"] = fields["note"] or ""
    fields["tz"], fields["attribution"] = tz, attribution
    if not idempotency_key:
        return _record(session, stop_id=stop_id, actor=actor, fields=fields, under_key=None)
    under_key = idempotency.Request(
        key=idempotency.checked_key(idempotency_key),
        user_id=actor.user_id,
        method=method,
        path=path,
        body_hash=idempotency.body_hash({"stop_id": stop_id, **payload}),
    )
    try:
        return _record(session, stop_id=stop_id, actor=actor, fields=fields, under_key=under_key)
    except (IntegrityError, DomainError):
        # A twin request may have won the race: its stored answer is ours too.
        earlier = _stored_answer(session, under_key)
        if earlier:
            return earlier
        raise


@use_case
def _record(
    session: Session, *, stop_id: int, actor: Actor, fields: dict[str, Any], under_key: idempotency.Request | None
) -> tuple[int, dict]:
    """Apply the outcome and, under a key, remember the answer; an answer already stored wins."""
    if under_key is not None:
        earlier = idempotency.stored_answer(session, under_key)
        if earlier:
            return earlier
    stop, results = apply_outcome(session, stop_id=stop_id, actor=actor, **fields)
    body = outcome_body(stop, results)
    if under_key is not None:
        idempotency.remember(session, under_key, status=200, body=body)
    return 200, body


@use_case
def _stored_answer(session: Session, under_key: idempotency.Request) -> tuple[int, dict] | None:
    return idempotency.stored_answer(session, under_key)
