"""Writes a phone may retry: the answer to a request sent with an Idempotency-Key is kept in the
same transaction as its effect, so a retry replays it instead of acting twice."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from equipment.errors import Conflict, Invalid
from equipment.models import IdempotentRequest

MAX_KEY_LENGTH = 100


@dataclass(frozen=True)
class Request:
    """Who sent what under a key: a retry must match all of it."""

    key: str
    user_id: int
    method: str
    path: str
    body_hash: str


def body_hash(body: Any) -> str:
    """The fingerprint of a request body: its canonical JSON, so key order and spacing do not matter."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def checked_key(key: str) -> str:
    if len(key) > MAX_KEY_LENGTH:
        raise Invalid(f"Idempotency-Key is at most {MAX_KEY_LENGTH} characters", field="Idempotency-Key")
    return key


def stored_answer(session: Session, request: Request) -> tuple[int, dict] | None:
    """(status, body) first given under this key, None when the key is new; 409 when the key was
    used for a different request."""
    row = session.get(IdempotentRequest, request.key)
    if row is None:
        return None
    if (row.user_id, row.method, row.path, row.body_hash) != (
        request.user_id,
        request.method,
        request.path,
        request.body_hash,
    ):
        raise Conflict("this Idempotency-Key was already used for a different request", field="Idempotency-Key")
    return row.status_code, json.loads(row.response_body)


def remember(session: Session, request: Request, *, status: int, body: dict) -> None:
    """Keep the answer in the caller's transaction; a twin request with the same key fails at
    this flush, before anything is committed."""
    session.add(
        IdempotentRequest(
            key=request.key,
            user_id=request.user_id,
            method=request.method,
            path=request.path,
            body_hash=request.body_hash,
            status_code=status,
            response_body=json.dumps(body),
        )
    )
    session.flush()
