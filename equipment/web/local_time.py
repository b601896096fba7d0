"""The configured service time zone (and the configured attribution of delay causes), for
handlers and templates."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app

from equipment import service_time
from equipment.reports.attribution import DEFAULT_ATTRIBUTION, Attribution


def service_tz() -> str:
    return current_app.config.get("TIMEZONE", service_time.DEFAULT_TZ)


def today() -> date:
    return service_time.today(service_tz())


def local_text(moment: datetime | None, fmt: str = "%H:%M") -> str:
    """A moment as the service's wall-clock time, or "" for none."""
    return service_time.to_local(moment, service_tz()).strftime(fmt) if moment else ""


def attribution() -> Attribution:
    """Which delay causes the provider answers for (NOT_ATTRIBUTABLE_CAUSES)."""
    return current_app.config.get("ATTRIBUTION", DEFAULT_ATTRIBUTION)
