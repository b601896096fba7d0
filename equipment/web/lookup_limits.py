"""A limit on NHS-number look-ups that find no one, per user: a coordinator mistyping a number
or meeting a new person is untouched; someone walking the number space to learn who is on the
books is stopped."""

from __future__ import annotations

from limits import parse

from equipment.web.limiter import limiter

# A coordinator takes a few referrals an hour and most look-ups find someone. 20 misses in 10
# minutes is far beyond typing mistakes and new people, and at that pace a search of even one
# GP practice's numbers would take years. Once spent, every look-up by that user is refused
# (429), finds included, so a refusal never tells a hit from a miss.
MISSES_PER_USER = parse("20 per 10 minutes")
_NAMESPACE = "nhs-look-up-miss"


def refused(user_id: int) -> bool:
    """True when this user has used up their misses and must wait."""
    return not limiter.limiter.test(MISSES_PER_USER, _NAMESPACE, str(user_id))


def count_miss(user_id: int) -> None:
    limiter.limiter.hit(MISSES_PER_USER, _NAMESPACE, str(user_id))
