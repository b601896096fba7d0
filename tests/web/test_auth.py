"""Signing in: API tokens, the login form, CSRF, expiry and revocation."""

import time

from sqlmodel import select

from equipment.models import AuditEvent, User
from equipment.people import users
from tests.conftest import PASSWORD, csrf_token_from, sign_in


def test_token_for_right_credentials(client, make):
    make.user("clerk", username="cara")
    response = client.post("/api/v1/auth/token", json={"username": "cara", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json
    assert body["role"] == "clerk" and body["token"] and "T" in body["expires_at"]
    assert body["expires_at"].endswith("Z") or "+" in body["expires_at"]
    listed = client.get("/api/v1/depots", headers={"Authorization": f"Bearer {body['token']}"})
    assert listed.status_code == 200


def test_wrong_password_and_unknown_user_get_401(client, make):
    make.user("clerk", username="cara")
    for name, password in [("cara", "wrong-password"), ("nobody", PASSWORD)]:
        response = client.post("/api/v1/auth/token", json={"username": name, "password": password})
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"


def test_token_request_validation(client):
    assert client.post("/api/v1/auth/token", json={"username": "x"}).status_code == 422
    bad = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert bad.status_code == 400
    assert bad.json["title"] == "Bad request"
    extra = client.post("/api/v1/auth/token", json={"username": "x", "password": "y", "role": "admin"})
    assert extra.status_code == 422
    assert extra.json["errors"][0]["field"] == "role"


def test_expired_and_revoked_tokens_are_refused(client, make, db, app):
    user = make.user("coordinator")
    expired, _ = users.issue_token(user, secret_key=app.config["SECRET_KEY"], hours=-1)
    assert client.get("/api/v1/depots", headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    token = make.token(user)
    assert client.get("/api/v1/depots", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    row = db.get(User, user.id)
    row.auth_version += 1
    db.commit()
    assert client.get("/api/v1/depots", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_login_page_signs_in_and_out(client, make, db):
    make.user("officer", username="olive", full_name="Olive Officer")
    assert client.get("/").status_code == 302
    response = sign_in(client, "olive")
    assert response.status_code == 302 and response.location == "/"
    home = client.get("/")
    assert home.status_code == 200 and "Olive Officer" in home.get_data(as_text=True)
    assert len(db.exec(select(AuditEvent).where(AuditEvent.action == "signed_in")).all()) == 1
    token = csrf_token_from(home.get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_shows_message_beside_field(client, make):
    make.user("clerk", username="cara")
    response = sign_in(client, "cara", "nope-nope-nope")
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)


def test_login_form_needs_csrf(client, make):
    make.user("clerk", username="cara")
    response = client.post("/login", data={"username": "cara", "password": PASSWORD})
    assert response.status_code == 200 or response.status_code == 401
    assert client.get("/").status_code == 302  # still signed out


def test_next_parameter_never_leaves_the_site(client, make):
    make.user("clerk", username="cara")
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=https://evil.example/", data={"username": "cara", "password": PASSWORD, "csrf_token": token}
    )
    assert response.location == "/"


def test_session_cookie_flags(client, make):
    make.user("clerk", username="cara")
    response = sign_in(client, "cara")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_login_is_rate_limited(app, make):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    make.user("clerk", username="cara")
    codes = [
        client.post("/api/v1/auth/token", json={"username": "cara", "password": "wrong"}).status_code for _ in range(5)
    ]
    assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]
    time.sleep(0)


def test_session_cookie_is_secure_behind_https(engine, db, make):
    from equipment.web import create_app
    from tests.conftest import SyncedClient

    app = create_app({"ENGINE": engine, "SECRET_KEY": "k", "SESSION_COOKIE_SECURE": True, "TEST_SESSION": db})
    app.test_client_class = SyncedClient
    client = app.test_client()
    make.user("clerk", username="cara")
    response = sign_in(client, "cara")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie
    assert response.headers.get("Strict-Transport-Security")


def test_authenticated_answers_are_never_stored(client, make):
    """Every answer to a signed-in user (page or API, success or refusal) and every new token
    carries no-store; the sign-in page and static files may be cached."""
    user = make.user("coordinator", username="cora")
    token = client.post("/api/v1/auth/token", json={"username": "cora", "password": PASSWORD})
    assert token.status_code == 200 and token.headers["Cache-Control"] == "no-store"
    bearer = {"Authorization": f"Bearer {make.token(user)}"}
    for url in ("/api/v1/orders", "/api/v1/orders/EQ-404404", "/api/v1/stock/movements"):
        response = client.get(url, headers=bearer)
        assert response.status_code in (200, 403, 404) and response.headers["Cache-Control"] == "no-store", url
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    assert "no-store" not in client.get("/api/v1/orders").headers.get("Cache-Control", "")  # 401: nothing personal
    sign_in(client, "cora")
    for url in ("/", "/orders"):
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store", url
    assert "no-store" not in client.get("/static/app.css").headers.get("Cache-Control", "")


def test_a_request_sent_with_the_login_pages_cookie_cannot_sign_the_user_out(app, make):
    """A browser fetches the favicon with the login page's cookie; its reply may land after the
    sign-in's. Such a reply must not set a cookie, or it would replace the signed-in one."""
    make.user("coordinator", username="cora")
    browser = app.test_client()
    login_page = browser.get("/login")
    before_sign_in = browser.get_cookie("session").value
    sign_in(browser, "cora")

    late = app.test_client()
    late.set_cookie("session", before_sign_in)
    for path in ("/favicon.ico", "/static/app.css", "/login"):
        assert "Set-Cookie" not in late.get(path).headers, path
    assert login_page.status_code == 200
    assert browser.get("/").status_code == 200
