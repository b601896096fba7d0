"""GET/POST/PATCH /api/v1/users: admins manage users; passwords are never returned; changes are
audited; deactivation and new passwords end the user's tokens (issue #16, item 4)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from equipment.models import AuditEvent, Prescriber, User
from equipment.people import users
from equipment.vocabulary import Role
from tests.conftest import PASSWORD

HAS_PRESCRIBER_ROLE = "prescriber" in set(Role)


@pytest.fixture
def admin(make):
    return make.user("admin", username="the.admin")


@pytest.fixture
def auth(make, admin):
    return {"Authorization": f"Bearer {make.token(admin)}"}


@pytest.fixture
def prescriber_record(db):
    record = Prescriber(name="Shirley Hammond", profession="Occupational therapist", email="shirley@example.org")
    db.add(record)
    db.commit()
    return record


def test_only_admins_manage_users(client, make):
    for role in ("coordinator", "clerk", "driver", "officer"):
        headers = make.headers(role)
        assert client.get("/api/v1/users", headers=headers).status_code == 403
        assert client.post("/api/v1/users", json={}, headers=headers).status_code == 403
    assert client.get("/api/v1/users").status_code == 401


def test_create_a_driver_with_a_van_and_list_them(client, db, make, auth, admin):
    van = make.van(make.depot(), reg="AB12 CDE")
    body = {
        "username": "driver.new",
        "full_name": "New Driver",
        "role": "driver",
        "password": "a-long-password",
        "van": van.reg,
    }
    answer = client.post("/api/v1/users", json=body, headers=auth)
    assert answer.status_code == 201, answer.get_json()
    created = answer.get_json()
    assert created["van"] == "AB12 CDE" and created["role"] == "driver" and created["active"] is True
    assert "password" not in created and "password_hash" not in created
    listed = client.get("/api/v1/users?role=driver", headers=auth).get_json()
    assert listed["total"] == 1 and listed["items"][0]["username"] == "driver.new"
    assert users.authenticate(db, "driver.new", "a-long-password") is not None
    row = db.exec(select(User).where(User.username == "driver.new")).one()
    assert "a-long-password" not in row.password_hash
    audit = db.exec(
        select(AuditEvent).where(AuditEvent.action == "user_created", AuditEvent.entity_id == str(row.id))
    ).one()
    assert audit.user_id == admin.id and audit.entity_id == str(row.id)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "x y", "role": "clerk", "password": "a-long-password"}, "username"),
        ({"username": "ok", "role": "wizard", "password": "a-long-password"}, "role"),
        ({"username": "ok", "role": "clerk", "password": "short"}, "password"),
        ({"username": "ok", "role": "clerk", "password": "a-long-password", "van": "NO SUCH"}, "van"),
        ({"username": "ok", "role": "clerk", "password": "a-long-password", "prescriber_id": 999}, "prescriber"),
        (
            {"username": "ok", "role": "clerk", "password": "a-long-password", "prescriber": "nobody@example.org"},
            "prescriber",
        ),
        ({"username": "ok", "role": "clerk", "password": "a-long-password", "admin": True}, "admin"),
    ],
)
def test_bad_users_are_refused_beside_the_field_and_nothing_is_written(client, db, auth, body, field):
    answer = client.post("/api/v1/users", json=body, headers=auth)
    assert answer.status_code == 422, answer.get_json()
    assert answer.mimetype == "application/problem+json"
    assert field in {e["field"] for e in answer.get_json()["errors"]}
    assert db.exec(select(User).where(User.username == "ok")).first() is None


def test_only_a_prescriber_is_linked_to_a_prescriber_record(client, auth, prescriber_record):
    body = {
        "username": "clerk.x",
        "role": "clerk",
        "password": "a-long-password",
        "prescriber_id": prescriber_record.id,
    }
    answer = client.post("/api/v1/users", json=body, headers=auth)
    assert answer.status_code == 422
    assert answer.get_json()["errors"][0]["field"] == "prescriber"


def test_a_taken_username_is_a_conflict(client, auth, make):
    make.user("clerk", username="taken")
    body = {"username": "taken", "role": "clerk", "password": "a-long-password"}
    answer = client.post("/api/v1/users", json=body, headers=auth)
    assert answer.status_code == 409


@pytest.mark.skipif(not HAS_PRESCRIBER_ROLE, reason="the prescriber role comes with the prescriber pages")
def test_a_prescriber_is_linked_by_email_or_to_a_new_record(client, db, auth, prescriber_record):
    by_email = {
        "username": "ot.one",
        "role": "prescriber",
        "password": "a-long-password",
        "prescriber": "SHIRLEY@example.org",
    }
    answer = client.post("/api/v1/users", json=by_email, headers=auth)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["prescriber"]["id"] == prescriber_record.id
    new = {"name": "Ann Other", "profession": "Physiotherapist", "organisation": "ESNEFT", "email": "ann@example.org"}
    answer = client.post(
        "/api/v1/users",
        json={"username": "ot.two", "role": "prescriber", "password": "a-long-password", "prescriber": new},
        headers=auth,
    )
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["prescriber"]["name"] == "Ann Other"
    assert db.exec(select(Prescriber).where(Prescriber.email == "ann@example.org")).one()
    unlinked = {"username": "ot.three", "role": "prescriber", "password": "a-long-password"}
    assert client.post("/api/v1/users", json=unlinked, headers=auth).status_code == 422


def test_deactivating_ends_the_users_tokens_and_is_audited(client, db, make, auth, admin):
    clerk = make.user("clerk")
    token = make.token(clerk)
    clerk_auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/depots", headers=clerk_auth).status_code == 200
    answer = client.patch(f"/api/v1/users/{clerk.id}", json={"active": False}, headers=auth)
    assert answer.status_code == 200 and answer.get_json()["active"] is False
    assert client.get("/api/v1/depots", headers=clerk_auth).status_code == 401
    assert users.authenticate(db, clerk.username, PASSWORD) is None
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "deactivated")).one().user_id == admin.id
    answer = client.patch(f"/api/v1/users/{clerk.id}", json={"active": True}, headers=auth)
    assert answer.get_json()["active"] is True
    assert users.authenticate(db, clerk.username, PASSWORD) is not None
    assert client.get("/api/v1/depots", headers=clerk_auth).status_code == 401  # old tokens stay dead


def test_a_new_password_ends_old_tokens_and_is_never_returned(client, db, make, auth):
    clerk = make.user("clerk")
    clerk_auth = {"Authorization": f"Bearer {make.token(clerk)}"}
    answer = client.patch(f"/api/v1/users/{clerk.id}", json={"password": "another-password"}, headers=auth)
    assert answer.status_code == 200 and "another-password" not in answer.get_data(as_text=True)
    assert client.get("/api/v1/depots", headers=clerk_auth).status_code == 401
    assert users.authenticate(db, clerk.username, "another-password") is not None
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "password_changed")).one()


def test_changing_role_and_van(client, db, make, auth):
    van = make.van(make.depot(), reg="VA11 AAA")
    clerk = make.user("clerk")
    answer = client.patch(f"/api/v1/users/{clerk.id}", json={"van": van.reg}, headers=auth)
    assert answer.status_code == 422 and answer.get_json()["errors"][0]["field"] == "van"
    answer = client.patch(f"/api/v1/users/{clerk.id}", json={"role": "driver", "van": van.reg}, headers=auth)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["van"] == "VA11 AAA" and answer.get_json()["role"] == "driver"
    answer = client.patch(f"/api/v1/users/{clerk.id}", json={"role": "officer"}, headers=auth)
    assert answer.get_json()["van"] is None  # only drivers keep a van
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "user_changed")).all()


def test_an_admin_cannot_lock_themself_out(client, auth, admin):
    assert client.patch(f"/api/v1/users/{admin.id}", json={"active": False}, headers=auth).status_code == 409
    assert client.patch(f"/api/v1/users/{admin.id}", json={"role": "clerk"}, headers=auth).status_code == 409
    assert client.patch("/api/v1/users/999999", json={"active": False}, headers=auth).status_code == 404
