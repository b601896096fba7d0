"""The audit trail: who changed or looked at what. Helpers only add rows; callers commit."""

from __future__ import annotations

from sqlalchemy import insert
from sqlmodel import Session

from equipment.db import utcnow
from equipment.models import AuditEvent

# A Core INSERT, built once: the ORM's unit of work costs more than the row is worth.
_INSERT = insert(AuditEvent.__table__)


def record(
    session: Session, *, user_id: int | None, action: str, entity: str, entity_id: object, detail: str = ""
) -> None:
    session.exec(
        _INSERT,
        params={
            "at": utcnow(),
            "user_id": user_id,
            "action": action,
            "entity": entity,
            "entity_id": str(entity_id),
            "detail": detail[:1000],
        },
    )
