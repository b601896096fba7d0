"""Users of the system: creation, password checks and API tokens."""

from __future__ import annotations

import functools
import re
import secrets
import time
from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import bindparam
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from equipment import audit
from equipment.db import use_case
from equipment.errors import Conflict, Invalid, NotFound
from equipment.models import User, Van
from equipment.vocabulary import Role

USERNAME = re.compile(r"[A-Za-z0-9._@-]{1,60}")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200  # what the sign-in form and the token request take
PASSWORD_HASH_METHOD = "scrypt"  # werkzeug's default; the test suite lowers the cost
UNUSABLE_PREFIX = "!"  # a stored hash starting with this never matches: the account has no password yet
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_HASH_METHOD)


def unusable_password() -> str:
    return UNUSABLE_PREFIX + secrets.token_hex(16)


@use_case
def create_user(
    session: Session,
    *,
    username: str,
    role: str,
    password: str,
    full_name: str = "",
    van_reg: str | None = None,
    prescriber_id: int | None = None,
    created_by: int | None = None,
) -> User:
    """Add a user with a hashed password; a driver may be given their van, a prescriber their
    record (checked by people.accounts)."""
    username = username.strip()
    if not USERNAME.fullmatch(username):
        raise Invalid("A username is 1 to 60 letters, digits, dots, dashes, underscores or @", field="username")
    if role not in set(Role):
        raise Invalid(f"Choose a role: {', '.join(Role)}", field="role")
    _checked_password(password)
    if session.exec(select(User).where(User.username == username)).first():
        raise Conflict(f"The username {username!r} is taken", field="username")
    van_id = None
    if van_reg:
        if role != Role.DRIVER:
            raise Invalid("Only a driver can be given a van", field="van")
        van = session.exec(select(Van).where(Van.reg == van_reg)).first()
        if van is None:
            raise Invalid(f"No van with registration {van_reg!r}", field="van")
        van_id = van.id
    user = User(
        username=username,
        role=role,
        full_name=full_name,
        password_hash=hash_password(password),
        van_id=van_id,
        prescriber_id=prescriber_id,
    )
    session.add(user)
    session.flush()
    audit.record(session, user_id=created_by, action="user_created", entity="user", entity_id=user.id, detail=role)
    return user


def _checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"A password needs at least {MIN_PASSWORD_LENGTH} characters", field="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Invalid(f"A password can be at most {MAX_PASSWORD_LENGTH} characters", field="password")
    return password


def _by_name(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username).with_for_update()).first()
    if user is None:
        raise NotFound(f"no user {username!r}", field="username")
    return user


def _end_access(user: User) -> None:
    # Sessions and tokens carry the version they were issued under; a new one refuses them all.
    user.auth_version += 1


@use_case
def end_sessions(session: Session, *, user_id: int) -> None:
    """Sign a user out everywhere: every session and API token issued to them stops working."""
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound(f"no user {user_id}", field="user")
    _end_access(user)
    session.add(user)
    audit.record(session, user_id=user_id, action="signed_out", entity="user", entity_id=user_id)


@use_case
def change_password(session: Session, *, username: str, password: str, changed_by: int | None) -> User:
    """Set a new password; the user's sessions and tokens from before end at once."""
    user = _by_name(session, username)
    set_password(session, user, password, changed_by=changed_by)
    return user


def set_password(
    session: Session, user: User, password: str, *, changed_by: int | None, action: str = "password_changed"
) -> None:
    """Store the new password's hash and end the user's sessions and tokens (flushes only)."""
    user.password_hash = hash_password(_checked_password(password))
    _end_access(user)
    session.add(user)
    session.flush()
    audit.record(session, user_id=changed_by, action=action, entity="user", entity_id=user.id)


@use_case
def set_active(session: Session, *, username: str, active: bool, changed_by: int | None) -> User:
    """Deactivate a user (their sessions and tokens end at once, they cannot sign in) or reactivate."""
    user = _by_name(session, username)
    if user.active != active:
        user.active = active
        if not active:
            _end_access(user)
        session.add(user)
        audit.record(
            session,
            user_id=changed_by,
            action="activated" if active else "deactivated",
            entity="user",
            entity_id=user.id,
        )
    return user


@use_case
def record_sign_in(session: Session, *, user_id: int) -> None:
    """A successful sign-in goes to the audit trail."""
    audit.record(session, user_id=user_id, action="signed_in", entity="user", entity_id=user_id)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or not user.active or user.password_hash.startswith(UNUSABLE_PREFIX):
        # Checked anyway, so a wrong name costs as long as a wrong password.
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


@functools.lru_cache(maxsize=8)
def _token_serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="api-token")


# Built once: every API request runs it.
_USER_BY_ID = select(User).where(User.id == bindparam("user_id"))


def issue_token(user: User, *, secret_key: str, hours: float) -> tuple[str, datetime]:
    """A signed bearer token for the API that expires after `hours`."""
    expires = int(time.time() + hours * 3600)
    token = _token_serializer(secret_key).dumps({"u": user.id, "v": user.auth_version, "e": expires})
    return token, datetime.fromtimestamp(expires, UTC)


def user_from_token(session: Session, token: str, *, secret_key: str) -> User | None:
    """The user a token belongs to, or None when it is forged, expired or revoked."""
    try:
        payload = _token_serializer(secret_key).loads(token)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("e", 0) < time.time():
        return None
    user = session.exec(_USER_BY_ID, params={"user_id": payload.get("u")}).first()
    if user is None or not user.active or user.auth_version != payload.get("v"):
        return None
    return user
