"""Deliveries on the day: recording what happened at a stop (delivered, collected, failed),
retries that never count twice, and what the driver sees (driver_views)."""

from equipment.deliveries.driver_views import route_detail, routes_for_day
from equipment.deliveries.outcomes import FAIL_REASONS, Actor, apply_outcome, record_outcome

__all__ = ["FAIL_REASONS", "Actor", "apply_outcome", "record_outcome", "route_detail", "routes_for_day"]
