"""Domain errors. Services raise them; the web layer maps each to one HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """Base: `status` is the HTTP status the web layer answers with."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Invalid(DomainError):
    """A field's value is not acceptable (422); `field` names it."""

    status = 422
    title = "Invalid input"


class Conflict(DomainError):
    """The request is well formed but the current state does not allow it (409)."""

    status = 409
    title = "Conflict"


class OutOfStock(Conflict):
    title = "Not enough stock"


class InvalidTransition(Conflict):
    title = "Not allowed in this state"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"
