"""Depots, postcode districts and the catalogue of equipment."""

from __future__ import annotations

from sqlmodel import Field, SQLModel, UniqueConstraint


class Depot(SQLModel, table=True):
    __tablename__ = "depots"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=8, unique=True)
    name: str = Field(max_length=80)
    address: str = Field(max_length=200)
    postcode: str = Field(max_length=10)
    lat: float
    lon: float


class PostcodeDistrict(SQLModel, table=True):
    __tablename__ = "postcode_districts"

    district: str = Field(primary_key=True, max_length=6)
    town: str = Field(max_length=80)
    lat: float
    lon: float
    depot_id: int = Field(foreign_key="depots.id", index=True)


class Item(SQLModel, table=True):
    """A catalogue line: serialised (each unit an asset) or bulk (counted)."""

    __tablename__ = "items"

    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(max_length=24, unique=True)
    name: str = Field(max_length=120)
    category: str = Field(max_length=40, index=True)
    serialised: bool
    volume: int = Field(ge=0)
    bed_slots: int = Field(default=0, ge=0)
    hoist_slots: int = Field(default=0, ge=0)
    skills: str = Field(default="", max_length=80)  # space-separated
    install_minutes: int = Field(default=0, ge=0)
    returnable: bool = True
    needs_authorisation: bool = False
    inspection_regime: str = Field(default="none", max_length=20)
    unit_cost_pence: int = Field(default=0, ge=0)
    min_level: int = Field(default=0, ge=0)


class StockMinimum(SQLModel, table=True):
    """Low-stock warning level for one item at one depot."""

    __tablename__ = "stock_minimums"
    __table_args__ = (UniqueConstraint("depot_id", "item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    depot_id: int = Field(foreign_key="depots.id")
    item_id: int = Field(foreign_key="items.id")
    minimum: int = Field(ge=0)
