"""A local stand-in for GOV.UK Notify's API (it has no local edition): it checks each request the
real client sends (the JWT signed with the key's secret, the path, the body) and answers as
Notify documents. Tests read what it received."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt

SERVICE_ID = str(uuid.UUID(int=1))
SECRET = str(uuid.UUID(int=2))
API_KEY = f"equipment_tests-{SERVICE_ID}-{SECRET}"
REQUIRED = {
    "sms": {"phone_number", "template_id"},
    "email": {"email_address", "template_id"},
    "letter": {"template_id", "personalisation"},
}


class FakeNotify:
    def __init__(self) -> None:
        self.sent: list[dict] = []  # every accepted notification, with its type
        self.problems: list[str] = []  # anything a real Notify would have refused
        self.answer_next_post_with: int | None = None  # e.g. 500 after accepting, or 400 refusing
        self.status = "delivered"
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def posts_for(self, reference: str) -> list[dict]:
        return [n for n in self.sent if n.get("reference") == reference]

    def _check_token(self, header: str) -> None:
        if not header.startswith("Bearer "):
            self.problems.append("no bearer token")
            return
        try:
            claims = jwt.decode(header[7:], SECRET, algorithms=["HS256"], options={"require": ["iss", "iat"]})
        except jwt.PyJWTError as error:
            self.problems.append(f"bad token: {error}")
            return
        if claims["iss"] != SERVICE_ID or abs(time.time() - claims["iat"]) > 30:
            self.problems.append("token not from this service or not fresh")

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                fake._check_token(self.headers.get("Authorization", ""))
                kind = self.path.removeprefix("/v2/notifications/")
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if kind not in REQUIRED or not REQUIRED[kind] <= set(body):
                    fake.problems.append(f"bad request to {self.path}: {sorted(body)}")
                    return self._answer(400, {"errors": [{"error": "BadRequestError"}], "status_code": 400})
                refuse, fake.answer_next_post_with = fake.answer_next_post_with, None
                if refuse == 400:
                    return self._answer(400, {"errors": [{"error": "BadRequestError"}], "status_code": 400})
                notification = {"id": str(uuid.uuid4()), "type": kind, **body}
                fake.sent.append(notification)
                if refuse:  # accepted, but the answer is lost on the way back
                    return self._answer(refuse, {"errors": [{"error": "Exception"}], "status_code": refuse})
                self._answer(201, {"id": notification["id"], "reference": body.get("reference"), "content": {}})

            def do_GET(self) -> None:
                fake._check_token(self.headers.get("Authorization", ""))
                url = urlparse(self.path)
                if url.path == "/v2/notifications":
                    reference = parse_qs(url.query).get("reference", [None])[0]
                    found = [n | {"status": "sending"} for n in fake.sent if n.get("reference") == reference]
                    return self._answer(200, {"notifications": found, "links": {}})
                wanted = url.path.removeprefix("/v2/notifications/")
                for n in fake.sent:
                    if n["id"] == wanted:
                        return self._answer(200, n | {"status": fake.status})
                self._answer(404, {"errors": [{"error": "NoResultFound"}], "status_code": 404})

        return Handler
