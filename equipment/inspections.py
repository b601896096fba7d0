"""Inspection regimes: when an asset's next thorough examination or electrical test is due."""

from __future__ import annotations

import calendar
from datetime import date

from equipment.vocabulary import InspectionRegime

REGIME_MONTHS = {
    InspectionRegime.LOLER_6M: 6,  # LOLER thorough examination of lifting equipment for people
    InspectionRegime.ELECTRICAL_12M: 12,  # periodic electrical safety test
}


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_due(regime: str, last_inspected: date) -> date | None:
    """The date the next inspection is due after one on `last_inspected`; None if no regime."""
    months = REGIME_MONTHS.get(InspectionRegime(regime)) if regime in set(InspectionRegime) else None
    return add_months(last_inspected, months) if months else None
