"""The audit trail: who changed or looked at what. Helpers only add rows; callers commit."""

from __future__ import annotations

from sqlmodel import Session

from equipment.models import AuditEvent


def record(
    session: Session, *, user_id: int | None, action: str, entity: str, entity_id: object, detail: str = ""
) -> None:
    session.add(
        AuditEvent(user_id=user_id, action=action, entity=entity, entity_id=str(entity_id), detail=detail[:1000])
    )
