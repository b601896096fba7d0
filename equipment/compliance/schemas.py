"""Bodies of the recalls API and the compliance figures (no personal field anywhere)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from equipment.schemas import Day, Strict


class RecallCreate(Strict):
    reference: str = Field(max_length=60, description="The field safety notice's reference")
    skus: list[str] = Field(max_length=50, description="The catalogue lines the notice names")
    serials: list[str] | None = Field(None, max_length=500, description="Named units, by serial")
    batch: str | None = Field(None, max_length=40, description="Or: every unit of these lines from this batch")
    made_from: Day | None = Field(None, description="Or: units of these lines made on or after this day")
    made_to: Day | None = Field(None, description="... and on or before this day")
    action: str = Field(max_length=10, description="inspect, modify or withdraw")
    response_class: str = Field("inspection", max_length=24, description="The clock of the visits to homes")
    note: str = Field("", max_length=1000)


class RecallPath(BaseModel):
    id: int = Field(ge=1, le=2**31 - 1)


class RecallUnitPublic(BaseModel):
    serial: str
    sku: str
    batch: str
    manufactured_on: date | None
    where: str = Field(description="'depot' (with depot), 'home' (with area), 'in_transit' or 'on_van'")
    depot: str | None
    area: str | None = Field(description="The postcode district of the home, never a name")
    status: str = Field(description="quarantined, released, visit_planned, flagged, done or acknowledged")
    order_ref: str | None = Field(description="The visit order (pseudonymous)")
    swap_order_ref: str | None = Field(description="The replacement's delivery order")
    visit_status: str | None
    done_at: datetime | None
    acknowledged_at: datetime | None


class RecallProgress(BaseModel):
    affected: int
    reached: int = Field(description="Units out of circulation, or whose home has been visited")
    done: int = Field(description="Units quarantined, or visited with the person's acknowledgement")


class RecallPublic(BaseModel):
    id: int
    reference: str
    action: str
    response_class: str
    skus: list[str]
    serials: list[str]
    batch: str | None
    made_from: date | None
    made_to: date | None
    note: str
    status: str
    created_at: datetime
    progress: RecallProgress
    units: list[RecallUnitPublic]


class RecallSummary(BaseModel):
    id: int
    reference: str
    action: str
    status: str
    created_at: datetime
    progress: RecallProgress


class RecallList(BaseModel):
    items: list[RecallSummary]
    total: int


class InspectionResultIn(Strict):
    serial: str = Field(min_length=1, max_length=40)
    result: str = Field(max_length=10, description="pass or fail")
    note: str = Field("", max_length=200)


class RegimeFigurePublic(BaseModel):
    regime: str
    label: str
    on_loan: int
    in_date: int
    overdue: int
    share_percent: float | None = Field(description="Percent of units on loan in date; null with none on loan")


class AreaOverduePublic(BaseModel):
    area: str = Field(description="Postcode district")
    regime: str
    overdue: int


class OpenRecallPublic(BaseModel):
    id: int
    reference: str
    action: str
    affected: int
    reached: int
    done: int


class CompliancePublic(BaseModel):
    on_day: date
    regimes: list[RegimeFigurePublic]
    overdue_by_area: list[AreaOverduePublic]
    recalls: list[OpenRecallPublic]


class RecallUnitAction(Strict):
    action: str = Field(max_length=12, description="quarantine (a flagged unit now in a depot) or release")
    note: str = Field("", max_length=300)


class RecallUnitPath(BaseModel):
    id: int = Field(ge=1, le=2**31 - 1)
    serial: str = Field(min_length=1, max_length=40)
