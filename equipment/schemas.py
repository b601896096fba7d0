"""Request and response bodies of the JSON API, separate from the tables."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from equipment.limits import EARLIEST_DAY, LATEST_DAY


def _plausible_day(value: date) -> date:
    if value < EARLIEST_DAY:
        raise ValueError(f"is too far in the past: the earliest is {EARLIEST_DAY.isoformat()}")
    if value > LATEST_DAY:
        raise ValueError(f"is too far in the future: the latest is {LATEST_DAY.isoformat()}")
    return value


def _plausible_moment(value: datetime) -> datetime:
    _plausible_day(value.date())
    if value.tzinfo is not None:
        _plausible_day(value.astimezone(UTC).date())  # the offset cannot carry it out of range
    return value


Day = Annotated[date, AfterValidator(_plausible_day)]
Moment = Annotated[datetime, AfterValidator(_plausible_moment)]


class Strict(BaseModel):
    """Bodies refuse fields they do not know, so a typo is an error rather than ignored."""

    model_config = ConfigDict(extra="forbid")


class PageQuery(BaseModel):
    limit: int = Field(100, ge=1, le=1000, description="How many items to return (at most 1000)")
    offset: int = Field(0, ge=0, le=2**31 - 1, description="How many items to skip")


class TokenRequest(Strict):
    username: str = Field(min_length=1, max_length=60)
    password: str = Field(min_length=1, max_length=200)


class TokenPublic(BaseModel):
    token: str
    role: str
    expires_at: datetime


class Location(BaseModel):
    lat: float
    lon: float


class DepotPublic(BaseModel):
    code: str
    name: str
    address: str
    postcode: str
    location: Location


class DepotList(BaseModel):
    items: list[DepotPublic]
    total: int


class ItemPublic(BaseModel):
    sku: str
    name: str
    category: str
    serialised: bool
    volume: int
    bed_slots: int
    hoist_slots: int
    skills: list[str]
    install_minutes: int
    returnable: bool
    needs_authorisation: bool
    inspection_regime: str


class ItemList(BaseModel):
    items: list[ItemPublic]
    total: int


class ItemQuery(PageQuery):
    q: str | None = Field(None, max_length=100, description="Words in the SKU, name or category")
    category: str | None = Field(None, max_length=40)


class Health(BaseModel):
    status: str
    database: str


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict] | None = None
