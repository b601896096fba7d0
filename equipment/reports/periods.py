"""Periods of local days (the service's time zone) and the local weeks in them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, case, literal
from sqlalchemy.sql.elements import ColumnElement

from equipment import service_time
from equipment.errors import Invalid
from equipment.service_time import DEFAULT_TZ

MAX_PERIOD_DAYS = 3700
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


@dataclass(frozen=True)
class Period:
    """Local days first..last inclusive, as the UTC instants [start, end)."""

    first: date
    last: date
    start: datetime
    end: datetime
    tz: str = DEFAULT_TZ


def period(first: date | None, last: date | None, *, tz: str = DEFAULT_TZ, today: date | None = None) -> Period:
    """The period of local days [first, last]; defaults to the 30 days ending today."""
    today = today or service_time.today(tz)
    if last is None:
        last = today if first is None else max(first, today)
    first = first or last - timedelta(days=29)
    for name, day in (("from", first), ("to", last)):
        if not EARLIEST <= day <= LATEST:
            raise Invalid(f"'{name}' must be between {EARLIEST} and {LATEST}", field=name)
    if first > last:
        raise Invalid("'from' must not be after 'to'", field="from")
    if (last - first).days > MAX_PERIOD_DAYS:
        raise Invalid(f"a period may span at most {MAX_PERIOD_DAYS} days", field="to")
    start = service_time.local_midnight(first, tz)
    end = service_time.local_midnight(last + timedelta(days=1), tz)
    return Period(first, last, start, end, tz)


def month_period(month: str | None, *, tz: str = DEFAULT_TZ, today: date | None = None) -> Period:
    """The calendar month 'YYYY-MM' (default: the last complete month)."""
    today = today or service_time.today(tz)
    if month:
        try:
            first = datetime.strptime(month, "%Y-%m").date()
        except ValueError as exc:
            raise Invalid("month must be YYYY-MM", field="month") from exc
        if not EARLIEST <= first <= LATEST:
            raise Invalid(f"month must be between {EARLIEST:%Y-%m} and {LATEST:%Y-%m}", field="month")
    else:
        first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return period(first, following - timedelta(days=1), tz=tz)


def week_starts(p: Period) -> list[date]:
    """The Mondays of the local weeks that overlap the period."""
    monday = p.first - timedelta(days=p.first.weekday())
    weeks = []
    while monday <= p.last:
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


def weeks_of(p: Period) -> list[date]:
    return week_starts(p)


def week_index(column: Any, p: Period) -> ColumnElement:
    """Which local week of the period (0, 1, ...) a UTC timestamp in it falls in.

    A balanced tree of CASE comparisons against each week's first instant (local Monday 00:00 as
    UTC, so BST and GMT are both right): about log2(weeks) comparisons a row, the same SQL on
    every database, and no date arithmetic on the column."""
    starts = [service_time.local_midnight(monday, p.tz) for monday in week_starts(p)]

    def subtree(low: int, high: int) -> ColumnElement:
        if high - low == 1:
            return literal(low, Integer)
        middle = (low + high) // 2
        return case((column < starts[middle], subtree(low, middle)), else_=subtree(middle, high))

    return subtree(0, len(starts))
