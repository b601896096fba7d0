"""Request and response bodies of /api/v1/plans, /routes and /stops."""

from __future__ import annotations

from datetime import date as Date
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from equipment.compliance.schemas import InspectionResultIn
from equipment.limits import MAX_ID
from equipment.schemas import Day, Location, Moment, PageQuery, Strict

FailReason = Literal[
    "not_at_home",
    "access_problem",
    "wrong_address",
    "vehicle_breakdown",
    "equipment_fault",
    "later_date_requested",
    "other",
]


class PlanCreate(Strict):
    date: Day = Field(description="The service day to plan (YYYY-MM-DD)")
    depots: list[str] | None = Field(None, max_length=20, description="Depot codes; all depots when left out")
    seconds: float | None = Field(None, gt=0, le=600, description="Solve budget in seconds (default PLAN_SECONDS)")


class PlanAccepted(BaseModel):
    id: int
    status: str


class PlanPath(BaseModel):
    id: int = Field(description="The plan's id")


class PlanListQuery(PageQuery):
    date: Day | None = Field(None, description="Only plans of this service day")


class Load(BaseModel):
    volume: int = Field(description="Volume units delivered from the van")
    capacity: int = Field(description="The van's volume capacity")


class StopPublic(BaseModel):
    id: int
    sequence: int
    order_refs: list[str] = Field(description="The orders served at this visit")
    eta: datetime = Field(description="When service starts")
    late: bool = Field(description="True when the plan makes it late: the ETA is after a due time on the service day")
    due_at: datetime | None = Field(description="The earliest due time of its orders")
    overdue: bool = Field(
        description="An order's due time had passed before the service day began (not the plan's doing)"
    )
    late_by_minutes: int = Field(description="Minutes the ETA is after the earliest due time; 0 when on time")
    status: str = Field(description="pending, partial, done or failed")
    service_minutes: int
    location: Location


class RoutePublic(BaseModel):
    id: int
    van: str
    depot: str
    driver: str | None = Field(description="The driver's username")
    locked: bool
    start_at: datetime | None
    end_at: datetime | None
    distance_km: float
    hours: float = Field(description="From leaving the depot to coming back")
    load: Load
    loaded_at: datetime | None
    stops: list[StopPublic]


class Unassigned(BaseModel):
    order_ref: str
    reason: str


class PlanSummary(BaseModel):
    id: int
    date: Date
    depots: list[str]
    status: str = Field(description="queued, running, done or failed")
    progress: float = Field(description="0 to 1")
    best_cost: int | None = Field(
        description="Cost of the best plan so far while solving (the router's objective, lower is better); "
        "total travel seconds once done"
    )
    error: str
    created_at: datetime
    finished_at: datetime | None
    published_at: datetime | None


class SplitVisitPublic(BaseModel):
    area: str = Field(description="The postcode district of the address")
    vans: list[str]
    order_refs: list[str]
    reason: str = Field(description="Why one address is visited by more than one van")


class PlanPublic(PlanSummary):
    started_at: datetime | None
    seconds: float
    job: str = Field(description="What the planning worker does or last did: plan (the day) or reoptimise")
    late: int = Field(description="Stops the plan makes late (after a due time on the service day)")
    overdue: int = Field(description="Stops with an order already overdue before the day began")
    routes: list[RoutePublic]
    unassigned: list[Unassigned]
    split_visits: list[SplitVisitPublic] = Field(description="Addresses visited by more than one van, and why")


class VroomProblem(BaseModel):
    """VROOM's input format (../shared/VROOM_FORMAT.md) with our extensions."""

    model_config = {"extra": "allow"}

    vehicles: list[dict]
    jobs: list[dict]
    matrices: dict


class PlanList(BaseModel):
    items: list[PlanSummary]
    total: int


class InsertRequest(Strict):
    order_ref: str = Field(min_length=1, max_length=20)
    dry_run: bool = Field(False, description="Only show where it would go and what would become late")
    displace: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        None,
        min_length=1,
        max_length=10,
        description="Stop ids of one route that give way to the order (an offer's `displace`); "
        "their orders go back to be planned",
    )
    decline: bool = Field(False, description="Make no room: the order stays ready, with its predicted delay")

    @model_validator(mode="after")
    def _one_choice(self):
        if self.decline and (self.displace or self.dry_run):
            raise ValueError("decline goes alone: without displace or dry_run")
        return self


class StopChange(BaseModel):
    stop_id: int | None = Field(description="null for the new stop of a dry run or an offer")
    van: str
    order_refs: list[str]
    eta: datetime
    previous_eta: datetime | None
    late: bool
    sequence: int


class DisplacedStop(BaseModel):
    stop_id: int
    order_refs: list[str]
    due_at: datetime | None = Field(description="The earliest due time of its orders")
    brought_forward: bool = Field(description="Every order on it is due after the service day")
    misses_due: bool = Field(description="Going back to be planned, it will miss its due time")


