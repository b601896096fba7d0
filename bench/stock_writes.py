"""Stock writes through the API under gunicorn, on SQLite and on PostgreSQL.

    python bench/stock_writes.py [--seconds 20] [--threads 8] [--workers 2] [--worker-threads 4] [--rate 200]
                                 [--only sqlite|postgresql] [--pg-url postgresql://postgres@127.0.0.1:5432/bench_stock]

For each database: a fresh database seeded with the Suffolk demo, gunicorn (W workers x T
threads) started on it, then receipts, counts (adjustments) and transfers are fired at it twice,
each time for the given time:

- closed loop: each client thread sends its next write as soon as the last one is answered, so
  the figure is the most the service and the load generator manage together on this machine;
- open loop: writes fall due at a fixed rate (--rate per second, evenly spaced) whatever the
  answers, and each latency counts from when its write fell due, so a service that cannot keep
  up shows it in the latency rather than by being sent less. This is the figure for "sustains
  R writes/s with p95 below X".

Both print throughput, p50/p95 latency and the CPU spent per write by gunicorn, the database
server and the load generator (which shares the machine's cores). The header gives the CPU time
of a fixed Python loop: the cores are virtual and their speed varies, so runs compare only at a
similar reference time. Then it receives 2,000
serialised assets into one depot and times that depot's stock page and the item page listing
its assets. Finally `stock verify` must report that the ledger and the balances agree.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import json
import os
import queue
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEPOTS = ["IPS", "BSE", "ELL"]
BULK_SKUS = ["FRM-ZIM", "CMD-STD", "RAI-GRAB"]  # replaced by whatever bulk SKUs the seed has
PAGE_SKU = "BED-PROF-E"
PAGE_DEPOT = "IPS"
PAGE_ASSETS = 2000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reference_loop_ms() -> float:
    """CPU milliseconds of a fixed pure-Python loop: how fast this machine's cores run Python now.

    The cores are virtual and shared, and their speed changes from day to day: figures taken at
    different times compare only at a similar reference time."""
    started = time.process_time()
    total = 0
    for n in range(3_000_000):
        total += n
    return (time.process_time() - started) * 1000


def prepare_database(kind: str, pg_url: str, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench_stock.db'}"
    from sqlalchemy import create_engine, text

    from config import normalise_database_url

    url = normalise_database_url(pg_url)
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    name = url.rsplit("/", 1)[1]
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url


def run_flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args], check=False, cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode not in (0, 1) or (done.returncode == 1 and args[0] != "stock"):
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout.strip()


class Api:
    """A keep-alive JSON client for one thread."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port, self.token = port, token
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict | str]:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in range(2):
            try:
                self.connection.request(
                    method, path, body=json.dumps(body) if body is not None else None, headers=headers
                )
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    raise
        kind = response.getheader("Content-Type", "")
        return response.status, json.loads(data) if "json" in kind and data else data.decode()


