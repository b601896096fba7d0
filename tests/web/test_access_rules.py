"""Every route declares who may use it, and the declaration is what actually happens."""

import re

import pytest

from equipment.vocabulary import Role
from equipment.web.access import PUBLIC, rule_for

ROLES = [str(r) for r in Role]


def concrete_path(rule) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "x.css" if m.group(1) == "filename" else "1", rule.rule)


def all_routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_declares_its_rule(app):
    missing = [rule.endpoint for rule in app.url_map.iter_rules() if rule_for(app, rule.endpoint) is None]
    assert missing == [], f"routes without an access rule: {missing}"


def test_walk_every_route_with_every_role_and_none(app, make):
    headers = {role: make.headers(role) for role in ROLES}
    client = app.test_client()
    problems = []
    for rule, method in all_routes(app):
        allowed = rule_for(app, rule.endpoint)
        path = concrete_path(rule)
        api = path.startswith("/api/")
        for role in [None, *ROLES]:
            kwargs = {"headers": headers[role]} if role and api else {}
            if role and not api:
                with client.session_transaction() as session:
                    session.clear()
                from tests.conftest import sign_in

                users = make.user(role)
                sign_in(client, users.username)
            elif not role:
                with client.session_transaction() as session:
                    session.clear()
            response = client.open(path, method=method, json={} if method != "GET" and api else None, **kwargs)
            status = response.status_code
            if status >= 500:
                problems.append(f"{method} {path} as {role}: {status}")
            elif allowed == PUBLIC:
                continue
            elif role is None:
                expected = 401 if api else 302
                if status != expected:
                    problems.append(f"{method} {path} anonymous: {status}, expected {expected}")
            elif role not in allowed and status != 403:
                problems.append(f"{method} {path} as {role}: {status}, expected 403")
            elif role in allowed and status in (401, 403):
                problems.append(f"{method} {path} as {role}: {status}, but the role is allowed")
    assert problems == []


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Basic abc", "Bearer"])
def test_bad_credentials_get_401_problem(client, header):
    response = client.get("/api/v1/depots", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 401
