"""The settings of compliance in the home, read from the app's configuration."""

from __future__ import annotations

from dataclasses import dataclass

from equipment.service_time import DEFAULT_TZ


@dataclass(frozen=True)
class ComplianceSettings:
    """How far ahead an inspection due becomes a visit, and the clocks of the visits it makes."""

    lead_days: int = 21
    inspection_class: str = "inspection"
    swap_class: str = "swap"  # the replacement after a failed inspection: an emergency-like clock
    swap_collection_class: str = "swap_collection"  # collecting the faulty unit at the same visit
    tz: str = DEFAULT_TZ

    @classmethod
    def from_config(cls, config: dict) -> ComplianceSettings:
        return cls(
            lead_days=int(config.get("INSPECTION_LEAD_DAYS", 21)),
            inspection_class=config.get("INSPECTION_RESPONSE_CLASS", "inspection"),
            swap_class=config.get("SWAP_RESPONSE_CLASS", "swap"),
            swap_collection_class=config.get("SWAP_COLLECTION_CLASS", "swap_collection"),
            tz=config.get("TIMEZONE", DEFAULT_TZ),
        )
