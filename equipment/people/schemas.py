"""Request and response bodies of /api/v1/users."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from equipment.limits import MAX_ID
from equipment.people.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from equipment.schemas import PageQuery, Strict
from equipment.vocabulary import Role

USERNAME_PATTERN = r"^[A-Za-z0-9._@-]{1,60}$"
Email = Annotated[str, Field(max_length=120, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="An e-mail address")]


class PrescriberNew(Strict):
    """A prescriber record to create with the user."""

    name: str = Field(min_length=1, max_length=120)
    profession: str = Field("", max_length=60)
    organisation: str = Field("", max_length=120)
    email: Email | None = None


class PrescriberPublic(BaseModel):
    id: int
    name: str
    profession: str
    organisation: str
    email: str


class UserCreate(Strict):
    username: str = Field(pattern=USERNAME_PATTERN, description="Letters, digits, . _ @ -")
    full_name: str = Field("", max_length=120)
    role: Role
    password: str = Field(
        min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH, description="Set once, never returned"
    )
    van: str | None = Field(None, max_length=12, description="Drivers: the registration of their van")
    prescriber: Email | PrescriberNew | None = Field(
        None, description="Prescribers: the e-mail of a prescriber on record, or a new record"
    )
    prescriber_id: int | None = Field(None, ge=1, le=MAX_ID, description="Or the id of a prescriber on record")


class UserChange(Strict):
    """Only the fields sent change; `van: null` or `prescriber_id: null` clears the link. A new
    role, `active: false` or a new password end the user's sessions and tokens at once."""

    full_name: str | None = Field(None, max_length=120)
    role: Role | None = None
    active: bool | None = None
    password: str | None = Field(None, min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
    van: str | None = Field(None, max_length=12)
    prescriber: Email | PrescriberNew | None = None
    prescriber_id: int | None = Field(None, ge=1, le=MAX_ID)


class UserPublic(BaseModel):
    id: int
    username: str
    full_name: str
    role: str
    active: bool
    van: str | None = Field(description="Drivers: their van's registration")
    prescriber: PrescriberPublic | None = Field(description="Prescribers: the record they order as")
    created_at: datetime


class UserList(BaseModel):
    items: list[UserPublic]
    total: int


class UserQuery(PageQuery):
    role: Role | None = None
    active: bool | None = None


class UserPath(BaseModel):
    id: int = Field(ge=1, le=MAX_ID)
