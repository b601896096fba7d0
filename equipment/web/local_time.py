"""The configured service time zone, for handlers and templates (equipment.service_time does the
arithmetic; this reads the zone from the app's config)."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app

from equipment import service_time


def service_tz() -> str:
    """The service's time zone name: config's TIMEZONE."""
    return current_app.config["TIMEZONE"]


def today() -> date:
    """Today's date where the service works."""
    return service_time.today(service_tz())


def local_text(moment: datetime | None, fmt: str = "%H:%M") -> str:
    """An aware moment as the service's wall-clock time, formatted; '' for none."""
    if moment is None:
        return ""
    return service_time.to_local(moment, service_tz()).strftime(fmt)
