"""Every route declares who may use it, and the declaration is what actually happens."""

import re

import pytest

from equipment.vocabulary import Role
from equipment.web.access import PUBLIC, rule_for
from tests.conftest import sign_in

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


def expected_problem(allowed, role, api: bool, status: int) -> str | None:
    """What is wrong with `status` for `role` on a route with rule `allowed`, or None."""
    if status >= 500:
        return "server error"
    if allowed == PUBLIC:
        return None
    if role is None:
        expected = 401 if api else 302
        return None if status == expected else f"expected {expected}"
    if role not in allowed:
        return None if status == 403 else "expected 403"
    return f"refused ({status}) though the role is allowed" if status in (401, 403) else None


def test_walk_every_route_with_every_role_and_none(app, make):
    """Each role signs in once (token for the API, session for pages) and tries every route."""
    clients = {None: (app.test_client(), {})}
    for role in ROLES:
        user = make.user(role)
        client = app.test_client()
        sign_in(client, user.username)
        clients[role] = (client, {"Authorization": f"Bearer {make.token(user)}"})
    problems = []
    for rule, method in all_routes(app):
        allowed = rule_for(app, rule.endpoint)
        path = concrete_path(rule)
        api = path.startswith("/api/")
        if rule.endpoint in ("auth.logout", "api_auth.revoke_token"):
            continue  # signing out would end the walk's sessions; covered in test_auth and test_ending_access
        for role, (client, headers) in clients.items():
            response = client.open(
                path, method=method, json={} if method != "GET" and api else None, headers=headers if api else {}
            )
            problem = expected_problem(allowed, role, api, response.status_code)
            if problem:
                problems.append(f"{method} {path} as {role or 'anonymous'}: {response.status_code}, {problem}")
    assert problems == []


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Basic abc", "Bearer"])
def test_bad_credentials_get_401_problem(client, header):
    response = client.get("/api/v1/depots", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 401
