"""Planning jobs, off the request thread.

By default each app process runs plans (and re-optimisations) one at a time in one background
worker thread, whatever the number of databases, and queues the rest: a burst of requests
cannot start more than one solve per process. The thread only waits: the search runs in
another process (routing's `isolated`), because it holds the interpreter lock most of the time
and the process's pages would crawl while it ran (bench/pages_during_plan.py). With
`REDIS_URL` set, plans go to the RQ queue "planning" and run in `rq worker` processes, on this
machine or any other that reaches the same database and Redis. Start one (or several) from the
repository root with the virtualenv active and the same settings as the web app:

    export DATABASE_URL=postgresql://USER@DBHOST/equipment REDIS_URL=redis://REDISHOST:6379/0
    rq worker planning --url "$REDIS_URL"

A job that raises is marked failed with the reason; one whose worker died (killed, machine
lost) is marked failed once it is well past its time budget, or as soon as RQ reports the job
failed or stopped. A failed plan can be retried (POST /api/v1/plans/{id}/retry).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from datetime import UTC, timedelta
from typing import Any, ClassVar

from redis import Redis
from rq import Callback, Queue
from sqlalchemy.engine import Engine
from sqlmodel import Session

import config
from equipment.compliance import ComplianceSettings, schedule_before_planning
from equipment.db import make_engine, new_session, utcnow
from equipment.models import Plan
from equipment.planning.adjust import run_reoptimise
from equipment.planning.solving import RouterOptions, active_plan, depot_set, fail_if_stale, mark_failed, run_plan
from equipment.service_time import DEFAULT_TZ
from equipment.vocabulary import PlanStatus

log = logging.getLogger(__name__)

QUEUE_NAME = "planning"
QUEUED_TOO_LONG = timedelta(minutes=30)
# RQ workers beat every 30 s (job_monitoring_interval) while a job runs; two missed beats = dead.
RQ_SILENT_TOO_LONG = timedelta(seconds=75)


# ---------------------------------------------------------------------------- the job itself


def execute(
    engine: Engine, plan_id: int, *, tz: str, osrm_url: str | None, overdue: str = "start", isolated: bool = False
) -> None:
    """Run one planning job (plan the day, or re-optimise); any error marks it failed with the
    reason (and is logged). `isolated`: the router searches in other processes (in a web
    process, so that its pages stay fast while a day is planned)."""
    try:
        with new_session(engine) as session:
            plan = session.get(Plan, plan_id)
            job = plan.job if plan is not None else "plan"
        settings = config.load()
        router = RouterOptions(threads=settings["ROUTER_THREADS"], isolated=isolated)
        if job == "reoptimise":
            run_reoptimise(engine, plan_id, tz=tz, osrm_url=osrm_url, router=router)
        else:
            schedule_before_planning(engine, ComplianceSettings.from_config({**settings, "TIMEZONE": tz}))
            run_plan(engine, plan_id, tz=tz, osrm_url=osrm_url, overdue_at_start=overdue != "none", router=router)
    except BaseException as exc:
        log.exception("planning job for plan %s failed", plan_id)
        mark_failed(engine, plan_id, f"{type(exc).__name__}: {exc}"[:1000])
        if not isinstance(exc, Exception):
            raise


_engines: dict[str, Engine] = {}


def run_job(plan_id: int, database_url: str | None = None, tz: str | None = None, osrm_url: str | None = None) -> None:
    """The RQ entry point: settings come from the worker's environment unless given."""
    settings = config.load()
    url = database_url or settings["DATABASE_URL"]
    if url not in _engines:
        _engines[url] = make_engine(url)
    execute(
        _engines[url],
        plan_id,
        tz=tz or settings["TIMEZONE"],
        osrm_url=osrm_url or settings["OSRM_URL"] or None,
        overdue=settings["PLAN_OVERDUE_DEADLINE"],
    )


def on_rq_failure(
    job: Any, connection: Any, exc_type: Any = None, exc_value: Any = None, traceback: Any = None
) -> None:
    """RQ calls this when a job fails (including a worker's hard death it notices)."""
    plan_id, url = job.args[0], job.args[1] if len(job.args) > 1 else None
    engine = _engines.get(url) or make_engine(url or config.load()["DATABASE_URL"])
    mark_failed(engine, plan_id, f"the planning worker failed: {exc_value or 'job lost'}")


# ---------------------------------------------------------------------------- in-app worker


