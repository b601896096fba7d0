"""POST /api/v1/plans/{id}/insert making room: offers, choosing one, declining, bad choices; and
the plan page's part of it."""

from __future__ import annotations

from sqlmodel import func, select

from equipment.models import AuditEvent, Delay, Stop, Unplanned
from equipment.vocabulary import Role
from tests.conftest import post_form, sign_in
from tests.equipment.test_planning_support import get_order
from tests.equipment.test_urgent_room import full_van


def _counts(db) -> tuple:
    return tuple(
        db.exec(select(func.count()).select_from(model)).one() for model in (AuditEvent, Delay, Stop, Unplanned)
    )


def test_offer_then_choose_through_the_api(client, make, db, engine):
    w, plan, later, today, urgent = full_van(db, engine, make)
    headers = make.headers(Role.COORDINATOR)
    url = f"/api/v1/plans/{plan.id}/insert"
    dry = client.post(url, json={"order_ref": urgent.ref, "dry_run": True}, headers=headers)
    assert dry.status_code == 200
    body = dry.get_json()
    assert body["inserted"] is False and body["stop"] is None and "capacity" in body["reason"]
    [offer] = body["offers"]
    assert offer["van"] == w.vans[0].reg and offer["made_late"] == []
    assert offer["displaced"][0]["order_refs"] == [later.ref] and offer["displaced"][0]["brought_forward"]
    assert offer["stop"]["order_refs"] == [urgent.ref]
    chosen = client.post(url, json={"order_ref": urgent.ref, "displace": offer["displace"]}, headers=headers)
    assert chosen.status_code == 200
    done = chosen.get_json()
    assert done["inserted"] and done["stop"]["stop_id"] and done["offers"] == []
    assert [d["order_refs"] for d in done["displaced"]] == [[later.ref]]
    assert get_order(db, later.ref).status == "ready" and get_order(db, urgent.ref).status == "planned"
    shown = client.get(f"/api/v1/plans/{plan.id}", headers=headers).get_json()
    assert {"order_ref": later.ref, "reason": f"displaced by urgent order {urgent.ref}"} in shown["unassigned"]


def test_decline_through_the_api(client, make, db, engine):
    w, plan, later, today, urgent = full_van(db, engine, make)
    headers = make.headers(Role.COORDINATOR)
    answer = client.post(
        f"/api/v1/plans/{plan.id}/insert", json={"order_ref": urgent.ref, "decline": True}, headers=headers
    )
    assert answer.status_code == 200 and answer.get_json()["declined"] is True
    assert get_order(db, urgent.ref).status == "ready"
    assert db.exec(select(Delay.note).where(Delay.order_id == urgent.id)).one().endswith("declined by the coordinator")


def test_bad_choices_answer_problem_json_and_write_nothing(client, make, db, engine):
    w, plan, later, today, urgent = full_van(db, engine, make)
    headers = make.headers(Role.COORDINATOR)
    url = f"/api/v1/plans/{plan.id}/insert"
    stop_id = w.view(plan).routes[0].stops[0].stop.id
    counts = _counts(db)
    cases = [
        ({"order_ref": urgent.ref, "displace": [999999]}, 422, "no stop 999999"),
        ({"order_ref": urgent.ref, "displace": [stop_id, stop_id]}, 422, "twice"),
        ({"order_ref": urgent.ref, "displace": []}, 422, None),
        ({"order_ref": urgent.ref, "displace": [2**40]}, 422, None),
        ({"order_ref": urgent.ref, "displace": ["one"]}, 422, None),
        ({"order_ref": urgent.ref, "displace": [stop_id], "decline": True}, 422, None),
        ({"order_ref": "EQ-000000", "displace": [stop_id]}, 404, None),
        ({"order_ref": later.ref, "displace": [stop_id]}, 409, None),  # planned, not ready
        ({"order_ref": "EQ-000000", "decline": True}, 404, None),
    ]
    for body, status, words in cases:
        answer = client.post(url, json=body, headers=headers)
        assert answer.status_code == status, (body, answer.get_json())
        assert answer.content_type == "application/problem+json", body
        if words:
            assert words in answer.get_json()["detail"], answer.get_json()
    assert _counts(db) == counts
    assert get_order(db, later.ref).status == "planned" and get_order(db, urgent.ref).status == "ready"


def test_the_plan_page_offers_room_and_takes_the_choice(client, make, db, engine):
    w, plan, later, today, urgent = full_van(db, engine, make)
    sign_in(client, make.user(Role.COORDINATOR).username)
    url = f"/plans/{plan.id}"
    preview = client.get(f"{url}?preview={urgent.ref}").get_data(as_text=True)
    assert "fits in no route" in preview and f"Make room on {w.vans[0].reg}" in preview and later.ref in preview
    assert "Decline" in preview
    stop_id = next(sv.stop.id for sv in w.view(plan).routes[0].stops if sv.orders[0].ref == later.ref)
    done = post_form(
        client, url, {"order_ref": urgent.ref, "confirm": "1", "displace": str(stop_id)}, action=f"{url}/insert"
    )
    assert done.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert f"{urgent.ref} inserted" in page and f"displaced by urgent order {urgent.ref}" in page
    assert get_order(db, later.ref).status == "ready"


def test_the_plan_page_declines_and_shows_a_bad_choice_beside_it(client, make, db, engine):
    w, plan, later, today, urgent = full_van(db, engine, make)
    sign_in(client, make.user(Role.COORDINATOR).username)
    url = f"/plans/{plan.id}"
    counts = _counts(db)
    bad = post_form(
        client, url, {"order_ref": urgent.ref, "confirm": "1", "displace": "999999"}, action=f"{url}/insert"
    )
    assert bad.status_code == 302 and "no stop 999999" in client.get(url).get_data(as_text=True)
    assert _counts(db) == counts
    declined = post_form(client, url, {"order_ref": urgent.ref, "decline": "1"}, action=f"{url}/insert")
    assert declined.status_code == 302
    assert "no room made" in client.get(url).get_data(as_text=True).lower()
    assert get_order(db, urgent.ref).status == "ready"