def start_gunicorn(env: dict[str, str], port: int, workers: int, threads: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{port}",
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            if Api(port).call("GET", "/healthz")[0] == 200:
                return process
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    raise SystemExit("gunicorn did not start")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(20)


def cpu_times(server_pid: int, database: str | None) -> dict[int, float]:
    """CPU seconds so far of each gunicorn worker and each PostgreSQL backend of `database`."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(stat[1]) == server_pid or (database and cmdline.startswith("postgres:") and f" {database} " in cmdline):
            pids.append((int(pid), (int(stat[11]) + int(stat[12])) / tick, cmdline.startswith("postgres:")))
    return {pid: (cpu, is_db) for pid, cpu, is_db in pids}


def cpu_used(before: dict, after: dict) -> tuple[float, float]:
    """(app seconds, database seconds) spent between two cpu_times() readings."""
    app = db = 0.0
    for pid, (cpu, is_db) in after.items():
        spent = cpu - before.get(pid, (0.0, is_db))[0]
        if is_db:
            db += spent
        else:
            app += spent
    return app, db


def bulk_skus(api: Api) -> list[str]:
    _, items = api.call("GET", "/api/v1/items?limit=1000")
    return [i["sku"] for i in items["items"] if not i["serialised"]]


def next_write(rng: random.Random, skus: list[str]) -> tuple[str, str, dict]:
    """(kind, path, body) of a random receipt (40%), count (15%) or transfer (45%)."""
    sku, depot = rng.choice(skus), rng.choice(DEPOTS)
    roll = rng.random()
    if roll < 0.4:
        return "receipt", "/api/v1/stock/receipts", {"depot": depot, "sku": sku, "quantity": rng.randint(1, 3)}
    if roll < 0.55:
        return (
            "adjustment",
            "/api/v1/stock/adjustments",
            {"depot": depot, "sku": sku, "counted": rng.randint(900, 1100), "reason": "bench count"},
        )
    other = rng.choice([d for d in DEPOTS if d != depot])
    return "transfer", "/api/v1/stock/transfers", {"from_depot": depot, "to_depot": other, "sku": sku, "quantity": 1}


def send(api: Api, rng: random.Random, skus: list[str], since: float, out: list, errors: list) -> None:
    """Send one write; its latency counts from `since`."""
    kind, path, body = next_write(rng, skus)
    status, answer = api.call("POST", path, body)
    elapsed = time.perf_counter() - since
    if status in (200, 201, 409):
        out.append((kind, status, elapsed))
    else:
        errors.append((kind, status, str(answer)[:200]))


def writer(port: int, token: str, skus: list[str], until: float, seed: int, out: list, errors: list) -> None:
    api, rng = Api(port, token), random.Random(seed)
    while time.perf_counter() < until:
        send(api, rng, skus, time.perf_counter(), out, errors)


def paced_writer(port: int, token: str, skus: list[str], due: queue.Queue, seed: int, out: list, errors: list) -> None:
    """Take the next write due, wait for its time and send it; a write taken late was late."""
    api, rng = Api(port, token), random.Random(seed)
    while True:
        try:
            at = due.get_nowait()
        except queue.Empty:
            return
        time.sleep(max(0.0, at - time.perf_counter()))
        send(api, rng, skus, at, out, errors)


def summary(results: list, errors: list, wall: float) -> dict:
    latencies = sorted(r[2] for r in results)
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 2 else [0] * 99
    return {
        "writes": len(results),
        "per_second": len(results) / wall,
        "p50_ms": q[49] * 1000,
        "p95_ms": q[94] * 1000,
        "p99_ms": q[98] * 1000,
        "conflicts_409": sum(1 for r in results if r[1] == 409),
        "errors": errors,
        "by_kind": {k: sum(1 for r in results if r[0] == k) for k in ("receipt", "adjustment", "transfer")},
    }


def fire(port: int, token: str, skus: list[str], seconds: float, threads: int) -> dict:
    """Closed loop: `threads` clients, each sending its next write when the last is answered."""
    until = time.perf_counter() + seconds
    results: list = []
    errors: list = []
    workers = [
        threading.Thread(target=writer, args=(port, token, skus, until, n, results, errors)) for n in range(threads)
    ]
    started = time.perf_counter()
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return summary(results, errors, time.perf_counter() - started)


def fire_at_rate(port: int, token: str, skus: list[str], seconds: float, rate: float, threads: int) -> dict:
    """Open loop: writes fall due every 1/rate s whatever the answers; latency counts from when
    each fell due. `threads` connections carry them, enough that the load generator never holds
    writes back while the service keeps up."""
    start = time.perf_counter() + 0.5
    due: queue.Queue = queue.Queue()
    for n in range(int(seconds * rate)):
        due.put(start + n / rate)
    results: list = []
    errors: list = []
    workers = [
        threading.Thread(target=paced_writer, args=(port, token, skus, due, 1000 + n, results, errors))
        for n in range(threads)
    ]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return summary(results, errors, time.perf_counter() - start)


def measured(run, server_pid: int, database: str | None) -> tuple[dict, float, float, float]:
    """run() with the CPU seconds it cost gunicorn, the database server and this load generator."""
    before, client_before = cpu_times(server_pid, database), time.process_time()
    result = run()
    client = time.process_time() - client_before
    app_cpu, db_cpu = cpu_used(before, cpu_times(server_pid, database))
    return result, app_cpu, db_cpu, client


def print_cpu(result: dict, app_cpu: float, db_cpu: float, client_cpu: float) -> None:
    writes = max(1, result["writes"])
    per_write = (app_cpu + db_cpu) / writes * 1000
    print(
        f"CPU per write: {app_cpu / writes * 1000:.1f} ms in gunicorn + "
        f"{db_cpu / writes * 1000:.1f} ms in the database server; "
        f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
        f"(CPU-bound ceiling on {os.cpu_count()} idle cores ~ {os.cpu_count() * 1000 / per_write:.0f} writes/s); "
        f"the load generator took {client_cpu / writes * 1000:.1f} ms per write of the same cores"
    )
    for error in result["errors"][:5]:
        print("  error:", error)


def page_timing(port: int, api: Api) -> dict:
    serials = [f"BENCH-{n:05d}" for n in range(PAGE_ASSETS)]
    for chunk in range(0, PAGE_ASSETS, 500):
        status, answer = api.call(
            "POST",
            "/api/v1/stock/receipts",
            {"depot": PAGE_DEPOT, "sku": PAGE_SKU, "serials": serials[chunk : chunk + 500]},
        )
        assert status == 201, answer
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    login = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
    form = urllib.parse.urlencode({"username": "clerk", "password": "demo-equipment", "csrf_token": token}).encode()
    opener.open(f"{base}/login", data=form).read()
    timings = {}
    for label, path in [
        ("stock page", f"/stock?depot={PAGE_DEPOT}"),
        ("item page (500 of the assets listed)", f"/stock/items/{PAGE_SKU}?depot={PAGE_DEPOT}"),
    ]:
        samples = []
        for _ in range(25):
            started = time.perf_counter()
            with opener.open(base + path) as response:
                body = response.read()
                assert response.status == 200 and b"Sign in" not in body[:2000] or b"Sign out" in body
            samples.append(time.perf_counter() - started)
        timings[label] = (statistics.median(samples) * 1000, max(samples) * 1000)
    _, assets = api.call("GET", f"/api/v1/stock?depot={PAGE_DEPOT}&limit=1000")
    timings["assets at depot"] = sum(
        r["available"] + r["allocated"] + r["quarantine"] for r in assets["items"] if r["serialised"]
    )
    return timings


def bench(kind: str, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        url = prepare_database(kind, args.pg_url, Path(workdir))
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-secret",
            "INSTANCE_DIR": workdir,
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
        started = time.perf_counter()
        run_flask(env, "seed", "--demo")
        print(
            f"\n== {kind}: seeded in {time.perf_counter() - started:.1f} s; gunicorn {args.workers} workers x "
            f"{args.worker_threads} threads; {args.threads} client threads for {args.seconds:g} s, then "
            f"{args.rate:g} writes/s open loop for {args.seconds:g} s; reference loop {reference_loop_ms():.0f} ms"
        )
        port = free_port()
        server = start_gunicorn(env, port, args.workers, args.worker_threads)
        try:
            anonymous = Api(port)
            status, answer = anonymous.call(
                "POST", "/api/v1/auth/token", {"username": "clerk", "password": "demo-equipment"}
            )
            assert status == 200, answer
            api = Api(port, answer["token"])
            skus = bulk_skus(api)
            for depot in DEPOTS:  # plenty of stock so that transfers rarely run out
                for sku in skus:
                    api.call(
                        "POST",
                        "/api/v1/stock/adjustments",
                        {"depot": depot, "sku": sku, "counted": 1000, "reason": "bench opening count"},
                    )
            database = url.rsplit("/", 1)[1] if kind == "postgresql" else None
            result, app_cpu, db_cpu, client_cpu = measured(
                lambda: fire(port, answer["token"], skus, args.seconds, args.threads), server.pid, database
            )
            print(
                f"stock writes: {result['writes']} in {args.seconds:g} s = {result['per_second']:.0f} writes/s; "
                f"p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms; {result['by_kind']}; "
                f"409 (not enough stock): {result['conflicts_409']}; errors: {len(result['errors'])}"
            )
            print_cpu(result, app_cpu, db_cpu, client_cpu)
            result, app_cpu, db_cpu, client_cpu = measured(
                lambda: fire_at_rate(port, answer["token"], skus, args.seconds, args.rate, args.rate_threads),
                server.pid,
                database,
            )
            print(
                f"open loop at {args.rate:g} writes/s (due evenly, latency from when due): {result['writes']} in "
                f"{args.seconds:g} s = {result['per_second']:.0f} writes/s; p50 {result['p50_ms']:.1f} ms, "
                f"p95 {result['p95_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms; "
                f"409 (not enough stock): {result['conflicts_409']}; errors: {len(result['errors'])}"
            )
            print_cpu(result, app_cpu, db_cpu, client_cpu)
            pages = page_timing(port, api)
            assets = pages.pop("assets at depot")
            for label, (median, worst) in pages.items():
                print(
                    f"{label} at {PAGE_DEPOT} with {assets} serialised assets: median {median:.0f} ms "
                    f"(worst of 25: {worst:.0f} ms)"
                )
        finally:
            stop(server)
        print("stock verify:", run_flask(env, "stock", "verify").splitlines()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--threads", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-threads", type=int, default=4)
    parser.add_argument("--rate", type=float, default=200, help="writes per second of the open-loop run")
    parser.add_argument("--rate-threads", type=int, default=32, help="connections carrying the open-loop writes")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/bench_stock")
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    for kind in ["sqlite", "postgresql"]:
        if args.only in (None, kind):
            bench(kind, args)


if __name__ == "__main__":
    main()
