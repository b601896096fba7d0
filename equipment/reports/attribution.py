"""Whose fault a delay is: which delay causes the provider answers for.

Configuration (config.py's NOT_ATTRIBUTABLE_CAUSES) names the causes that are not the
provider's; by default, as DESIGN.md has it, a later date requested by the person, a wrong
address from the prescriber, and the person not at home for a visit inside the slot they agreed
(not at home with no agreed slot, or outside it, stays the provider's). The decision is made
when a delay is recorded and kept with it (delays.attributable, orders.excused), so a changed
setting applies to delays recorded from then on and the figures of the past do not move.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from equipment.models import Order
from equipment.vocabulary import CAUSE_LABELS, DelayCause

DEFAULT_NOT_ATTRIBUTABLE = frozenset(
    {DelayCause.NOT_AT_HOME, DelayCause.LATER_DATE_REQUESTED, DelayCause.WRONG_ADDRESS}
)
DEFAULT_SETTING = ",".join(sorted(DEFAULT_NOT_ATTRIBUTABLE))
# The person not being in is theirs to answer for only when they had agreed to be in then.
NEEDS_AGREED_SLOT = frozenset({DelayCause.NOT_AT_HOME})


@dataclass(frozen=True)
class CauseRule:
    cause: str
    label: str
    attributable: bool
    condition: str  # when a not-attributable cause is excused ("" when always)

    @property
    def text(self) -> str:
        if self.attributable:
            return "the provider's"
        return "not the provider's" + (f" {self.condition}" if self.condition else "")


@dataclass(frozen=True)
class Attribution:
    not_attributable: frozenset[DelayCause] = field(default=DEFAULT_NOT_ATTRIBUTABLE)

    @classmethod
    def from_setting(cls, setting: str | Iterable[str]) -> Attribution:
        """Cause codes, comma-separated (or a list); an empty setting makes every cause the
        provider's. An unknown code is a ValueError naming the known ones."""
        codes = setting.split(",") if isinstance(setting, str) else list(setting)
        causes = set()
        for code in (c.strip() for c in codes):
            if not code:
                continue
            try:
                causes.add(DelayCause(code))
            except ValueError as exc:
                known = ", ".join(c.value for c in DelayCause)
                raise ValueError(f"NOT_ATTRIBUTABLE_CAUSES: unknown cause {code!r}; known: {known}") from exc
        return cls(frozenset(causes))

    def attributable(self, cause: DelayCause | str, *, inside_agreed_slot: bool | None = None) -> bool:
        """True when the provider answers for a delay with this cause."""
        cause = DelayCause(cause)
        if cause not in self.not_attributable:
            return True
        return cause in NEEDS_AGREED_SLOT and not inside_agreed_slot

    def rule(self, cause: DelayCause | str) -> CauseRule:
        cause = DelayCause(cause)
        excusable = cause in self.not_attributable
        condition = "when the visit was inside the slot the person agreed" if cause in NEEDS_AGREED_SLOT else ""
        return CauseRule(cause.value, CAUSE_LABELS[cause], not excusable, condition if excusable else "")

    def rules(self) -> list[CauseRule]:
        """Every cause with whether the provider answers for it, the not-attributable first."""
        found = [self.rule(c) for c in DelayCause]
        return sorted(found, key=lambda r: (r.attributable, r.label))


DEFAULT_ATTRIBUTION = Attribution()


def inside_agreed_slot(order: Order, at: datetime | None) -> bool:
    """Whether a visit at `at` fell inside the slot agreed with the person (False without one)."""
    if at is None or order.slot_start is None or order.slot_end is None:
        return False
    return order.slot_start <= at <= order.slot_end
