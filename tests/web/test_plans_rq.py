"""With REDIS_URL set, plans go to the RQ queue "planning" and run in rq workers."""

from __future__ import annotations

import shutil

import pytest
from redis import Redis
from rq import Queue, SimpleWorker

from equipment.vocabulary import Role
from tests.equipment.test_planning_support import build_world

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")


@pytest.fixture
def world(db, engine, make):
    return build_world(db, engine, make)


def _work(redis_url: str) -> None:
    connection = Redis.from_url(redis_url)
    SimpleWorker([Queue("planning", connection=connection)], connection=connection).work(burst=True)


def test_plans_run_in_an_rq_worker(app, client, make, world, redis_url):
    app.config["REDIS_URL"] = redis_url
    world.order()
    headers = make.headers(Role.COORDINATOR)
    plan_id = client.post(
        "/api/v1/plans", json={"date": world.day.isoformat(), "seconds": 0.5}, headers=headers
    ).get_json()["id"]
    assert client.get(f"/api/v1/plans/{plan_id}", headers=headers).get_json()["status"] == "queued"
    world.db.commit()
    _work(redis_url)
    body = client.get(f"/api/v1/plans/{plan_id}", headers=headers).get_json()
    assert body["status"] == "done" and len(body["routes"]) == 1


def test_a_lost_rq_job_marks_the_plan_failed_and_retry_requeues(app, client, make, world, redis_url):
    app.config["REDIS_URL"] = redis_url
    world.order()
    headers = make.headers(Role.COORDINATOR)
    plan_id = client.post(
        "/api/v1/plans", json={"date": world.day.isoformat(), "seconds": 0.5}, headers=headers
    ).get_json()["id"]
    Queue("planning", connection=Redis.from_url(redis_url)).fetch_job(f"plan-{plan_id}").delete()
    body = client.get(f"/api/v1/plans/{plan_id}", headers=headers).get_json()
    assert body["status"] == "failed" and "worker" in body["error"]
    assert client.post(f"/api/v1/plans/{plan_id}/retry", headers=headers).status_code == 202
    world.db.commit()
    _work(redis_url)
    assert client.get(f"/api/v1/plans/{plan_id}", headers=headers).get_json()["status"] == "done"
