"""Reading JSON request bodies: one nested too deeply to parse is a client's 400, not our 500."""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider


class BoundedJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:
            # Flask turns a ValueError from here into 400 Bad Request.
            raise ValueError("the JSON is nested too deeply") from exc
