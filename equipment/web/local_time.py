"""The configured service time zone, for handlers and templates."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app

from equipment import service_time


def service_tz() -> str:
    return current_app.config.get("TIMEZONE", service_time.DEFAULT_TZ)


def today() -> date:
    return service_time.today(service_tz())


def local_text(moment: datetime | None, fmt: str = "%H:%M") -> str:
    """A moment as the service's wall-clock time, or "" for none."""
    return service_time.to_local(moment, service_tz()).strftime(fmt) if moment else ""
