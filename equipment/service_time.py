"""The service's local time. Every wall-clock question (what day is it, what time is 09:00)
is asked in one zone: config's TIMEZONE, Europe/London unless set. Code that knows the
configured zone passes it as `tz`; the default here is the same as config's."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Europe/London"


@lru_cache(maxsize=8)
def zone(tz: str = DEFAULT_TZ) -> ZoneInfo:
    return ZoneInfo(tz)


def now_utc() -> datetime:
    return datetime.now(UTC)


def today(tz: str = DEFAULT_TZ) -> date:
    """Today's date where the service works."""
    return now_utc().astimezone(zone(tz)).date()


def to_local(moment: datetime, tz: str = DEFAULT_TZ) -> datetime:
    """An aware moment as the service's wall-clock time."""
    return moment.astimezone(zone(tz))


def assume_local(moment: datetime, tz: str = DEFAULT_TZ) -> datetime:
    """An aware datetime; a naive one is read as the service's wall-clock time."""
    return moment.replace(tzinfo=zone(tz)) if moment.tzinfo is None else moment


def local_midnight(day: date, tz: str = DEFAULT_TZ) -> datetime:
    """The start of `day` in the service's zone, as an aware UTC datetime."""
    return datetime.combine(day, time(0), tzinfo=zone(tz)).astimezone(UTC)
