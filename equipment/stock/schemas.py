"""Request and response bodies of the stock, assets and exports API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from equipment.limits import MAX_ID, MAX_UNITS
from equipment.schemas import Day, Moment, PageQuery, Strict

Serial = Field(min_length=1, max_length=40)
Code = Field(min_length=1, max_length=8, description="Depot code, e.g. IPS")
Sku = Field(min_length=1, max_length=24, description="Catalogue SKU")


class StockQuery(PageQuery):
    depot: str | None = Field(None, max_length=8, description="Only this depot (code)")
    sku: str | None = Field(None, max_length=24, description="Only this item (SKU)")
    q: str | None = Field(None, max_length=100, description="Words in the SKU, name or category")
    low: bool = Field(False, description="Only rows below their minimum level")


class BalancePublic(BaseModel):
    depot: str
    sku: str
    name: str
    serialised: bool
    available: int
    allocated: int
    loaded: int
    on_loan: int
    in_transit: int = Field(description="On the way to this depot")
    quarantine: int
    decontaminated: int
    repair: int
    scrapped: int
    lost: int
    minimum: int = Field(description="Low-stock warning level for available units (0: none)")
    low: bool = Field(description="True when available is below the minimum")


class BalanceList(BaseModel):
    items: list[BalancePublic]
    total: int


class ReceiptCreate(Strict):
    depot: str = Code
    sku: str = Sku
    quantity: int | None = Field(None, ge=1, le=MAX_UNITS, description="Bulk items: how many units (above zero)")
    serials: list[str] | None = Field(None, max_length=500, description="Serialised items: one serial per unit")
    reason: str = Field("", max_length=200, description="Delivery note or supplier reference")
    batch: str = Field("", max_length=40, description="Serialised items: the manufacturer's batch or lot")
    manufactured_on: Day | None = Field(None, description="Serialised items: the date of manufacture")

    @model_validator(mode="after")
    def _one_of(self) -> ReceiptCreate:
        if self.quantity is None and not self.serials:
            raise ValueError("give quantity (bulk) or serials (serialised)")
        return self


class ReceiptPublic(BaseModel):
    depot: str
    sku: str
    quantity: int
    serials: list[str]
    movements: list[int] = Field(description="Ids of the ledger movements booked")
    orders_ready: list[str] = Field(description="Back orders made ready by this stock")


class AdjustmentCreate(Strict):
    depot: str = Code
    sku: str = Sku
    counted: int = Field(ge=0, le=MAX_UNITS, description="Units physically there and available (zero or more)")
    reason: str = Field(min_length=1, max_length=200)
    serials: list[str] | None = Field(
        None, max_length=2000, description="Serialised items: the serials found in the count"
    )


class MovementPublic(BaseModel):
    id: int
    at: datetime
    kind: str
    sku: str
    quantity: int
    from_depot: str | None
    from_state: str | None
    to_depot: str | None
    to_state: str | None
    serial: str | None
    order_ref: str | None
    user: str | None
    reason: str
    reverses: int | None = Field(description="Id of the movement this one reverses")


class AdjustmentPublic(BaseModel):
    changed: bool = Field(description="False when the count matched and nothing was booked")
    movement: MovementPublic | None


class TransferCreate(Strict):
    from_depot: str = Code
    to_depot: str = Code
    sku: str = Sku
    quantity: int | None = Field(None, ge=1, le=MAX_UNITS, description="Bulk items: how many units (above zero)")
    serials: list[str] | None = Field(None, max_length=500, description="Serialised items: the units to move")
    receive: bool = Field(
        True, description="Book the arrival at once (default); false leaves it in transit until received"
    )
    reason: str = Field("", max_length=200)

    @model_validator(mode="after")
    def _one_of(self) -> TransferCreate:
        if self.quantity is None and not self.serials:
            raise ValueError("give quantity (bulk) or serials (serialised)")
        return self


class TransferPublic(BaseModel):
    id: int
    from_depot: str
    to_depot: str
    sku: str
    quantity: int
    serials: list[str]
    status: Literal["in_transit", "received"]
    dispatched_at: datetime
    received_at: datetime | None


class TransferList(BaseModel):
    items: list[TransferPublic]
    total: int


class TransferQuery(PageQuery):
    status: Literal["in_transit", "received"] | None = None


class TransferPath(BaseModel):
    transfer_id: int = Field(ge=1, le=MAX_ID)


class MovementQuery(PageQuery):
    depot: str | None = Field(None, max_length=8)
    sku: str | None = Field(None, max_length=24)
    asset: str | None = Field(None, max_length=40, description="Serial of an asset")
    order: str | None = Field(None, max_length=20, description="Order ref")
    kind: str | None = Field(None, max_length=24)
    from_: datetime | None = Field(None, alias="from", description="At or after this time")
    to: datetime | None = Field(None, description="Before this time")


class MovementList(BaseModel):
    items: list[MovementPublic]
    total: int


class ReversalCreate(Strict):
    reason: str = Field(min_length=1, max_length=200)


class MovementPath(BaseModel):
    movement_id: int = Field(ge=1, le=MAX_ID)


class AssetPath(BaseModel):
    serial: str = Serial


class AssetEventPublic(BaseModel):
    at: datetime
    event: str
    from_state: str | None
    to_state: str | None
    depot: str | None
    order_ref: str | None
    user: str | None
    result: str | None
    note: str


class AssetPublic(BaseModel):
    serial: str
    sku: str
    item: str
    depot: str
    state: str
    order_ref: str | None
    area: str | None = Field(description="Postcode district while on loan")
    on_loan_since: datetime | None
    inspection_regime: str
    last_inspected_on: date | None
    next_inspection_due: date | None
    overdue: bool
    batch: str = Field("", description="The manufacturer's batch or lot (for recalls)")
    manufactured_on: date | None = None
    history: list[AssetEventPublic]


class AssetAction(Strict):
    action: Literal["decontaminated", "repaired", "quarantined", "scrapped", "lost"]
    note: str = Field("", max_length=300)


class InspectionCreate(Strict):
    result: Literal["pass", "fail"]
    on_fail: Literal["repair", "quarantine"] = Field("repair", description="Where a failed asset goes")
    note: str = Field("", max_length=300)
    inspected_on: Day | None = Field(None, description="Default today")


class CollectionCreate(Strict):
    depot: str = Code
    at: Moment | None = None


class BulkProcessCreate(Strict):
    depot: str = Code
    sku: str = Sku
    quantity: int = Field(ge=1, le=MAX_UNITS)
    action: Literal["decontaminated", "returned_to_stock", "scrapped", "lost"]
    from_state: Literal["available", "quarantine", "decontaminated", "repair"] | None = None
    note: str = Field("", max_length=300)


class InspectionQuery(PageQuery):
    depot: str | None = Field(None, max_length=8)
    district: str | None = Field(None, max_length=6, description="Area: postcode district (assets on loan)")
    within_days: int = Field(30, ge=0, le=366, description="Due within this many days (overdue always shown)")


class InspectionDuePublic(BaseModel):
    serial: str
    sku: str
    item: str
    regime: str
    state: str
    depot: str
    district: str | None
    order_ref: str | None
    due: date
    overdue: bool
    last_inspected_on: date | None


class InspectionDueList(BaseModel):
    items: list[InspectionDuePublic]
    total: int
