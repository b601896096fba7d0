"""Reading JSON request bodies: one nested too deeply to parse is a client's 400, not our 500;
a NUL character anywhere in what an API request sends is a client's 422 (PostgreSQL cannot
store or compare text holding one, and no field of ours means one)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Response, request
from flask.json.provider import DefaultJSONProvider

from equipment.web.problems import problem


class BoundedJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:
            # Flask turns a ValueError from here into 400 Bad Request.
            raise ValueError("the JSON is nested too deeply") from exc


def _nul_fields(value: Any, where: str) -> Iterator[str]:
    if isinstance(value, str):
        if "\x00" in value:
            yield where
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            if "\x00" in str(key):
                yield name
            yield from _nul_fields(item, name)
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _nul_fields(item, f"{where}.{n}" if where else str(n))


def refuse_nul_characters() -> Response | None:
    """before_request (API): 422 beside each field whose text holds a NUL character."""
    if not request.path.startswith("/api/"):
        return None
    query = {key: "".join(values) for key, values in request.args.lists()}
    fields = [*_nul_fields(request.view_args or {}, ""), *_nul_fields(query, "")]
    if request.is_json:
        fields += _nul_fields(request.get_json(silent=True), "")
    if not fields:
        return None
    errors = [{"field": field or "body", "message": "must not contain a NUL character"} for field in fields[:20]]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return problem(422, "Invalid input", detail, errors=errors, slug="invalid-input")
