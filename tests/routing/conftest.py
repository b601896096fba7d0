"""Fixtures for the router's tests: every plan produced is checked independently."""

from __future__ import annotations

import pytest

from routing import solve_json
from routing.check import check


def line_matrix(n: int, step: int = 10) -> list[list[int]]:
    """Locations on a line, `step` apart."""
    return [[abs(i - j) * step for j in range(n)] for i in range(n)]


@pytest.fixture
def solve():
    """solve(problem, **kw) -> solution, after the independent checker found no error."""

    def run(problem: dict, *, seconds: float = 0.4, **kw) -> dict:
        sol = solve_json(problem, seconds=seconds, **kw)
        res = check(problem, sol)
        assert res["errors"] == [], res["errors"]
        assert sol["code"] == 0
        return sol

    return run


@pytest.fixture
def line():
    return line_matrix
