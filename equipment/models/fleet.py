"""Vans, their crews' skills and shifts."""

from __future__ import annotations

from datetime import date, time

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, UniqueConstraint


class Van(SQLModel, table=True):
    __tablename__ = "vans"

    id: int | None = Field(default=None, primary_key=True)
    reg: str = Field(max_length=12, unique=True)
    name: str = Field(default="", max_length=60)
    depot_id: int = Field(foreign_key="depots.id", index=True)
    volume_capacity: int = Field(ge=0)
    bed_slots: int = Field(default=0, ge=0)
    hoist_slots: int = Field(default=0, ge=0)
    skills: str = Field(default="", max_length=80)  # the crew's skills, space-separated
    shift_start: time
    shift_end: time
    lunch_from: time
    lunch_to: time
    lunch_minutes: int = 30
    active: bool = True
    # A separate dirty compartment: without one, collections come after the last delivery.
    segregated: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})


class VanAbsence(SQLModel, table=True):
    """A day a van is off the road (servicing, no crew)."""

    __tablename__ = "van_absences"
    __table_args__ = (UniqueConstraint("van_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    van_id: int = Field(foreign_key="vans.id")
    day: date
    reason: str = Field(default="", max_length=120)
