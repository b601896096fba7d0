"""Sign-in limits behind a proxy: each client address and each username has its own count of
failures, and other people's failures never lock out a correct password (issue #15, finding 7)."""

from __future__ import annotations

import pytest

from equipment.web import create_app
from tests.conftest import PASSWORD, SyncedClient, csrf_token_from


@pytest.fixture
def proxied_app(engine, db):
    """The app as deployed behind the README's proxy, with a small limit to reach quickly."""
    app = create_app(
        {
            "ENGINE": engine,
            "SECRET_KEY": "k",
            "TEST_SESSION": db,
            "TRUSTED_PROXIES": 1,
            "LOGIN_RATE_LIMIT": "3 per minute",
        }
    )
    app.test_client_class = SyncedClient
    return app


def token_attempt(client, username: str, password: str, address: str) -> int:
    return client.post(
        "/api/v1/auth/token", json={"username": username, "password": password}, headers={"X-Forwarded-For": address}
    ).status_code


def test_each_client_address_behind_the_proxy_has_its_own_count(proxied_app, make):
    client = proxied_app.test_client()
    make.user("clerk", username="ann")
    make.user("clerk", username="bob")
    assert [token_attempt(client, "ann", "wrong", "10.0.0.1") for _ in range(4)] == [401, 401, 401, 429]
    assert token_attempt(client, "bob", "wrong", "10.0.0.2") == 401  # another address: its own count


def test_a_correct_password_gets_through_an_address_others_filled(proxied_app, make):
    client = proxied_app.test_client()
    for name in ("ann", "bob", "cat", "dan"):
        make.user("clerk", username=name)
    shared = "192.0.2.7"  # one NAT address for a whole office
    assert [token_attempt(client, name, "wrong", shared) for name in ("ann", "bob", "cat")] == [401, 401, 401]
    assert token_attempt(client, "dan", "still-wrong", shared) == 429
    assert token_attempt(client, "dan", PASSWORD, shared) == 200


def test_a_username_is_limited_whatever_the_address(proxied_app, make):
    client = proxied_app.test_client()
    make.user("clerk", username="eve")
    codes = [token_attempt(client, "eve", "wrong", f"198.51.100.{n}") for n in range(1, 4)]
    assert codes == [401, 401, 401]
    assert token_attempt(client, "eve", PASSWORD, "198.51.100.9") == 429  # the account is resting
    assert token_attempt(client, "EVE", "wrong", "198.51.100.10") == 429


def test_the_login_form_follows_the_same_rules(proxied_app, make):
    client = proxied_app.test_client()
    make.user("clerk", username="fay")
    make.user("clerk", username="gus")

    def form_attempt(username: str, password: str) -> int:
        page = client.get("/login", headers={"X-Forwarded-For": "203.0.113.5"})
        data = {"username": username, "password": password, "csrf_token": csrf_token_from(page.get_data(as_text=True))}
        return client.post("/login", data=data, headers={"X-Forwarded-For": "203.0.113.5"}).status_code

    assert [form_attempt("fay", "wrong") for _ in range(3)] == [401, 401, 401]
    assert form_attempt("gus", "wrong") == 429
    assert form_attempt("gus", PASSWORD) == 302