class InAppWorker:
    """The one daemon thread of this process that runs queued planning jobs one after another
    (jobs carry their database's engine)."""

    _worker: ClassVar[InAppWorker | None] = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        self.jobs: queue.Queue = queue.Queue()
        self.thread: threading.Thread | None = None
        self.current: tuple[int, int] | None = None  # (engine id, plan id)
        self.waiting: set[tuple[int, int]] = set()

    @classmethod
    def for_engine(cls, engine: Engine) -> InAppWorker:
        """The process's worker (one for every engine)."""
        with cls._lock:
            if cls._worker is None:
                cls._worker = cls()
            return cls._worker

    def submit(self, plan_id: int, *, tz: str, osrm_url: str | None, engine: Engine, overdue: str = "start") -> None:
        with self._lock:
            if (id(engine), plan_id) in self.waiting:
                return  # already queued (a retry pressed twice)
            self.waiting.add((id(engine), plan_id))
            self.jobs.put((engine, plan_id, tz, osrm_url, overdue))
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._loop, name="planning-worker", daemon=True)
                self.thread.start()

    def forget(self, engine: Engine, *, wait_seconds: float = 60) -> None:
        """Drop the queued jobs of `engine` and wait (at most `wait_seconds`) for its running one
        to end: its database is going away (a test's), and its jobs must not run on whatever
        takes its place or hold up the next database's."""
        with self._lock:
            others = []
            while not self.jobs.empty():
                job = self.jobs.get_nowait()
                if job[0] is engine:
                    self.waiting.discard((id(engine), job[1]))
                else:
                    others.append(job)
            for job in others:
                self.jobs.put(job)
        until = time.monotonic() + wait_seconds
        while self.current is not None and self.current[0] == id(engine) and time.monotonic() < until:
            time.sleep(0.05)

    def knows(self, plan_id: int, engine: Engine) -> bool:
        return (id(engine), plan_id) == self.current or (id(engine), plan_id) in self.waiting

    def _loop(self) -> None:
        while True:
            try:
                engine, plan_id, tz, osrm_url, overdue = self.jobs.get(timeout=30)
            except queue.Empty:
                with self._lock:
                    if self.jobs.empty():
                        self.thread = None
                        return
                continue
            with self._lock:
                self.current = (id(engine), plan_id)
                self.waiting.discard(self.current)
            try:
                execute(engine, plan_id, tz=tz, osrm_url=osrm_url, overdue=overdue, isolated=True)
            except BaseException:
                log.exception("planning worker error")
            finally:
                self.current = None


# ---------------------------------------------------------------------------- submitting


def _rq_queue(redis_url: str) -> Queue:
    return Queue(QUEUE_NAME, connection=Redis.from_url(redis_url))


def submit(*, engine: Engine, plan: Plan, settings: dict) -> None:
    """Hand a queued plan to the configured worker."""
    tz, osrm_url = settings.get("TIMEZONE", DEFAULT_TZ), settings.get("OSRM_URL") or None
    redis_url = settings.get("REDIS_URL")
    if redis_url:
        q = _rq_queue(redis_url)
        job_id = f"plan-{plan.id}"
        old = q.fetch_job(job_id)
        if old is not None:
            old.delete()
        q.enqueue(
            "equipment.planning.runs.run_job",
            plan.id,
            settings.get("DATABASE_URL"),
            tz,
            osrm_url,
            job_id=job_id,
            job_timeout=int((plan.job_seconds or plan.seconds) * 3 + 300),
            result_ttl=3600,
            failure_ttl=7 * 86400,
            on_failure=Callback(on_rq_failure),
        )
        return
    overdue = settings.get("PLAN_OVERDUE_DEADLINE", "start")
    InAppWorker.for_engine(engine).submit(plan.id, tz=tz, osrm_url=osrm_url, engine=engine, overdue=overdue)


def clear_dead_plan(
    session: Session, *, engine: Engine, service_date, depot_codes: list[str] | None, settings: dict
) -> None:
    """Before planning a day: a queued or running plan of that day whose job has died is marked
    failed, so it does not stand in the way of a new one (a live one still does: 409)."""
    other = active_plan(session, service_date=service_date, depots=depot_set(session, depot_codes))
    if other is not None:
        check_alive(session, engine=engine, plan=other, settings=settings)


def _heartbeat_age(job: Any) -> timedelta:
    """How long since the RQ worker last said it was working on this job."""
    beat = job.last_heartbeat or job.started_at
    if beat is None:
        return timedelta(0)
    if beat.tzinfo is None:
        beat = beat.replace(tzinfo=UTC)
    return utcnow() - beat


def check_alive(session: Session, *, engine: Engine, plan: Plan, settings: dict) -> Plan:
    """Mark a plan failed when its job has died; returns the (possibly updated) plan."""
    if plan.status not in (PlanStatus.QUEUED, PlanStatus.RUNNING):
        return plan
    alive: bool | None = None
    redis_url = settings.get("REDIS_URL")
    if redis_url:
        try:
            job = _rq_queue(redis_url).fetch_job(f"plan-{plan.id}")
            status = job.get_status(refresh=True) if job is not None else None
            if job is None or status in ("failed", "stopped", "canceled"):
                alive = False
            elif status == "started" and _heartbeat_age(job) > RQ_SILENT_TOO_LONG:
                alive = False  # the worker (and its work horse) died without telling RQ
        except Exception:  # noqa: BLE001 - Redis away: judge by time only
            log.warning("could not ask Redis about plan %s", plan.id)
    elif plan.status == PlanStatus.QUEUED and utcnow() - plan.created_at > QUEUED_TOO_LONG:
        alive = InAppWorker.for_engine(engine).knows(plan.id, engine) or False
    return fail_if_stale(session, plan, worker_alive=alive)
