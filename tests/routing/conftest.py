"""Fixtures for the router's tests: every plan produced is checked independently."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

_spec = importlib.util.spec_from_file_location(
    "bench_feasibility", ROOT / "bench" / "feasibility.py"
)
feasibility = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(feasibility)


def line_matrix(n: int, step: int = 10) -> list[list[int]]:
    """Locations on a line, `step` apart."""
    return [[abs(i - j) * step for j in range(n)] for i in range(n)]


@pytest.fixture
def solve():
    """solve(problem, **kw) -> solution, after the independent checker found no error."""
    from routing import solve_json

    def run(problem: dict, *, seconds: float = 0.4, **kw) -> dict:
        sol = solve_json(problem, seconds=seconds, **kw)
        res = feasibility.check(problem, sol)
        assert res["errors"] == [], res["errors"]
        assert sol["code"] == 0
        return sol

    return run


@pytest.fixture
def line():
    return line_matrix
