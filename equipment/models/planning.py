"""Plans of a service day, their routes and stops, and what drivers record at each stop."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, UniqueConstraint

from equipment.db import UTCDateTime, utcnow

# At most one plan of a day and depot set is queued or running (revision 0006_planning_due_times).
PLAN_RUNNING = sa.text("status IN ('queued', 'running')")


class Plan(SQLModel, table=True):
    __tablename__ = "plans"
    __table_args__ = (
        sa.Index(
            "ux_plans_one_running",
            "service_date",
            "depots",
            unique=True,
            sqlite_where=PLAN_RUNNING,
            postgresql_where=PLAN_RUNNING,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    service_date: date = Field(index=True)
    depots: str = Field(default="", max_length=60)  # space-separated depot codes; empty = all
    status: str = Field(default="queued", max_length=10)
    progress: float = 0.0
    best_cost: int | None = None
    seconds: float = 30.0
    error: str = Field(default="", max_length=1000)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_by: int | None = Field(default=None, foreign_key="users.id")
    # What the worker does with it: "plan" the day, or "reoptimise" its unlocked routes.
    job: str = Field(default="plan", max_length=12, sa_column_kwargs={"server_default": "plan"})
    job_seconds: float | None = None  # the re-optimising budget


class PlanProblem(SQLModel, table=True):
    """The routing problem a plan was solved from, as gzipped VROOM JSON (GET /plans/{id}/problem)."""

    __tablename__ = "plan_problems"

    plan_id: int = Field(foreign_key="plans.id", primary_key=True)
    body: bytes = Field(sa_type=sa.LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Route(SQLModel, table=True):
    __tablename__ = "routes"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plans.id", index=True)
    van_id: int = Field(foreign_key="vans.id", index=True)
    driver_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    start_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    end_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    distance_m: int = 0
    travel_s: int = 0
    volume_loaded: int = 0
    locked: bool = False
    loaded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Stop(SQLModel, table=True):
    """One visit: a stop may serve several orders at the same address."""

    __tablename__ = "stops"

    id: int | None = Field(default=None, primary_key=True)
    route_id: int = Field(foreign_key="routes.id", index=True)
    sequence: int
    service_user_id: int = Field(foreign_key="service_users.id")
    lat: float
    lon: float
    eta: datetime = Field(sa_type=UTCDateTime)
    service_minutes: int = 0
    late: bool = False  # made late by the plan: after a due time that fell on the service day
    status: str = Field(default="pending", max_length=12)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the earliest of its orders'
    overdue: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})  # due before the day
    late_by_minutes: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class StopOrder(SQLModel, table=True):
    __tablename__ = "stop_orders"
    __table_args__ = (UniqueConstraint("stop_id", "order_id"),)

    id: int | None = Field(default=None, primary_key=True)
    stop_id: int = Field(foreign_key="stops.id", index=True)
    order_id: int = Field(foreign_key="orders.id", index=True)


class Unplanned(SQLModel, table=True):
    """An order a plan could not place, with the reason."""

    __tablename__ = "unplanned"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plans.id", index=True)
    order_id: int = Field(foreign_key="orders.id")
    reason: str = Field(max_length=200)


class Outcome(SQLModel, table=True):
    """What the driver recorded at a stop for one order (append-only)."""

    __tablename__ = "outcomes"

    id: int | None = Field(default=None, primary_key=True)
    stop_id: int = Field(foreign_key="stops.id", index=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    status: str = Field(max_length=12)
    reason: str | None = Field(default=None, max_length=30)
    recipient: str = Field(default="", max_length=120)
    serials: str = Field(default="", max_length=1000)
    at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: int | None = Field(default=None, foreign_key="users.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
