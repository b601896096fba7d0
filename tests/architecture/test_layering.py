"""The layers stay apart: the router knows nothing of the web or the database, the domain
knows nothing of Flask, and pages never reach into the JSON API's handlers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_OUTSIDE = ("equipment/web/", "equipment/cli/")  # the two outer layers of the application

RULES = [
    # (which files, which imports they may not use, why)
    (
        lambda path: path.startswith("routing/"),
        ("flask", "sqlmodel", "sqlalchemy", "equipment"),
        "the router is a pure library",
    ),
    (
        lambda path: path.startswith("equipment/") and not path.startswith(DOMAIN_OUTSIDE),
        ("flask", "flask_openapi3", "flask_login", "flask_wtf", "equipment.web", "equipment.cli"),
        "the domain does not know about HTTP",
    ),
    (
        lambda path: path.startswith("equipment/web/pages/"),
        ("equipment.web.api",),
        "pages use domain services, not the API's handlers",
    ),
]


def imported_modules(source: str, module: str) -> set[str]:
    """Every module a source file imports, relative imports resolved against `module`."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".")[: -node.level]
                base = ".".join([*parent, base]) if base else ".".join(parent)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def violations(path: str, source: str) -> list[str]:
    module = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    found = []
    for applies, forbidden, why in RULES:
        if not applies(path):
            continue
        for name in sorted(imported_modules(source, module)):
            if any(name == bad or name.startswith(bad + ".") for bad in forbidden):
                found.append(f"{path} imports {name}: {why}")
    return found


def python_files() -> list[str]:
    files = []
    for top in ("routing", "equipment"):
        files += [p.relative_to(ROOT).as_posix() for p in (ROOT / top).rglob("*.py") if "__pycache__" not in p.parts]
    return sorted(files)


def test_every_layer_keeps_to_its_own_imports():
    problems = [v for path in python_files() for v in violations(path, (ROOT / path).read_text())]
    assert problems == []


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("routing/solver.py", "import flask\n"),
        ("routing/problem.py", "from sqlmodel import Session\n"),
        ("routing/search.py", "from equipment.models import Van\n"),
        ("equipment/stock/transfers.py", "from flask import current_app\n"),
        ("equipment/planning/adjust.py", "from equipment.web.database import get_db\n"),
        ("equipment/orders/intake.py", "from ..web import access\n"),
        ("equipment/web/pages/orders.py", "from equipment.web.api.orders import bp\n"),
    ],
)
def test_the_check_catches_each_kind_of_breach(path, source):
    assert violations(path, source)


def test_the_outer_layers_may_use_flask():
    assert violations("equipment/web/pages/orders.py", "from flask import render_template\n") == []
    assert violations("equipment/cli/setup.py", "from flask.cli import AppGroup\n") == []
