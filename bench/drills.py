"""Fault drills against a real gunicorn + PostgreSQL (+ Redis and an RQ worker):

1. database restart under traffic: clerks keep booking receipts while PostgreSQL restarts;
   the app must recover by itself, and the ledger must still agree with the balances;
2. planning worker killed mid-solve: the plan is marked failed with the reason, and a retry
   on a fresh worker completes.

    python bench/drills.py [--drill restart|worker|all]

Needs root for `pg_ctlcluster` (the database restart). Prints what happened and exits 1 on a failed drill.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "bench_drills"
PORT = 8766
BASE = f"http://127.0.0.1:{PORT}"


def call(method: str, path: str, body: dict | None = None, token: str | None = None, timeout: float = 10):
    request = urllib.request.Request(BASE + path, method=method, data=json.dumps(body).encode() if body else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
    except (OSError, ValueError):
        return 0, None


def token_for(username: str) -> str:
    status, body = call("POST", "/api/v1/auth/token", {"username": username, "password": "demo-equipment"})
    assert status == 200, (status, body)
    return body["token"]


def wait_healthy(seconds: float) -> float | None:
    started = time.time()
    while time.time() - started < seconds:
        if call("GET", "/healthz", timeout=2)[0] == 200:
            return time.time() - started
        time.sleep(0.2)
    return None


def flask(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def drill_restart(env: dict) -> bool:
    token = token_for("clerk")
    results: list[int] = []
    stop = threading.Event()

    def clerk() -> None:
        while not stop.is_set():
            status, _ = call(
                "POST", "/api/v1/stock/receipts", {"depot": "IPS", "sku": "FRM-ZIMMER", "quantity": 1}, token, 5
            )
            results.append(status)

    threads = [threading.Thread(target=clerk) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    restart_at = len(results)
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    # Immediate mode: the server stops as if it crashed and recovers on start (no long shutdown checkpoint).
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", "--mode=immediate", version, "main", "restart"], check=True
    )
    recovered = wait_healthy(30)
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join()
    after = results[restart_at:]
    last = results[-20:]
    verify = flask("stock", "verify", env=env)
    print(f"restart drill: {restart_at} receipts before the restart, {len(after)} during and after")
    print(f"  answers during/after: { {s: after.count(s) for s in sorted(set(after))} } (503 = database not answering)")
    print(
        f"  healthy again {recovered:.1f} s after the restart" if recovered is not None else "  NOT healthy within 30 s"
    )
    print(f"  last 20 receipts: { {s: last.count(s) for s in sorted(set(last))} }")
    print(f"  stock verify: {verify.stdout.strip()}")
    return recovered is not None and all(s == 201 for s in last) and 500 not in after and verify.returncode == 0


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is `pid` (RQ's work horse runs in its own session)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def drill_worker(env: dict) -> bool:
    token = token_for("coordinator")
    worker = subprocess.Popen(
        [str(BIN / "rq"), "worker", "planning", "--url", env["REDIS_URL"]],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    status, plan = call("POST", "/api/v1/plans", {"date": date.today().isoformat(), "seconds": 20}, token)
    assert status == 202, (status, plan)
    plan_id = plan["id"]
    for _ in range(100):
        status, body = call("GET", f"/api/v1/plans/{plan_id}", token=token)
        if body and body["status"] == "running":
            break
        time.sleep(0.2)
    time.sleep(2)
    for pid in [*children_of(worker.pid), worker.pid]:  # the work horse and the worker, as when a machine dies
        os.kill(pid, signal.SIGKILL)
    worker.wait()
    print(f"worker drill: plan {plan_id} was {body and body['status']} when its worker was killed")
    failed_after = None
    started = time.time()
    while time.time() - started < 150:
        status, body = call("GET", f"/api/v1/plans/{plan_id}", token=token)
        if body and body["status"] == "failed":
            failed_after = time.time() - started
            break
        time.sleep(1)
    print(
        f"  marked failed after {failed_after:.0f} s: {body.get('error')!r}"
        if failed_after
        else f"  still {body and body['status']} after 150 s"
    )
    worker = subprocess.Popen(
        [str(BIN / "rq"), "worker", "planning", "--url", env["REDIS_URL"], "--burst"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    status, _ = call("POST", f"/api/v1/plans/{plan_id}/retry", {}, token)
    worker.wait(timeout=120)
    status, body = call("GET", f"/api/v1/plans/{plan_id}", token=token)
    print(f"  retry: plan {plan_id} is {body and body['status']}")
    return failed_after is not None and body and body["status"] == "done"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--drill", choices=["restart", "worker", "all"], default="all")
    args = parser.parse_args()
    subprocess.run(
        ["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"], check=True, capture_output=True
    )
    subprocess.run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {DATABASE}"], check=True)
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{DATABASE}",
        "REDIS_URL": "redis://127.0.0.1:6379/5",
        "LOGIN_RATE_LIMIT": "100000 per minute",
    }
    seeded = flask("seed", "--demo", "--history", "1", env=env)  # open orders to plan
    assert seeded.returncode == 0, seeded.stderr
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-w",
            "2",
            "-k",
            "gthread",
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
    )
    ok = True
    try:
        assert wait_healthy(30) is not None, "the server did not start"
        if args.drill in ("restart", "all"):
            ok &= drill_restart(env)
        if args.drill in ("worker", "all"):
            ok &= drill_worker(env)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print("all drills passed" if ok else "A DRILL FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
