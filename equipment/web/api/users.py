"""/api/v1/users (admins): list, create, change, deactivate; /api/v1/prescribers to link them."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from equipment.models import Prescriber
from equipment.people import accounts
from equipment.people.schemas import (
    PrescriberNew,
    PrescriberPublic,
    UserChange,
    UserCreate,
    UserList,
    UserPath,
    UserPublic,
    UserQuery,
)
from equipment.schemas import Problem
from equipment.vocabulary import Role
from equipment.web.access import allow, current_principal
from equipment.web.database import get_db

bp = APIBlueprint("api_users", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="users")])
ERRORS = {401: Problem, 403: Problem, 422: Problem}


def prescriber_public(p: Prescriber) -> PrescriberPublic:
    return PrescriberPublic(id=p.id, name=p.name, profession=p.profession, organisation=p.organisation, email=p.email)


def user_public(row: accounts.UserRow) -> UserPublic:
    u = row.user
    return UserPublic(
        id=u.id,
        username=u.username,
        full_name=u.full_name,
        role=u.role,
        active=u.active,
        van=row.van_reg,
        prescriber=prescriber_public(row.prescriber) if row.prescriber else None,
        created_at=u.created_at,
    )


def _prescriber_arguments(prescriber: str | PrescriberNew | None, prescriber_id: int | None) -> dict[str, Any]:
    if isinstance(prescriber, PrescriberNew):
        new = accounts.NewPrescriber(
            name=prescriber.name,
            profession=prescriber.profession,
            organisation=prescriber.organisation,
            email=prescriber.email or "",
        )
        return {"new": new}
    return {"email": prescriber, "prescriber_id": prescriber_id}


@bp.get("/users", responses={200: UserList, **ERRORS})
@allow(Role.ADMIN)
def list_users(query: UserQuery):
    """Users by username, filtered by role and whether they are active."""
    rows, total = accounts.list_users(
        get_db(), role=query.role, active=query.active, limit=query.limit, offset=query.offset
    )
    return UserList(items=[user_public(r) for r in rows], total=total).model_dump(mode="json")


@bp.post("/users", responses={201: UserPublic, 409: Problem, **ERRORS})
@allow(Role.ADMIN)
def create_user(body: UserCreate):
    """A new user: a driver may be given a van; a prescriber is linked to a prescriber on record
    (by `prescriber` e-mail or `prescriber_id`) or to a new record. The password is never returned."""
    link = _prescriber_arguments(body.prescriber, body.prescriber_id)
    user = accounts.add_user(
        get_db(),
        username=body.username,
        role=body.role,
        password=body.password,
        full_name=body.full_name,
        van_reg=body.van,
        prescriber_id=link.get("prescriber_id"),
        prescriber_email=link.get("email"),
        new_prescriber=link.get("new"),
        created_by=current_principal().id,
    )
    return user_public(accounts.user_row(get_db(), user.id)).model_dump(mode="json"), 201


@bp.get("/users/<int:id>", responses={200: UserPublic, 404: Problem, **ERRORS})
@allow(Role.ADMIN)
def get_user(path: UserPath):
    """One user."""
    return user_public(accounts.user_row(get_db(), path.id)).model_dump(mode="json")


@bp.patch("/users/<int:id>", responses={200: UserPublic, 404: Problem, 409: Problem, **ERRORS})
@allow(Role.ADMIN)
def change_user(path: UserPath, body: UserChange):
    """Change a user's name, role, van or prescriber link, deactivate or reactivate them, or set
    a new password. Deactivating, a new role or a new password end their sessions and tokens."""
    sent = body.model_fields_set
    changes: dict[str, Any] = {
        name: getattr(body, name)
        for name in ("full_name", "role", "active", "password")
        if name in sent and getattr(body, name) is not None
    }
    if "van" in sent:
        changes["van_reg"] = body.van
    if "prescriber" in sent or "prescriber_id" in sent:
        changes["prescriber_link"] = _prescriber_arguments(body.prescriber, body.prescriber_id)
    user = accounts.change_user(get_db(), user_id=path.id, changed_by=current_principal().id, **changes)
    return user_public(accounts.user_row(get_db(), user.id)).model_dump(mode="json")
