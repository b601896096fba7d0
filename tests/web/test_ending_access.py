"""Access that ends when it should: signing out, a new password and deactivation end every
session and token of that user at once, on the web, in the API and from the CLI (issue #15,
finding 6)."""

from __future__ import annotations

import pytest

from equipment.people import users
from equipment.web import create_app
from tests.conftest import PASSWORD, csrf_token_from, sign_in

HOME = "/"


def signed_in_client(app, user):
    client = app.test_client()
    assert sign_in(client, user.username).status_code == 302
    assert client.get(HOME).status_code == 200
    return client


def captured_cookie(client) -> str:
    return client.get_cookie("session").value


def replay(app, cookie: str):
    """A fresh client presenting a session cookie captured earlier."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get(HOME)


def token_works(client, token: str) -> bool:
    return client.get("/api/v1/depots", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def cli_process(app):
    """The app as `flask --app wsgi ...` builds it in another process: its own engine, same database."""
    return create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": app.config["SECRET_KEY"]})


@pytest.fixture
def coordinator(make):
    return make.user("coordinator")


def test_a_cookie_captured_before_logout_fails_after_it(app, make, coordinator):
    browser = signed_in_client(app, coordinator)
    cookie = captured_cookie(browser)
    token = make.token(coordinator)
    assert replay(app, cookie).status_code == 200
    logout_form = csrf_token_from(browser.get(HOME).get_data(as_text=True))
    assert browser.post("/logout", data={"csrf_token": logout_form}).status_code == 302
    assert replay(app, cookie).status_code == 302  # back to the login page
    assert not token_works(app.test_client(), token)


def test_revoking_a_token_ends_it_and_the_users_other_access(app, client, make, coordinator):
    token, other = make.token(coordinator), make.token(coordinator)
    browser = signed_in_client(app, coordinator)
    assert token_works(client, token) and token_works(client, other)
    revoked = client.delete("/api/v1/auth/token", headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 204
    assert not token_works(client, token) and not token_works(client, other)
    assert browser.get(HOME).status_code == 302
    assert client.delete("/api/v1/auth/token", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    fresh = client.post("/api/v1/auth/token", json={"username": coordinator.username, "password": PASSWORD})
    assert fresh.status_code == 200 and token_works(client, fresh.json["token"])


def test_a_new_password_ends_old_sessions_and_tokens(app, client, db, make, coordinator):
    token = make.token(coordinator)
    cookie = captured_cookie(signed_in_client(app, coordinator))
    users.change_password(db, username=coordinator.username, password="a-new-long-password", changed_by=None)
    assert not token_works(client, token)
    assert replay(app, cookie).status_code == 302
    assert (
        client.post("/api/v1/auth/token", json={"username": coordinator.username, "password": PASSWORD}).status_code
        == 401
    )
    assert (
        client.post(
            "/api/v1/auth/token", json={"username": coordinator.username, "password": "a-new-long-password"}
        ).status_code
        == 200
    )


def test_the_cli_deactivates_and_changes_passwords(app, client, db, make, coordinator):
    token = make.token(coordinator)
    cookie = captured_cookie(signed_in_client(app, coordinator))
    name = coordinator.username
    db.commit()  # reading the name took the SQLite write lock (BEGIN IMMEDIATE): let it go first
    runner = cli_process(app).test_cli_runner()
    done = runner.invoke(args=["users", "deactivate", name])
    assert done.exit_code == 0, done.output
    assert not token_works(client, token)
    assert replay(app, cookie).status_code == 302
    assert client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD}).status_code == 401
    assert runner.invoke(args=["users", "activate", name]).exit_code == 0
    changed = runner.invoke(args=["users", "password", name, "--password", "another-password-1"])
    assert changed.exit_code == 0, changed.output
    assert (
        client.post("/api/v1/auth/token", json={"username": name, "password": "another-password-1"}).status_code == 200
    )
    assert runner.invoke(args=["users", "deactivate", "nobody-by-that-name"]).exit_code != 0
    short = runner.invoke(args=["users", "password", name, "--password", "short"])
    assert short.exit_code != 0 and "at least" in short.output
