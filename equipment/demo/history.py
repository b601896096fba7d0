"""Months of realistic history for the seeded service, so the dashboard is alive at first start.

The history follows the live service's rules: due times come from the response classes'
clocks (equipment.orders.clocks.due_at), delays are recorded by
equipment.reports.delay_recorder.record_delay (which decides attributability and excusal), stock
moves through equipment.stock.ledger, and orders still open today get their stock reserved by
equipment.stock.reservations.reserve_for_line (history_today.py). The stock-out spells and the
journey of collected units through the ledger are in history_stock.py. Rows are built in
memory and written with bulk inserts, so a year takes seconds.

Shape of the service (DESIGN.md): about 400 items a working day, Mondays busiest, winter
pressure (more orders, more lateness), a few stock-outs of powered air mattresses (MAT-AIR)
that show as stock delays, and a mix of causes, some not the provider's (excused).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from equipment.db import use_case, utcnow
from equipment.demo.bulk_rows import bulk_insert, next_id
from equipment.demo.history_stock import backdate_opening_stock, recycle_returns, stock_out_windows
from equipment.demo.history_today import lend_recent_deliveries, reserve_open_orders
from equipment.demo.prescriber_demo import share_orders_among_prescribers
from equipment.demo.seeded_service import SeededService, load_seeded_service
from equipment.models import Delay, Order, OrderEvent, OrderLine, ResponseClass, StockMovement
from equipment.orders import clocks
from equipment.reports.delay_recorder import record_delay
from equipment.stock.inspections import add_months
from equipment.stock.ledger import put
from equipment.vocabulary import CAUSE_LABELS, DelayCause, DelayKind, OrderStatus

C = DelayCause
# Share of orders per class (60-70% of deliveries are same-day or next-day hospital discharges).
CLASS_MIX = {
    "emergency": 0.08,
    "next_day": 0.45,
    "three_day": 0.16,
    "standard": 0.12,
    "urgent_collection": 0.05,
    "standard_collection": 0.14,
}
WEEKEND_MIX = {"emergency": 0.45, "next_day": 0.45, "urgent_collection": 0.10}
BASE_LATE = {
    "emergency": 0.05,
    "next_day": 0.045,
    "three_day": 0.03,
    "standard": 0.02,
    "urgent_collection": 0.035,
    "standard_collection": 0.025,
}
# Causes of lateness other than stock-outs: (cause, weight); capacity weighs more on Mondays and in winter.
CAUSE_MIX = [
    (C.NO_VAN_CAPACITY, 26),
    (C.LATER_DATE_REQUESTED, 16),
    (C.NOT_AT_HOME, 14),
    (C.ACCESS_PROBLEM, 8),
    (C.VEHICLE_BREAKDOWN, 7),
    (C.NO_TRAINED_CREW, 6),
    (C.EQUIPMENT_FAULT, 5),
    (C.STOCK_UNAVAILABLE, 6),
    (C.WRONG_ADDRESS, 4),
    (C.OTHER, 4),
]
PREDICTABLE = {C.NO_VAN_CAPACITY, C.NO_TRAINED_CREW, C.STOCK_UNAVAILABLE, C.LATER_DATE_REQUESTED}
WEEKDAY_FACTOR = [1.27, 1.02, 0.98, 0.93, 0.85, 0.07, 0.05]  # Monday peak; weekends emergencies only
MONTH_FACTOR = [1.18, 1.12, 1.04, 0.97, 0.95, 0.93, 0.92, 0.90, 0.97, 1.00, 1.05, 1.10]  # winter pressure
WINTER_LATENESS = [1.7, 1.5, 1.15, 1.0, 0.9, 0.85, 0.85, 0.85, 0.95, 1.0, 1.15, 1.45]
LINES_PER_ORDER = [(1, 55), (2, 30), (3, 12), (4, 3)]


@dataclass
class _Collector:
    """Stands in for a session for the live rules that only add rows and flush: collects them."""

    rows: list[Any] = field(default_factory=list)

    def add(self, row: Any) -> None:
        self.rows.append(row)

    def flush(self) -> None:
        return None


class GeneratedHistory:
    def __init__(
        self,
        session: Session,
        service: SeededService,
        *,
        now: datetime,
        tz: str,
        rng: random.Random,
        items_per_working_day: int,
    ) -> None:
        self.session, self.service, self.now, self.tz, self.rng = session, service, now, tz, rng
        self.zone = clocks.zone(tz)
        self.items_per_day = items_per_working_day
        self.order_id = next_id(session, Order.__table__)
        self.line_id = next_id(session, OrderLine.__table__)
        self.orders: list[dict[str, Any]] = []
        self.lines: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.delays: list[dict[str, Any]] = []
        self.movements: list[dict[str, Any]] = []
        self.balance_changes: dict[tuple[int, int, str], int] = defaultdict(int)
        self.open_deliveries: list[int] = []
        self.windows: list[tuple[date, date]] = []
        self.class_codes = [c for c in CLASS_MIX if c in service.classes]
        self.class_weights = list(accumulate(CLASS_MIX[c] for c in self.class_codes))
        self.delivery_cum = list(accumulate(service.delivery_weights))
        self.collect_cum = list(accumulate(service.collect_weights))
        self.lines_cum = list(accumulate(w for _, w in LINES_PER_ORDER))

    # --- one day ---------------------------------------------------------------------------

    def day(self, day: date) -> None:
        rng = self.rng
        working = clocks.is_working_day(day)
        factor = (WEEKDAY_FACTOR[day.weekday()] if working else 0.06) * MONTH_FACTOR[day.month - 1]
        target_items = max(0, int(rng.gauss(self.items_per_day * factor, self.items_per_day * factor * 0.06)))
        items = 0
        while items < target_items:
            items += self.order(day, working)

    def _received_at(self, day: date, rc: str) -> datetime:
        rng = self.rng
        if rc == "emergency":
            minutes = int(rng.triangular(7 * 60, 21 * 60, 13 * 60))
        else:
            minutes = int(rng.triangular(8 * 60, 18 * 60, 12 * 60))
        local = datetime.combine(day, time(0), self.zone) + timedelta(minutes=minutes, seconds=rng.randint(0, 59))
        return local.astimezone(UTC)

    def _local(self, day: date, minutes: int) -> datetime:
        return (datetime.combine(day, time(0), self.zone) + timedelta(minutes=minutes)).astimezone(UTC)

    def order(self, day: date, working: bool) -> int:
        rng, service = self.rng, self.service
        if working:
            rc_code = rng.choices(self.class_codes, cum_weights=self.class_weights)[0]
        else:
            codes = [c for c in WEEKEND_MIX if c in service.classes]
            rc_code = rng.choices(codes, [WEEKEND_MIX[c] for c in codes])[0]
        rc = service.classes[rc_code]
        kind = "collection" if rc.kind == "collection" else "delivery"
        person, district, depot_id = rng.choice(service.people)
        received = self._received_at(day, rc_code)
        due = clocks.due_at(rc, received, tz=self.tz)
        order_id, self.order_id = self.order_id, self.order_id + 1
        ref = f"EQ-{order_id:06d}"
        lines, has_stocked_out = self._lines(order_id, kind)
        units = sum(line["quantity"] for line in lines)
        row = {
            "id": order_id,
            "ref": ref,
            "kind": kind,
            "response_class": rc_code,
            "status": OrderStatus.COMPLETED.value,
            "service_user_id": person,
            "prescriber_id": None,
            "depot_id": depot_id,
            "district": district,
            "received_at": received,
            "clock_started_at": received,
            "due_at": due,
            "authorised_at": None,
            "authorised_by": None,
            "slot_start": None,
            "slot_end": None,
            "completed_at": None,
            "excused": False,
            "notes": "",
            "created_by": rng.choice(service.coordinators),
            "created_at": received,
        }
        self.orders.append(row)
        self.lines.extend(lines)
        self._event(order_id, received, "received", f"{kind}, {rc.name}: {units} item{'s' if units > 1 else ''}")
        if rng.random() < 0.015:
            cancelled = received + timedelta(hours=rng.uniform(0.5, 20))
            row["status"] = OrderStatus.CANCELLED.value
            self._event(order_id, min(cancelled, self.now), "cancelled", "cancelled at the prescriber's request")
            return units
        self._outcome(row, rc, day, has_stocked_out, lines)
        return units

    def _lines(self, order_id: int, kind: str) -> tuple[list[dict[str, Any]], bool]:
        rng, service = self.rng, self.service
        count = rng.choices([n for n, _ in LINES_PER_ORDER], cum_weights=self.lines_cum)[0]
        lines, seen, stocked_out = [], set(), False
        for _ in range(count):
            if kind == "collection" and service.collectable:
                item_id, serialised = rng.choices(service.collectable, cum_weights=self.collect_cum)[0], False
            else:
                item_id, serialised = rng.choices(service.deliverable, cum_weights=self.delivery_cum)[0]
            if item_id in seen:
                continue
            seen.add(item_id)
            stocked_out |= item_id == service.stocked_out_item
            quantity = 1 if serialised or rng.random() < 0.85 else 2
            lines.append(
                {
                    "id": self.line_id,
                    "order_id": order_id,
                    "item_id": item_id,
                    "quantity": quantity,
                    "allocated": quantity,
                    "serial": None,
                }
            )
            self.line_id += 1
        return lines, stocked_out

    def _stocked_out(self, day: date) -> bool:
        return any(start <= day <= end for start, end in self.windows)

    def _outcome(
        self, row: dict[str, Any], rc: ResponseClass, day: date, has_stocked_out: bool, lines: list[dict[str, Any]]
    ) -> None:
        rng = self.rng
        received, due = row["received_at"], row["due_at"]
        stock_out = has_stocked_out and self._stocked_out(day)
        chance = BASE_LATE[row["response_class"]] * WINTER_LATENESS[day.month - 1]
        if day.weekday() == 0:
            chance *= 1.6
        cause = None
        if stock_out and rng.random() < 0.75:
            cause = C.STOCK_UNAVAILABLE
        elif rng.random() < chance:
            weights = [
                w * (1.8 if c == C.NO_VAN_CAPACITY and (day.weekday() == 0 or day.month in (12, 1, 2)) else 1)
                for c, w in CAUSE_MIX
            ]
            cause = rng.choices([c for c, _ in CAUSE_MIX], weights)[0]
        completed = self._late_completion(rc, due, cause) if cause else self._on_time_completion(rc, received, due)
        planned = max(received + timedelta(minutes=20), min(completed, due) - timedelta(hours=rng.uniform(2, 14)))
        if cause in PREDICTABLE and rng.random() < 0.8:
            # Predicted when the stock was short at intake, or at planning the evening before.
            at = received + timedelta(minutes=1) if cause == C.STOCK_UNAVAILABLE else planned
            self._delay(row, DelayKind.PREDICTED, cause, min(at, self.now), expected_at=completed)
        if completed > self.now:
            row["status"] = OrderStatus.READY.value
            if row["kind"] == "delivery":
                self.open_deliveries.append(row["id"])
                for line in lines:
                    line["allocated"] = 0
            return
        if planned < self.now:
            self._event(row["id"], planned, "planned", "on a published route")
        row["completed_at"] = completed
        row["status"] = OrderStatus.COMPLETED.value
        self._event(
            row["id"], completed, "completed", "delivered and installed" if row["kind"] == "delivery" else "collected"
        )
        if cause:
            self._delay(row, DelayKind.ACTUAL, cause, completed)
        if row["kind"] == "collection":
            recycle_returns(self, row, completed, lines)

    def _on_time_completion(self, rc: ResponseClass, received: datetime, due: datetime) -> datetime:
        rng = self.rng
        if rc.counting != "working_days":
            span = (due - received).total_seconds()
            return received + timedelta(seconds=span * rng.uniform(0.25, 0.97))
        due_day = due.astimezone(self.zone).date()
        cutoff = time.fromisoformat(rc.cutoff) if rc.cutoff else None
        first = clocks.counts_from(received, cutoff=cutoff, tz=self.tz)
        day = due_day
        # Most are done on the due day or the one before; some earlier.
        for _ in range(rng.choices([0, 1, 2, 3], [50, 30, 14, 6])[0]):
            earlier = day - timedelta(days=1)
            while not clocks.is_working_day(earlier):
                earlier -= timedelta(days=1)
            if earlier < first:
                break
            day = earlier
        at = self._local(day, rng.randint(8 * 60 + 30, 16 * 60 + 55))
        if at <= received + timedelta(minutes=45):
            at = received + timedelta(minutes=rng.randint(45, 180))
        return min(at, due)

    def _late_completion(self, rc: ResponseClass, due: datetime, cause: DelayCause) -> datetime:
        rng = self.rng
        if rc.counting != "working_days":
            return due + timedelta(minutes=rng.randint(10, 8 * 60))
        days = {C.STOCK_UNAVAILABLE: rng.randint(1, 6), C.LATER_DATE_REQUESTED: rng.randint(2, 10)}.get(
            cause, rng.choices([1, 2, 3], [70, 22, 8])[0]
        )
        day = due.astimezone(self.zone).date()
        day = clocks.add_working_days(day, days)
        return self._local(day, rng.randint(8 * 60 + 30, 16 * 60 + 55))

    # --- rows by the live rules ------------------------------------------------------------

    def _event(self, order_id: int, at: datetime, event: str, detail: str) -> None:
        self.events.append({"order_id": order_id, "at": at, "user_id": None, "event": event, "detail": detail})

    def _delay(
        self, row: dict[str, Any], kind: DelayKind, cause: DelayCause, at: datetime, expected_at: datetime | None = None
    ) -> None:
        order = Order(id=row["id"], ref=row["ref"], due_at=row["due_at"], excused=row["excused"])
        collector = _Collector()
        user = self.rng.choice(self.service.drivers if kind == DelayKind.ACTUAL else self.service.coordinators)
        in_slot = kind == DelayKind.ACTUAL and cause == C.NOT_AT_HOME and row["id"] % 5 < 3  # 3 in 5 agreed a slot
        if in_slot:
            row["slot_start"], row["slot_end"] = row["due_at"] - timedelta(hours=3), row["due_at"] - timedelta(hours=1)
        record_delay(
            collector,
            order,
            kind=kind,
            cause=cause,
            expected_at=expected_at,
            user_id=user,
            note=CAUSE_LABELS[cause].lower() if kind == DelayKind.ACTUAL else "",
            inside_agreed_slot=in_slot,
        )
        row["excused"] = bool(order.excused)
        for made in collector.rows:
            if isinstance(made, Delay):
                made.recorded_at = at
                self.delays.append({c.name: getattr(made, c.name) for c in Delay.__table__.columns if c.name != "id"})
            elif isinstance(made, OrderEvent):
                made.at = at
                self.events.append(
                    {c.name: getattr(made, c.name) for c in OrderEvent.__table__.columns if c.name != "id"}
                )

    # --- writing -----------------------------------------------------------------------------

    def write(self) -> None:
        session = self.session
        for table, rows in (
            (Order.__table__, self.orders),
            (OrderLine.__table__, self.lines),
            (OrderEvent.__table__, self.events),
            (Delay.__table__, self.delays),
            (StockMovement.__table__, self.movements),
        ):
            bulk_insert(session, table, rows)
        for key, change in sorted(self.balance_changes.items()):
            if change > 0:
                put(session, key, change)
            elif change < 0:
                raise AssertionError(f"history would take stock it never had: {key} {change}")
        if session.get_bind().dialect.name == "postgresql":
            for name in ("orders", "order_lines", "order_events", "delays", "stock_movements"):
                session.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
                )
        session.flush()


@use_case
def generate_history(
    session: Session,
    *,
    months: int,
    now: datetime | None = None,
    tz: str = clocks.DEFAULT_TZ,
    seed: int = 20261122,
    items_per_working_day: int = 400,
) -> dict[str, int]:
    """Orders received over the last `months` months up to yesterday, with outcomes, delays and
    returns, written in one transaction (commits). The service must be seeded first."""
    if months < 1 or months > 60:
        raise ValueError("months must be between 1 and 60")
    now = now or utcnow()
    rng = random.Random(seed)
    service = load_seeded_service(session)
    history = GeneratedHistory(session, service, now=now, tz=tz, rng=rng, items_per_working_day=items_per_working_day)
    today = now.astimezone(clocks.zone(tz)).date()
    first = add_months(today, -months)
    history.windows = stock_out_windows(first, today, rng)
    backdate_opening_stock(session, before=clocks.local_moment(first - timedelta(days=1), time(7), tz=tz))
    day = first
    while day < today:
        history.day(day)
        day += timedelta(days=1)
    history.write()
    on_loan = lend_recent_deliveries(history)
    ready = reserve_open_orders(history)
    share_orders_among_prescribers(session)
    return {
        "orders": len(history.orders),
        "items": sum(line["quantity"] for line in history.lines),
        "delays": len(history.delays),
        "open_orders": sum(1 for o in history.orders if o["status"] not in ("completed", "cancelled")),
        "ready_now": ready,
        "units_on_loan": on_loan,
        "stock_movements": len(history.movements),
        "working_days": sum(1 for n in range((today - first).days) if clocks.is_working_day(first + timedelta(days=n))),
        "stock_outs": len(history.windows),
    }
