"""Request and response bodies of the reports API: the delay log and the KPIs."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from equipment.schemas import Day, PageQuery
from equipment.vocabulary import DelayCause, DelayKind


class PeriodQuery(BaseModel):
    """Local days (the service's TIMEZONE), `to` inclusive; default: the 30 days ending today."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: Day | None = Field(None, alias="from", description="First day, YYYY-MM-DD (local)")
    to: Day | None = Field(None, description="Last day, YYYY-MM-DD (local), inclusive")


class DelayQuery(PeriodQuery, PageQuery):
    """The delay log, filtered; the period is the day each delay was recorded."""

    class_: str | None = Field(None, alias="class", max_length=24, description="Response class code")
    depot: str | None = Field(None, max_length=8, description="Depot code")
    cause: DelayCause | None = Field(None, description="Delay cause")
    kind: DelayKind | None = Field(None, description="predicted or actual")


class DelayPublic(BaseModel):
    id: int
    order_ref: str
    kind: str = Field(description="predicted or actual")
    cause: str
    cause_label: str
    attributable: bool = Field(description="false when the cause is not the provider's (excused)")
    response_class: str
    depot: str
    district: str
    due_at: datetime
    expected_at: datetime | None
    recorded_at: datetime


class DelayList(BaseModel):
    items: list[DelayPublic]
    total: int


class KpiPublic(BaseModel):
    response_class: str
    due: int = Field(description="Orders whose due time falls in the period (cancelled ones left out)")
    on_time: int = Field(description="Completed at or before the due time")
    late: int = Field(description="Completed after the due time, or not completed and the due time has passed")
    excused: int = Field(description="Late with a cause not attributable to the provider")
    not_yet_due: int = Field(description="Not completed and the due time still ahead: counts neither for nor against")
    percent_on_time: float | None = Field(description="100 x on_time / (on_time + late - excused); null when that is 0")
    target: float = Field(description="The contract's target percentage for the class")


class KpiList(BaseModel):
    items: list[KpiPublic]
    total: int
