"""A day's mix of people on the service, for `python bench/load.py` (locust, headless).

Weights follow a working day: clerks and coordinators write, drivers poll their route,
officers read the dashboard figures.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from locust import HttpUser, between, task

PASSWORD = "demo-equipment"
SEED = Path(__file__).resolve().parent.parent / "seed_data"
BULK_SKUS = [
    r["sku"] for r in csv.DictReader((SEED / "items.csv").read_text().splitlines()) if r["serialised"] == "false"
]
PEOPLE = list(csv.DictReader((SEED / "service_users.csv").read_text().splitlines()))
DEPOTS = ["IPS", "BSE", "ELL"]


class Signed(HttpUser):
    abstract = True
    username = "admin"
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        answer = self.client.post("/api/v1/auth/token", json={"username": self.username, "password": PASSWORD})
        self.client.headers["Authorization"] = f"Bearer {answer.json()['token']}"


class Clerk(Signed):
    weight = 3
    username = "clerk"

    @task(3)
    def stock_page(self) -> None:
        self.client.get(f"/api/v1/stock?depot={random.choice(DEPOTS)}", name="GET /stock?depot")

    @task(2)
    def receive(self) -> None:
        body = {"depot": random.choice(DEPOTS), "sku": random.choice(BULK_SKUS), "quantity": random.randint(1, 5)}
        self.client.post("/api/v1/stock/receipts", json=body, name="POST /stock/receipts")

    @task(1)
    def movements(self) -> None:
        self.client.get("/api/v1/stock/movements?limit=50", name="GET /stock/movements")


class Coordinator(Signed):
    weight = 3
    username = "coordinator"

    @task(2)
    def new_order(self) -> None:
        person = random.choice(PEOPLE)
        body = {
            "kind": "delivery",
            "response_class": random.choice(["next_day", "three_day", "standard"]),
            "service_user": {
                "name": person["name"],
                "address": person["address"],
                "postcode": person["postcode"],
                "nhs_number": person["nhs_number"],
            },
            "lines": [{"sku": random.choice(BULK_SKUS), "quantity": 1}],
        }
        with self.client.post("/api/v1/orders", json=body, name="POST /orders", catch_response=True) as answer:
            if answer.status_code in (201, 409):
                answer.success()

    @task(3)
    def order_list(self) -> None:
        self.client.get("/api/v1/orders?status=ready&limit=50", name="GET /orders?status")


class Driver(Signed):
    weight = 2
    username = "driver"

    @task
    def my_route(self) -> None:
        self.client.get(f"/api/v1/routes?date={date.today().isoformat()}", name="GET /routes?date")


class Officer(Signed):
    weight = 1
    username = "officer"

    @task(2)
    def kpis(self) -> None:
        start = (date.today() - timedelta(days=90)).isoformat()
        self.client.get(f"/api/v1/kpis?from={start}&to={date.today().isoformat()}", name="GET /kpis")

    @task(1)
    def delays(self) -> None:
        self.client.get("/api/v1/delays?limit=50", name="GET /delays")
