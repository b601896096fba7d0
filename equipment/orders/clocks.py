"""Response-class clocks: turn the moment an order starts counting into its due time.

A clock is configuration (a `ResponseClass` row), never code:
- `counting = "calendar_hours"`: `amount` real hours after the start.
- `counting = "service_hours"`: `amount` hours counted only inside the daily service window
  `service_hours_start`-`service_hours_end` (local time, every day of the year).
- `counting = "working_days"`: the end (17:00 local) of the `amount`-th working day after the day
  the order counts from. Working days are Monday to Friday less England and Wales bank holidays
  (the `holidays` package, substitute days included). An order counts from the day it arrives
  when that is a working day and it arrives before the cut-off (`cutoff`, else the end of the
  working day, 17:00); otherwise it counts from the next working day. So with next_day
  (1 working day, cut-off 14:00) Monday 13:59 is due Tuesday 17:00, Monday 14:00 Wednesday 17:00,
  and Saturday Tuesday 17:00 (it counts from Monday).

All arithmetic on the wall clock happens in the service's time zone (Europe/London), so a due
time stays at 17:00 local across the BST/GMT changes; results are aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol

import holidays

from equipment.service_time import DEFAULT_TZ, zone

WORKING_DAY_END = time(17, 0)
_MAX_DAYS = 3660  # a clock that has not finished in ten years is misconfigured


class ClockRule(Protocol):
    """What a clock needs from a response class (the ResponseClass table fits)."""

    counting: str
    amount: int
    service_hours_start: str | None
    service_hours_end: str | None
    cutoff: str | None


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    # England and Wales share their bank holidays; the package includes substitute days.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_bank_holiday(day: date) -> bool:
    return day in _bank_holidays(day.year)


def is_working_day(day: date) -> bool:
    """Monday to Friday, less England and Wales bank holidays."""
    return day.weekday() < 5 and not is_bank_holiday(day)


def next_working_day(day: date) -> date:
    """The first working day strictly after `day`."""
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(day: date, count: int) -> date:
    """The `count`-th working day after `day` (`count` >= 0; 0 gives `day` itself)."""
    for _ in range(count):
        day = next_working_day(day)
    return day


def to_utc(moment: datetime, *, tz: str = DEFAULT_TZ) -> datetime:
    """An aware UTC datetime; a naive one is read as local wall time in `tz`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(tz))
    return moment.astimezone(UTC)


def local_moment(day: date, at: time, *, tz: str = DEFAULT_TZ) -> datetime:
    """The UTC instant of wall time `at` on `day` in `tz`."""
    return datetime.combine(day, at, tzinfo=zone(tz)).astimezone(UTC)


def end_of_working_day(day: date, *, tz: str = DEFAULT_TZ) -> datetime:
    return local_moment(day, WORKING_DAY_END, tz=tz)


def _clock_time(text: str | None, default: time | None = None) -> time | None:
    if not text:
        return default
    return time.fromisoformat(text)


def counts_from(started_at: datetime, *, cutoff: time | None = None, tz: str = DEFAULT_TZ) -> date:
    """The working day an order counts from: the day it arrives if that is a working day and
    it arrives before the cut-off (default the end of the working day), else the next one."""
    local = to_utc(started_at, tz=tz).astimezone(zone(tz))
    limit = cutoff or WORKING_DAY_END
    if is_working_day(local.date()) and local.time() < limit:
        return local.date()
    return next_working_day(local.date())


def due_at(rc: ClockRule, started_at: datetime, *, tz: str = DEFAULT_TZ) -> datetime:
    """When an order whose clock starts at `started_at` is due, by response class `rc`."""
    start = to_utc(started_at, tz=tz)
    if rc.amount < 0:
        raise ValueError("a clock's amount cannot be negative")
    if rc.counting == "calendar_hours":
        return start + timedelta(hours=rc.amount)
    if rc.counting == "working_days":
        first = counts_from(start, cutoff=_clock_time(rc.cutoff), tz=tz)
        return end_of_working_day(add_working_days(first, rc.amount), tz=tz)
    if rc.counting == "service_hours":
        return _add_service_hours(
            start,
            timedelta(hours=rc.amount),
            opens=_clock_time(rc.service_hours_start, time(0, 0)),
            closes=_clock_time(rc.service_hours_end),
            tz=tz,
        )
    raise ValueError(f"unknown clock counting {rc.counting!r}")


def _add_service_hours(start: datetime, amount: timedelta, *, opens: time, closes: time | None, tz: str) -> datetime:
    """`amount` of time counted only inside each day's local service window [opens, closes)."""
    local_day = start.astimezone(zone(tz)).date()
    remaining = amount
    for _ in range(_MAX_DAYS):
        window_open = local_moment(local_day, opens, tz=tz)
        window_close = (
            local_moment(local_day, closes, tz=tz)
            if closes
            else local_moment(local_day + timedelta(days=1), time(0), tz=tz)
        )
        begin = max(window_open, start)
        if begin < window_close:
            available = window_close - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        local_day += timedelta(days=1)
    raise ValueError("the clock never finishes: check the service hours")


def within_next_working_day(moment: datetime, now: datetime, *, tz: str = DEFAULT_TZ) -> bool:
    """True when `moment` is no later than the end of the next working day after `now`
    (too soon for stock that is nowhere in the service to arrive in time)."""
    today = to_utc(now, tz=tz).astimezone(zone(tz)).date()
    return moment <= end_of_working_day(next_working_day(today), tz=tz)
