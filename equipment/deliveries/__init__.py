"""Deliveries on the day: recording what happened at a stop (outcomes: delivered, collected,
failed; retries that never count twice), who may record it and when (permissions), and what the
driver sees (driver_views)."""

from equipment.deliveries.driver_views import next_published_day, route_detail, routes_for_day
from equipment.deliveries.outcomes import FAIL_REASONS, apply_outcome, record_outcome
from equipment.deliveries.permissions import Actor

__all__ = [
    "FAIL_REASONS",
    "Actor",
    "apply_outcome",
    "next_published_day",
    "record_outcome",
    "route_detail",
    "routes_for_day",
]
