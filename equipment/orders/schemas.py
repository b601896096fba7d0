"""Request and response bodies of /api/v1/orders."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from equipment.limits import MAX_ID
from equipment.schemas import Day, Moment, PageQuery, Strict
from equipment.vocabulary import Channel

OrderKindName = Literal["delivery", "collection", "inspection"]
# The classes the API names (../shared/API.md); their clocks are configuration (response_classes).
ResponseClassName = Literal[
    "emergency", "next_day", "three_day", "standard", "urgent_collection", "standard_collection"
]
OrderStatusName = Literal[
    "awaiting_authorisation", "back_order", "ready", "planned", "loaded", "completed", "failed", "cancelled"
]
POSTCODE_PATTERN = r"^\s*[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s*[0-9][A-Za-z]{2}\s*$"


class ServiceUserIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    address: str = Field(min_length=1, max_length=250)
    postcode: str = Field(min_length=1, max_length=10, description="A UK postcode in the service area")
    nhs_number: str | None = Field(None, max_length=14, description="10 digits with a valid check digit")
    phone: str = Field("", max_length=30)
    lat: float | None = Field(None, ge=-90, le=90, description="Known location; else the address is geocoded")
    lon: float | None = Field(None, ge=-180, le=180)
    access_notes: str = Field("", max_length=500, description="For the driver: parking, keys, stairs")
    safety_alerts: str = Field("", max_length=500, description="For the driver: risks at the address")
    email: str = Field("", max_length=120, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    contact_by: Channel | None = Field(None, description="How the person wants to hear when the van is coming")
    contact_consent: bool | None = Field(
        None, description="Their consent to texts or e-mails (without it, letters); omitted: unchanged"
    )


class LineIn(Strict):
    sku: str | None = Field(None, max_length=24, description="A catalogue item (deliveries; collections by item)")
    quantity: int = Field(1, ge=1, le=500)
    serial: str | None = Field(None, max_length=40, description="Collections and inspections: one asset on loan")


class SlotIn(Strict):
    start: Moment = Field(description="ISO 8601; without an offset it is the service's local time (TIMEZONE)")
    end: Moment


class OrderCreate(Strict):
    kind: OrderKindName
    response_class: ResponseClassName
    service_user: ServiceUserIn
    lines: list[LineIn] = Field(min_length=1, max_length=50)
    slot: SlotIn | None = None
    received_at: Moment | None = Field(None, description="When the request came in (not in the future); default now")
    prescriber_id: int | None = Field(None, ge=1, le=MAX_ID)
    notes: str = Field("", max_length=1000)


class OrderAmend(Strict):
    """Only the fields sent change. `lines` replaces every line; `slot: null` clears the slot."""

    response_class: ResponseClassName | None = None
    lines: list[LineIn] | None = Field(None, min_length=1, max_length=50)
    slot: SlotIn | None = None
    notes: str | None = Field(None, max_length=1000)
    reason: str = Field("", max_length=300, description="Why it changed (kept in the timeline)")


class CancelRequest(Strict):
    reason: str = Field("", max_length=300)


class AuthoriseRequest(Strict):
    note: str = Field("", max_length=300)


class OrderCreated(BaseModel):
    ref: str
    kind: str
    status: str
    response_class: str
    depot: str
    received_at: datetime
    due_at: datetime | None = Field(description="Null while the clock waits for authorisation")


class ServiceUserBrief(BaseModel):
    name: str
    postcode: str


class ServiceUserPublic(BaseModel):
    name: str
    address: str
    postcode: str
    nhs_number: str | None
    phone: str
    lat: float
    lon: float
    access_notes: str
    safety_alerts: str
    email: str = ""
    contact_by: str = "letter"
    contact_consent: bool = False


class OrderSummary(BaseModel):
    """What any permitted role may see: no names, addresses or NHS numbers unless `service_user` is set
    (coordinators and admins only)."""

    ref: str
    kind: str
    status: str
    response_class: str
    depot: str
    district: str
    received_at: datetime
    clock_started_at: datetime | None
    due_at: datetime | None
    slot_start: datetime | None
    slot_end: datetime | None
    completed_at: datetime | None
    excused: bool
    service_user: ServiceUserBrief | None = None


class OrderList(BaseModel):
    items: list[OrderSummary]
    total: int


class OrderLinePublic(BaseModel):
    sku: str
    name: str
    quantity: int
    allocated: int
    serial: str | None


class EventPublic(BaseModel):
    at: datetime
    event: str
    user: str | None
    detail: str


class OrderDelayPublic(BaseModel):
    kind: str
    cause: str
    attributable: bool
    due_at: datetime
    expected_at: datetime | None
    recorded_at: datetime
    note: str


class OutcomePublic(BaseModel):
    status: str
    reason: str | None
    at: datetime
    serials: list[str]


class TrackingPublic(BaseModel):
    """Where an order stands, as told to whoever asked for it."""

    visit_date: date | None = Field(None, description="Set once a plan with this visit is published")
    visit_eta: datetime | None = None
    window_start: datetime | None = Field(None, description="About an hour either side of the planned arrival")
    window_end: datetime | None = None
    delivered_at: datetime | None = Field(None, description="Proof of delivery (or collection): when")
    received_by: str = Field("", description="Proof of delivery: who received it")
    failed_at: datetime | None = None
    failure_reason: str = Field("", description="Why the last visit failed, in plain words")
    rebooked_for: datetime | None = Field(None, description="After a failed visit: the next planned visit or slot")


class OrderDetail(OrderSummary):
    """One order. Officers and clerks get the summary fields only (the rest null)."""

    authorised_at: datetime | None = None
    notes: str | None = None
    lines: list[OrderLinePublic] | None = None
    events: list[EventPublic] | None = None
    delays: list[OrderDelayPublic] | None = None
    outcomes: list[OutcomePublic] | None = None
    service_user: ServiceUserPublic | None = Field(  # type: ignore[assignment]
        None, description="The person's full record (coordinators and admins; every view is audited)"
    )
    tracking: TrackingPublic | None = Field(None, description="Prescribers: visit window, proof of delivery")


class OrderQuery(PageQuery):
    offset: int = Field(0, ge=0, le=2_000_000_000, description="How many items to skip")
    status: OrderStatusName | Literal["open"] | None = Field(
        None, description="A status, or open: every order not yet completed or cancelled"
    )
    q: str | None = Field(
        None,
        max_length=100,
        description="An order ref; for coordinators also an NHS number, a name or a postcode (NHS-number "
        "searches are audited and, when they find no one, limited per user: 429 once spent)",
    )
    response_class: ResponseClassName | None = None
    kind: OrderKindName | None = None
    depot: str | None = Field(None, max_length=8, description="Depot code")
    due_from: Day | Moment | None = Field(None, description="A date (from its start) or an ISO 8601 time")
    due_to: Day | Moment | None = Field(None, description="A date (to its end, inclusive) or an ISO 8601 time")


class OrderPath(BaseModel):
    ref: str = Field(max_length=20)


class DuePreviewQuery(BaseModel):
    response_class: ResponseClassName
    received_at: Moment | None = Field(None, description="Default now; without an offset it is local time")
    needs_authorisation: bool = False


class DuePreview(BaseModel):
    response_class: str
    received_at: datetime
    clock_starts: str = Field(description="received, or authorised when it waits for authorisation")
    due_at: datetime | None


class AvailabilityQuery(BaseModel):
    postcode: str | None = Field(
        None, max_length=10, pattern=POSTCODE_PATTERN, description="The address's postcode: gives the serving depot"
    )
    depot: str | None = Field(None, max_length=8, description="Or a depot code")
    q: str | None = Field(None, max_length=100, description="Words in the SKU, name or category")
    limit: int = Field(20, ge=1, le=100)


class AvailabilityItem(BaseModel):
    sku: str
    name: str
    serialised: bool
    needs_authorisation: bool
    available: int = Field(description="Available now at the serving depot")
    elsewhere: int = Field(description="Available now at the other depots together")


class Availability(BaseModel):
    depot: str | None = Field(description="The serving depot; null when no depot serves the district")
    district: str | None
    items: list[AvailabilityItem]


class PersonQuery(BaseModel):
    nhs_number: str = Field(pattern=r"^\s*\d{3}\s?\d{3}\s?\d{4}\s*$", description="10 digits")


class PersonFound(BaseModel):
    service_user: ServiceUserPublic
    open_orders: list[str] = Field(description="Refs of the person's orders not yet completed or cancelled")


class BackOrderReview(BaseModel):
    ready: list[str] = Field(description="Refs of back-orders now fully reserved")
    delayed: list[str] = Field(description="Refs newly logged as predicted late for want of stock")
