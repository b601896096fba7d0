"""Validators for the fields of a VROOM input: each returns clean data or raises ProblemError.

`where` names the field in the input (`jobs[3].time_windows[0]`), so that the one-line error
tells the user what to fix.
"""

from __future__ import annotations

import itertools
from typing import Any

from routing.errors import ProblemError

Window = tuple[int, int]
LARGEST = 2**63 - 1  # the search keeps times, amounts and ids in 64-bit integers


def integer(value: Any, where: str, *, minimum: int | None = 0) -> int:
    """An int (or a float with an integer value), at least `minimum`, at most LARGEST in size."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProblemError(f"{where} must be an integer, got {value!r}")
    if isinstance(value, float):
        if not value.is_integer():
            raise ProblemError(f"{where} must be an integer, got {value!r}")
        value = int(value)
    if minimum is not None and value < minimum:
        raise ProblemError(f"{where} must be >= {minimum}, got {value}")
    if abs(value) > LARGEST:
        raise ProblemError(f"{where} is too large for a 64-bit integer, got {value}")
    return value


def boolean(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ProblemError(f"{where} must be true or false, got {value!r}")
    return value


def obj(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise ProblemError(f"{where} must be an object")
    return value


def array(value: Any, where: str) -> list:
    if not isinstance(value, list):
        raise ProblemError(f"{where} must be an array")
    return value


def amounts(value: Any, where: str, dims: int | None) -> tuple[int, ...]:
    """Non-negative ints, as many as the capacities' dimensions (when known)."""
    items = array(value, where)
    out = tuple(integer(x, f"{where}[{i}]") for i, x in enumerate(items))
    if dims is not None and len(out) != dims:
        raise ProblemError(f"{where} has {len(out)} dimensions but capacities have {dims}")
    return out


def windows(value: Any, where: str) -> tuple[Window, ...]:
    """A non-empty list of [start, end], sorted, none overlapping."""
    items = array(value, where)
    if not items:
        raise ProblemError(f"{where} must not be empty")
    out = []
    for i, w in enumerate(items):
        w = array(w, f"{where}[{i}]")
        if len(w) != 2:
            raise ProblemError(f"{where}[{i}] must be [start, end]")
        a, b = integer(w[0], f"{where}[{i}][0]"), integer(w[1], f"{where}[{i}][1]")
        if b < a:
            raise ProblemError(f"{where}[{i}] ends ({b}) before it starts ({a})")
        out.append((a, b))
    out.sort()
    for (_a1, b1), (a2, _b2) in itertools.pairwise(out):
        if a2 <= b1:
            raise ProblemError(f"{where} has overlapping windows")
    return tuple(out)


def skills(value: Any, where: str) -> frozenset[int]:
    return frozenset(integer(s, f"{where}[{i}]") for i, s in enumerate(array(value, where)))


def coords(value: Any, where: str) -> tuple[float, float]:
    items = array(value, where)
    if len(items) != 2 or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in items):
        raise ProblemError(f"{where} must be [lon, lat]")
    lon, lat = float(items[0]), float(items[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ProblemError(f"{where} [{lon}, {lat}] is not a valid [lon, lat]")
    return lon, lat


def priority(parent: dict, where: str) -> int:
    p = integer(parent.get("priority", 0), f"{where}.priority")
    if p > 100:
        raise ProblemError(f"{where}.priority must be between 0 and 100, got {p}")
    return p


def description(parent: dict) -> str | None:
    d = parent.get("description")
    return d if isinstance(d, str) else None