class RoomOffer(BaseModel):
    van: str
    displace: list[int] = Field(description="Send these stop ids as `displace` to take this offer")
    displaced: list[DisplacedStop]
    stop: StopChange = Field(description="Where the urgent order would go")
    late_stops: list[StopChange] = Field(description="Stops left on the route that would become late")
    made_late: list[str] = Field(description="Order refs that would miss their due time with this choice")


class InsertResult(BaseModel):
    inserted: bool
    dry_run: bool
    declined: bool = False
    stop: StopChange | None = Field(description="null when it fits nowhere (see `offers`) or was declined")
    late_stops: list[StopChange] = Field(description="Stops that were on time and would become late")
    displaced: list[DisplacedStop] = Field(description="Stops that gave way (with `displace`)")
    reason: str = Field("", description="Why it fits nowhere as things stand")
    offers: list[RoomOffer] = Field(
        description="When it fits nowhere: per route that could take it, the stops it would give up "
        "(orders brought forward first, then those due latest), fewest made late first"
    )


class StopPath(BaseModel):
    id: int
    stop_id: int


class RoutePath(BaseModel):
    id: int
    route_id: int


class MoveRequest(Strict):
    van: str = Field(min_length=1, max_length=12, description="Registration of the van to move the stop to")


class LockRequest(Strict):
    locked: bool = True


class ReoptimiseRequest(Strict):
    seconds: float = Field(5, gt=0, le=120, description="Solve budget; runs off the request thread (poll the plan)")


# ---------------------------------------------------------------------------- driver's view


class RouteQuery(BaseModel):
    date: Day = Field(description="The service day")


class LinePublic(BaseModel):
    sku: str
    name: str
    quantity: int
    serials: list[str]


PERSONAL = "The person's details: null for clerks, whose load list needs none of them"


class StopDetail(StopPublic):
    """A stop on a driver's route. Clerks get the same model with every personal field null
    (name, address, postcode, phone, access notes, safety alerts and the exact location): only
    the order refs, the items and the area are theirs."""

    location: Location | None = Field(description=f"Where the person lives. {PERSONAL}")
    area: str = Field(description="The postcode district (e.g. IP4)")
    name: str | None = Field(description=PERSONAL)
    address: str | None = Field(description=PERSONAL)
    postcode: str | None = Field(description=PERSONAL)
    phone: str | None = Field(description=PERSONAL)
    access_notes: str | None = Field(description=PERSONAL)
    safety_alerts: str | None = Field(description=PERSONAL)
    deliver: list[LinePublic]
    collect: list[LinePublic]
    inspect: list[LinePublic] = Field([], description="Units to examine or test (pass or fail each)")
    recalls: list[str] = Field([], description="Field safety notices to tell the person of (acknowledgement)")


class RouteDetail(BaseModel):
    id: int
    plan_id: int
    date: Date
    van: str
    depot: str
    driver: str | None
    start_at: datetime | None
    end_at: datetime | None
    distance_km: float
    stops: list[StopDetail]


class RouteList(BaseModel):
    items: list[RouteDetail]
    total: int


class StopOnlyPath(BaseModel):
    id: int = Field(description="The stop's id")


class OutcomeRequest(Strict):
    status: Literal["delivered", "collected", "failed"]
    reason: FailReason | None = Field(None, description="Required when failed")
    recipient: str | None = Field(None, max_length=120, description="Who received it (delivered)")
    serials: list[str] | None = Field(None, max_length=100, description="Serials confirmed or scanned")
    order_refs: list[str] | None = Field(None, max_length=20, description="Only these orders of the stop")
    at: Moment | None = Field(None, description="When it happened; default now; no offset = local time")
    note: str | None = Field(None, max_length=300)
    inspections: list[InspectionResultIn] | None = Field(
        None, max_length=50, description="An inspection or recall visit: each unit's result, pass or fail"
    )
    examiner: str | None = Field(None, max_length=120, description="Who examined the units (inspection visits)")
    acknowledged: bool | None = Field(None, description="A recall visit: the person acknowledged the notice")


class OutcomeLine(BaseModel):
    order_ref: str
    status: str
    reason: str | None
    recipient: str
    serials: list[str]
    at: datetime
    order_status: str


class OutcomeResult(BaseModel):
    stop_id: int
    stop_status: str
    outcomes: list[OutcomeLine]


# ---------------------------------------------------------------------------- vans


class VanCapacity(BaseModel):
    volume: int = Field(description="Volume units")
    bed_slots: int
    hoist_slots: int


class VanPublic(BaseModel):
    reg: str
    name: str
    depot: str = Field(description="The depot's code")
    capacity: VanCapacity
    skills: list[str] = Field(description="The crew's skills")
    driver: str | None = Field(description="The username of the van's driver")
    segregated: bool = Field(description="Has a separate dirty compartment: collections may mix with deliveries")
    active: bool


class VanList(BaseModel):
    items: list[VanPublic]
    total: int
