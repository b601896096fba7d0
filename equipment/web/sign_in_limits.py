"""Limits on sign-in attempts (the login form and POST /api/v1/auth/token).

Failures are counted twice: per client address and per username. A username whose failures
reach the limit is refused (429) whatever the password, so one account cannot be guessed at.
An address whose failures reach the limit is refused only a wrong password: behind a shared
proxy or NAT other people's mistakes must not lock out someone who knows their password. Past
ten times the limit an address is refused outright, before any password is hashed.
"""

from __future__ import annotations

from functools import lru_cache

from flask import current_app, request
from limits import RateLimitItem, parse

from equipment.web.limiter import limiter

HARD_FACTOR = 10


@lru_cache(maxsize=4)
def _limits(setting: str) -> tuple[RateLimitItem, RateLimitItem]:
    """The configured limit and the hard ceiling ten times above it, parsed once per setting."""
    base = parse(setting)
    return base, type(base)(base.amount * HARD_FACTOR, base.multiples, base.namespace)


def _limit(hard: bool = False) -> RateLimitItem:
    return _limits(current_app.config["LOGIN_RATE_LIMIT"])[1 if hard else 0]


def _address() -> str:
    return request.remote_addr or "unknown"


def _name(username: str) -> str:
    return username.strip().lower()[:60]


def refused_before_checking(username: str) -> bool:
    """True when this attempt must be refused without looking at the password."""
    strategy = limiter.limiter
    return not strategy.test(_limit(), "sign-in-user", _name(username)) or not strategy.test(
        _limit(hard=True), "sign-in-address-hard", _address()
    )


def refused_after_failure(username: str) -> bool:
    """Count a wrong password; True when the address had already used up its limit (answer 429)."""
    strategy = limiter.limiter
    address_had_room = strategy.test(_limit(), "sign-in-address", _address())
    strategy.hit(_limit(), "sign-in-address", _address())
    strategy.hit(_limit(hard=True), "sign-in-address-hard", _address())
    strategy.hit(_limit(), "sign-in-user", _name(username))
    return not address_had_room
