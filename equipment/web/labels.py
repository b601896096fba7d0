"""Template filters that keep internal codes and UTC stamps off the pages: `plain` for codes,
`when` for moments (local time; the year when it is not this year), `event_text` for stored
event details that carry UTC times ("ETA 10:30Z")."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Flask

from equipment import service_time
from equipment.plain_words import plain
from equipment.web.local_time import service_tz

# A stored UTC stamp: "2026-11-30 10:30Z", "2026-11-30T10:30:00Z" or a bare "10:30Z".
_UTC_STAMP = re.compile(r"\b(?:(\d{4}-\d{2}-\d{2})[ T])?(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|\+00:00)(?![\w:])")


def plain_words(code: object) -> str:
    return plain(code)


def when(moment: datetime | None, fmt: str = "%a %d %b %H:%M", *, now: datetime | None = None) -> str:
    """A moment in the service's local time; the year is added when it is not this year."""
    if moment is None:
        return ""
    tz = service_tz()
    local = service_time.to_local(moment, tz)
    this_year = service_time.to_local(now or service_time.now_utc(), tz).year
    if local.year != this_year and "%Y" not in fmt and "%y" not in fmt:
        fmt = fmt.replace("%b", "%b %Y") if "%b" in fmt else fmt.replace("%d", "%d %b %Y") if "%d" in fmt else fmt
    return local.strftime(fmt)


def event_text(text: str | None, at: datetime | None = None) -> str:
    """Stored event text with each UTC stamp shown as local time (a bare time takes `at`'s day)."""
    if not text:
        return ""

    def local(match: re.Match) -> str:
        day, clock = match.group(1), match.group(2)
        base = day or (at.astimezone(UTC).date().isoformat() if at else None)
        if base is None:
            return clock
        try:
            moment = datetime.fromisoformat(f"{base}T{clock}").replace(tzinfo=UTC)
        except ValueError:
            return match.group(0)
        return when(moment, "%a %d %b %H:%M" if day else "%H:%M")

    return _UTC_STAMP.sub(local, text)


def init_labels(app: Flask) -> None:
    app.add_template_filter(plain_words, "plain")
    app.add_template_filter(when, "when")
    app.add_template_filter(event_text, "event_text")
