"""Users of the system, service users (people at home) and prescribers."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from equipment.db import UTCDateTime, utcnow


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=60, unique=True)
    full_name: str = Field(default="", max_length=120)
    role: str = Field(max_length=12)
    password_hash: str = Field(max_length=256)
    van_id: int | None = Field(default=None, foreign_key="vans.id", index=True)
    # Prescribers: the record on file they order as (their own orders are theirs to see).
    prescriber_id: int | None = Field(default=None, foreign_key="prescribers.id", index=True)
    active: bool = True
    # Raised to invalidate every session and token issued before (password change, disable).
    auth_version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ServiceUser(SQLModel, table=True):
    """A person at home who receives equipment. Health data: every view is audited."""

    __tablename__ = "service_users"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, index=True)
    address: str = Field(max_length=250)
    postcode: str = Field(max_length=10, index=True)
    district: str = Field(max_length=6, index=True)
    lat: float
    lon: float
    location_source: str = Field(default="district_centroid", max_length=20)
    nhs_number: str | None = Field(default=None, max_length=10, unique=True)
    phone: str = Field(default="", max_length=30)
    email: str = Field(default="", max_length=120)
    # How the person asked to be told when the van is coming: sms, email or letter. Text and
    # e-mail need their consent; without it they get letters.
    contact_by: str = Field(default="letter", max_length=8)
    contact_consent: bool = False
    access_notes: str = Field(default="", max_length=500)
    safety_alerts: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Prescriber(SQLModel, table=True):
    """Someone who orders equipment for the people they assess, within what they may order."""

    __tablename__ = "prescribers"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    profession: str = Field(default="", max_length=60)
    organisation: str = Field(default="", max_length=120)
    team: str = Field(default="", max_length=120)
    email: str = Field(default="", max_length=120)
    phone: str = Field(default="", max_length=30)
    # Catalogue categories, separated by ";". Empty: every category.
    orderable_categories: str = Field(default="", max_length=500)
    # Categories whose orders wait for a coordinator's authorisation when this prescriber orders.
    authorisation_categories: str = Field(default="", max_length=500)


class GeocodeCacheEntry(SQLModel, table=True):
    """Answers of the geocoding provider, so one address is never asked for twice."""

    __tablename__ = "geocode_cache"

    query: str = Field(primary_key=True, max_length=300)
    lat: float
    lon: float
    fetched_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
