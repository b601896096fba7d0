"""Sending off the request thread: an RQ job when Redis is configured, else one daemon thread per
database that sends in bounded rounds. A request only asks for a round; many asks make one round."""

from __future__ import annotations

import logging
import threading
import time
from typing import ClassVar

from redis import Redis
from rq import Queue
from sqlalchemy import Engine

from equipment.db import make_engine
from equipment.notices.sending import NotifySettings, refresh_statuses, send_queued

log = logging.getLogger(__name__)

QUEUE_NAME = "notices"
JOB_ID = "notices-send"
IDLE_SECONDS = 300  # between rounds with nothing asked: statuses are refreshed this often


def send_round(engine: Engine, notify: NotifySettings) -> int:
    """Send until the queue is empty (each round is bounded), then refresh delivery statuses."""
    total = 0
    while (sent := send_queued(engine, notify)) > 0:
        total += sent
    refresh_statuses(engine, notify)
    return total


def run_job(database_url: str, settings: dict) -> int:
    """The RQ job: one send round on its own engine."""
    engine = make_engine(database_url)
    try:
        return send_round(engine, NotifySettings.from_settings(settings))
    finally:
        engine.dispose()


class InAppSender:
    _senders: ClassVar[dict[int, InAppSender]] = {}
    _lock = threading.Lock()

    def __init__(self, engine: Engine, notify: NotifySettings) -> None:
        self.engine, self.notify = engine, notify
        self.asked = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="notice-sender", daemon=True)
        self.thread.start()

    @classmethod
    def ask(cls, engine: Engine, notify: NotifySettings) -> None:
        with cls._lock:
            sender = cls._senders.get(id(engine))
            if sender is None or sender.engine is not engine or not sender.thread.is_alive():
                sender = cls._senders[id(engine)] = cls(engine, notify)
        sender.asked.set()

    def _loop(self) -> None:
        while True:
            self.asked.wait(timeout=IDLE_SECONDS)
            self.asked.clear()
            try:
                send_round(self.engine, self.notify)
            except Exception:
                log.exception("notice sender error")


def ask_for_sending(engine: Engine, settings: dict) -> bool:
    """Start a send round off this thread. Without a Notify key nothing is sent: the outbox waits."""
    notify = NotifySettings.from_settings(settings)
    if notify is None:
        return False
    if settings.get("REDIS_URL"):
        queue = Queue(QUEUE_NAME, connection=Redis.from_url(settings["REDIS_URL"]))
        if not any(job_id.startswith(JOB_ID) for job_id in queue.job_ids):  # a waiting round sends it too
            notify_settings = {k: v for k, v in settings.items() if k.startswith("NOTIFY_")}
            queue.enqueue(
                run_job,
                settings["DATABASE_URL"],
                notify_settings,
                job_id=f"{JOB_ID}-{time.time_ns()}",
                job_timeout=600,
                result_ttl=60,
            )
        return True
    InAppSender.ask(engine, notify)
    return True
