"""problem+json answers (RFC 9457) for the API and friendly pages for people."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, render_template, request
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from equipment.errors import DomainError
from equipment.web.logs import database_error, describe_database_error

log = logging.getLogger(__name__)

PROBLEM_TYPE_BASE = "https://equipment.example/problems/"


def wants_problem_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def problem(
    status: int, title: str, detail: str = "", *, errors: list[dict[str, Any]] | None = None, slug: str | None = None
) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + (slug or str(status)),
        "title": title,
        "status": status,
        "detail": detail or title,
    }
    if errors is not None:
        body["errors"] = errors
    return Response(json.dumps(body), status=status, mimetype="application/problem+json")


def validation_problem(exc: ValidationError) -> Response:
    """The 422 for request bodies and queries that fail their pydantic model."""
    errors = []
    for err in exc.errors():
        location = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path")]
        errors.append({"field": ".".join(location) or "body", "message": err.get("msg", "invalid")})
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return problem(422, "Invalid input", detail, errors=errors, slug="invalid-input")


def domain_problem(exc: DomainError) -> Response:
    errors = [{"field": exc.field, "message": exc.detail}] if exc.field and exc.status == 422 else None
    if exc.status == 422 and errors is None:
        errors = [{"field": "body", "message": exc.detail}]
    return problem(exc.status, exc.title, exc.detail, errors=errors, slug=type(exc).__name__.lower())


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        if wants_problem_json():
            return domain_problem(exc)
        return render_template("error.html", title=exc.title, message=exc.detail), exc.status

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        if wants_problem_json():
            return problem(status, exc.name, exc.description or exc.name)
        return render_template("error.html", title=exc.name, message=exc.description), status

    @app.errorhandler(OperationalError)
    def _database_unavailable(exc: OperationalError):
        # The database restarting or unreachable is not the client's fault: 503, try again.
        log.warning("database unavailable on %s %s: %s", request.method, request.path, str(exc.orig).splitlines()[0])
        if wants_problem_json():
            response = problem(503, "Service unavailable", "The database is not answering; try again in a few seconds.")
        else:
            message = "The service cannot reach its database just now. Nothing was saved; please try again shortly."
            response = Response(render_template("error.html", title="Please try again", message=message), status=503)
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        failed = database_error(exc)
        if failed is None:
            log.exception("unhandled error on %s %s", request.method, request.path)
        else:  # its message may quote the row: personal data stays out of the log
            log.error(
                "unhandled error on %s %s\n%s", request.method, request.path, describe_database_error(exc, failed)
            )
        if wants_problem_json():
            return problem(500, "Internal error", "Something went wrong on our side; it has been logged.")
        message = "Something went wrong on our side. It has been logged; please try again."
        return render_template("error.html", title="Sorry", message=message), 500
