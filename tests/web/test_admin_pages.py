"""The admin's pages: users (create, change, deactivate, reset a password), and read-only depots,
vans and catalogue; every link the admin's home page shows answers (issue #16, item 4)."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from equipment.models import AuditEvent, User
from equipment.people import users
from tests.conftest import PASSWORD, post_form, sign_in

NEW_USER = {
    "username": "clerk.new",
    "full_name": "New Clerk",
    "role": "clerk",
    "password": "first-password",
    "van": "",
    "prescriber_id": "",
    "p_name": "",
    "p_profession": "",
    "p_organisation": "",
    "p_email": "",
}


@pytest.fixture
def admin(client, make):
    user = make.user("admin", username="the.admin")
    sign_in(client, user.username)
    return user


def test_every_link_on_the_admins_home_page_answers(client, make, admin):
    make.van(make.depot(), reg="AB12 CDE")
    make.item("BED-1", name="Profiling bed")
    home = client.get("/").get_data(as_text=True)
    for label in ("Users", "Depots", "Vans", "Catalogue"):
        assert f">{label}</a>" in home
    links = set(re.findall(r'href="(/[^"]*)"', home)) - {"/api/v1/docs"}
    assert "/admin/users" in links and "/admin/catalogue" in links
    for link in links:
        assert client.get(link).status_code == 200, link
    assert "AB12 CDE" in client.get("/admin/vans").get_data(as_text=True)
    assert "Profiling bed" in client.get("/admin/catalogue?q=bed").get_data(as_text=True)


def test_admin_pages_are_for_admins_only(client, make):
    coordinator = make.user("coordinator")
    sign_in(client, coordinator.username)
    for url in ("/admin/users", "/admin/users/new", "/admin/depots", "/admin/vans", "/admin/catalogue"):
        assert client.get(url).status_code == 403, url


def test_creating_a_user_through_the_form(client, db, admin):
    answer = post_form(client, "/admin/users/new", NEW_USER)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    made = db.exec(select(User).where(User.username == "clerk.new")).one()
    assert made.role == "clerk" and made.full_name == "New Clerk"
    assert users.authenticate(db, "clerk.new", "first-password") is not None
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "clerk.new created" in page
    assert "clerk.new" in client.get("/admin/users").get_data(as_text=True)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"username": ""}, "username", "A username is 1 to 60"),
        ({"role": ""}, "role", "Choose a role"),
        ({"password": "short"}, "password", "at least 8 characters"),
        ({"van": "NO SUCH"}, "van", "No van"),
        ({"prescriber_id": "new", "p_name": ""}, "p_name", "Enter the prescriber"),
        ({"prescriber_id": "new", "p_name": "Ann Other"}, "prescriber_id", "Only a prescriber"),
        ({"full_name": "Ada\x00Lovelace"}, "full_name", "cannot be saved"),
    ],
)
def test_a_bad_new_user_keeps_what_was_typed_with_a_message_beside_the_field(client, db, admin, change, field, words):
    answer = post_form(client, "/admin/users/new", {**NEW_USER, **change})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert f'id="{field}-error"' in html and words in html
    assert 'value="New Clerk"' in html or field == "full_name"
    assert db.exec(select(User).where(User.username == "clerk.new")).first() is None


def test_deactivate_and_reactivate_end_the_users_sessions(app, client, db, make, admin):
    clerk = make.user("clerk")
    theirs = app.test_client()
    sign_in(theirs, clerk.username)
    assert theirs.get("/").status_code == 200
    page = f"/admin/users/{clerk.id}"
    answer = post_form(client, page, {"active": "no"}, action=f"{page}/active")
    assert answer.status_code == 302
    assert "deactivated" in client.get(page).get_data(as_text=True)
    assert theirs.get("/").status_code == 302  # signed out
    assert users.authenticate(db, clerk.username, PASSWORD) is None
    post_form(client, page, {"active": "yes"}, action=f"{page}/active")
    assert users.authenticate(db, clerk.username, PASSWORD) is not None
    actions = {e.action for e in db.exec(select(AuditEvent).where(AuditEvent.entity_id == str(clerk.id)))}
    assert {"deactivated", "activated"} <= actions


def test_an_admin_cannot_deactivate_themself(client, db, admin):
    page = f"/admin/users/{admin.id}"
    answer = post_form(client, page, {"active": "no"}, action=f"{page}/active")
    assert "You cannot deactivate yourself" in client.get(answer.headers["Location"]).get_data(as_text=True)
    assert db.get(User, admin.id).active


def test_a_reset_password_is_shown_once_and_ends_old_sessions(app, client, db, make, admin):
    clerk = make.user("clerk")
    theirs = app.test_client()
    sign_in(theirs, clerk.username)
    page = f"/admin/users/{clerk.id}"
    answer = post_form(client, page, {}, action=f"{page}/password")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    password = re.search(r'<code class="password">([^<]+)</code>', html).group(1)
    assert len(password) >= 12
    db.expire_all()
    assert password not in db.get(User, clerk.id).password_hash
    assert users.authenticate(db, clerk.username, password) is not None
    assert users.authenticate(db, clerk.username, PASSWORD) is None
    assert theirs.get("/").status_code == 302
    assert password not in client.get(page).get_data(as_text=True)  # shown once only
    reset = db.exec(select(AuditEvent).where(AuditEvent.action == "password_reset")).one()
    assert reset.user_id == admin.id and password not in reset.detail


def test_changing_a_users_role_and_van(client, db, make, admin):
    van = make.van(make.depot(), reg="VA11 AAA")
    clerk = make.user("clerk")
    page = f"/admin/users/{clerk.id}"
    form = {"full_name": "Now Driving", "role": "driver", "van": van.reg, "prescriber_id": ""}
    answer = post_form(client, page, form)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    db.expire_all()
    changed = db.get(User, clerk.id)
    assert changed.role == "driver" and changed.van_id == van.id and changed.full_name == "Now Driving"
    answer = post_form(client, page, {**form, "role": "officer"})
    assert answer.status_code == 422 and "Only a driver can be given a van" in answer.get_data(as_text=True)
