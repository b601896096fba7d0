"""Admins manage users: list, create (a driver's van, a prescriber's record), change role or
links, deactivate and reactivate, reset a password. Every change is audited; a password is
never stored or logged in clear."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from equipment import audit
from equipment.db import use_case
from equipment.errors import Conflict, Invalid, NotFound
from equipment.models import Prescriber, User, Van
from equipment.people import users
from equipment.vocabulary import Role

# The role that orders as a prescriber on record (added to Role with the prescriber pages).
PRESCRIBER_ROLE = "prescriber"
DRIVER_ROLE = Role.DRIVER.value
UNCHANGED = object()  # a field a change leaves as it is (None means "clear it")
RESET_PASSWORD_BYTES = 12  # 16 URL-safe characters: typed once by the user, then changed or kept


@dataclass(frozen=True)
class NewPrescriber:
    """A prescriber record made with the user who orders as them."""

    name: str
    profession: str = ""
    organisation: str = ""
    email: str = ""


@dataclass(frozen=True)
class UserRow:
    user: User
    van_reg: str | None
    prescriber: Prescriber | None


def list_users(
    session: Session, *, role: str | None = None, active: bool | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[UserRow], int]:
    """Users by username, filtered by role and whether they are active, and how many match."""
    query = select(User)
    if role:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active == active)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    found = session.exec(query.order_by(User.username).limit(limit).offset(offset)).all()
    vans = {v.id: v.reg for v in session.exec(select(Van))}
    ids = {u.prescriber_id for u in found if u.prescriber_id}
    prescribers = {p.id: p for p in session.exec(select(Prescriber).where(Prescriber.id.in_(ids)))} if ids else {}
    rows = [UserRow(u, vans.get(u.van_id), prescribers.get(u.prescriber_id)) for u in found]
    return rows, total


def user_row(session: Session, user_id: int) -> UserRow:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user {user_id}", field="user")
    van = session.get(Van, user.van_id) if user.van_id else None
    prescriber = session.get(Prescriber, user.prescriber_id) if user.prescriber_id else None
    return UserRow(user, van.reg if van else None, prescriber)


def list_prescribers(session: Session) -> list[Prescriber]:
    """The prescribers on record, by name (for pickers)."""
    return list(session.exec(select(Prescriber).order_by(Prescriber.name, Prescriber.id)))


def prescriber_id_for(
    session: Session,
    *,
    prescriber_id: int | None = None,
    email: str | None = None,
    new: NewPrescriber | None = None,
    field: str = "prescriber",
) -> int | None:
    """The id of the prescriber record named by id or e-mail, or of a new record; None for none."""
    if prescriber_id is not None:
        if session.get(Prescriber, prescriber_id) is None:
            raise Invalid("No prescriber on record with this id", field=field)
        return prescriber_id
    if email:
        found = session.exec(
            select(Prescriber.id).where(func.lower(Prescriber.email) == email.strip().lower()).order_by(Prescriber.id)
        ).first()
        if found is None:
            raise Invalid("No prescriber on record with this e-mail address", field=field)
        return found
    if new is not None:
        return _new_prescriber(session, new, field)
    return None


def _new_prescriber(session: Session, new: NewPrescriber, field: str) -> int:
    name = " ".join(new.name.split())
    if not name:
        raise Invalid("Enter the prescriber's name", field=f"{field}.name")
    email = new.email.strip()
    if email and session.exec(select(Prescriber.id).where(func.lower(Prescriber.email) == email.lower())).first():
        raise Conflict("A prescriber with this e-mail address is on record: choose them instead", field=field)
    record = Prescriber(
        name=name, profession=new.profession.strip(), organisation=new.organisation.strip(), email=email
    )
    session.add(record)
    session.flush()
    return record.id


@use_case
def add_user(
    session: Session,
    *,
    username: str,
    role: str,
    password: str,
    full_name: str = "",
    van_reg: str | None = None,
    prescriber_id: int | None = None,
    prescriber_email: str | None = None,
    new_prescriber: NewPrescriber | None = None,
    created_by: int | None = None,
) -> User:
    """A new user; a driver may have a van, a prescriber must be linked to a prescriber record."""
    if role not in set(Role):
        raise Invalid("Choose one of the roles listed", field="role")
    linked = prescriber_id_for(session, prescriber_id=prescriber_id, email=prescriber_email, new=new_prescriber)
    _check_prescriber_link(role, linked)
    return users.create_user(
        session,
        username=username,
        role=role,
        password=password,
        full_name=full_name.strip(),
        van_reg=van_reg or None,
        prescriber_id=linked,
        created_by=created_by,
    )


def _check_prescriber_link(role: str, prescriber_id: int | None) -> None:
    if role == PRESCRIBER_ROLE and prescriber_id is None:
        raise Invalid("A prescriber must be linked to a prescriber on record", field="prescriber")
    if role != PRESCRIBER_ROLE and prescriber_id is not None:
        raise Invalid("Only a prescriber can be linked to a prescriber record", field="prescriber")


@use_case
def change_user(
    session: Session,
    *,
    user_id: int,
    changed_by: int | None,
    full_name: object = UNCHANGED,
    role: object = UNCHANGED,
    van_reg: object = UNCHANGED,
    prescriber_link: dict | object = UNCHANGED,
    active: object = UNCHANGED,
    password: object = UNCHANGED,
) -> User:
    """Change what is given (`prescriber_link`: prescriber_id_for's arguments, all None to
    unlink); a new role, deactivation or a new password end the user's sessions
    and tokens at once. An admin cannot take away their own role or access."""
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound(f"No user {user_id}", field="user")
    changed: list[str] = []
    if full_name is not UNCHANGED and full_name != user.full_name:
        user.full_name = str(full_name).strip()[:120]
        changed.append("name")
    if role is not UNCHANGED and role != user.role:
        _change_role(user, str(role), changed_by, changed)
    if van_reg is not UNCHANGED:
        _change_van(session, user, van_reg, changed)
    if isinstance(prescriber_link, dict):
        prescriber_id = prescriber_id_for(session, **prescriber_link)
        if prescriber_id != user.prescriber_id:
            user.prescriber_id = prescriber_id
            changed.append("prescriber")
    _check_links(user)
    if password is not UNCHANGED:
        users.set_password(session, user, str(password), changed_by=changed_by)
    if changed:
        session.add(user)
        audit.record(
            session,
            user_id=changed_by,
            action="user_changed",
            entity="user",
            entity_id=user.id,
            detail=", ".join(changed),
        )
    if active is not UNCHANGED and bool(active) != user.active:
        if not active and user.id == changed_by:
            raise Conflict("You cannot deactivate yourself", field="active")
        users.set_active(session, username=user.username, active=bool(active), changed_by=changed_by)
    session.flush()
    return user


def _change_role(user: User, role: str, changed_by: int | None, changed: list[str]) -> None:
    if role not in set(Role):
        raise Invalid("Choose one of the roles listed", field="role")
    if user.id == changed_by:
        raise Conflict("You cannot change your own role", field="role")
    user.role = role
    if role != DRIVER_ROLE:
        user.van_id = None
    if role != PRESCRIBER_ROLE:
        user.prescriber_id = None
    user.auth_version += 1  # what they may see changed: sign in again
    changed.append(f"role {role}")


def _change_van(session: Session, user: User, van_reg: object, changed: list[str]) -> None:
    van_id = None
    if van_reg:
        van = session.exec(select(Van).where(Van.reg == str(van_reg).strip().upper())).first()
        if van is None:
            raise Invalid("No van with this registration", field="van")
        van_id = van.id
    if van_id != user.van_id:
        user.van_id = van_id
        changed.append("van")


def _check_links(user: User) -> None:
    if user.van_id is not None and user.role != DRIVER_ROLE:
        raise Invalid("Only a driver can be given a van", field="van")
    _check_prescriber_link(user.role, user.prescriber_id)


@use_case
def reset_password(session: Session, *, user_id: int, changed_by: int | None) -> tuple[User, str]:
    """A new random password for the user, to be shown once to the admin and never again; the
    user's sessions and tokens end."""
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound(f"No user {user_id}", field="user")
    password = secrets.token_urlsafe(RESET_PASSWORD_BYTES)
    users.set_password(session, user, password, changed_by=changed_by, action="password_reset")
    return user, password
