"""A fake LINE Messaging API on 127.0.0.1: records replies and pushes, checks the access token
and LINE's limits, honours X-Line-Retry-Key, and fails on demand."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "test-access-token"


@dataclass
class Delivery:
    """One accepted reply or push."""

    method: str  # reply or push
    to: str | None  # push: the recipient
    reply_token: str | None
    messages: list[dict[str, Any]]
    at: float = field(default_factory=time.monotonic)

    def texts(self) -> list[str]:
        """The text of each message (a flex bubble's body texts joined)."""
        out = []
        for m in self.messages:
            if m["type"] == "text":
                out.append(m["text"])
            elif m["type"] == "flex":
                body = m["contents"]["body"]["contents"]
                out.append("\n".join(c.get("text", "") for c in body))
        return out


def check_messages(messages: Any) -> str | None:
    """What LINE would refuse in a messages array (None if fine)."""
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        return "messages must be 1 to 5"
    for m in messages:
        if m.get("type") == "text" and not 1 <= len(m.get("text", "")) <= 5000:
            return "text length"
        if m.get("type") == "flex" and not 1 <= len(m.get("altText", "")) <= 1500:
            return "altText length"
        items = (m.get("quickReply") or {}).get("items", [])
        if len(items) > 13:
            return "too many quick replies"
        actions = [i["action"] for i in items]
        if m.get("type") == "flex":
            footer = m["contents"].get("footer") or {}
            actions += [c["action"] for c in footer.get("contents", [])]
        for a in actions:
            if len(a.get("label", "")) > 20:
                return "label too long"
            if a["type"] == "postback" and len(a.get("data", "")) > 300:
                return "postback data too long"
            if a["type"] == "uri" and (m.get("type") != "flex"):
                return "uri action in a quick reply"
    return None


def sent(messages: list[Any]) -> dict[str, Any]:
    """LINE's answer to an accepted reply or push."""
    return {"sentMessages": [{"id": str(uuid.uuid4().int)[:18], "quoteToken": uuid.uuid4().hex}
                             for _ in messages]}


class FakeLine:
    """The server and what it saw. `fail(n)`, `down()`/`up()`, `slow(seconds)` make trouble."""

    def __init__(self) -> None:
        # A condition, so that a test waiting for a delivery wakes the moment it arrives.
        self.lock = threading.Condition()
        self.deliveries: list[Delivery] = []
        self.loading: list[str] = []
        self.refused: list[tuple[str, int, str]] = []
        self.used_tokens: set[str] = set()
        self.expired_tokens: set[str] = set()
        self.retry_keys: dict[str, str] = {}
        self.requests = 0
        self.changes = 0
        self._fail = 0
        self._fail_status = 500
        self._down = False
        self._delay = 0.0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeLine:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- trouble on demand ------------------------------------------------------------------
    def fail(self, times: int, status: int = 500) -> None:
        with self.lock:
            self._fail, self._fail_status = times, status

    def down(self) -> None:
        self._down = True

    def up(self) -> None:
        self._down = False

    def slow(self, seconds: float) -> None:
        self._delay = seconds

    def expire(self, token: str) -> None:
        self.expired_tokens.add(token)

    def _changed(self) -> None:
        """Under the lock: something was recorded; wake whoever waits for it."""
        self.changes += 1
        self.lock.notify_all()

    # -- what was seen ----------------------------------------------------------------------
    def for_user(self, user: str, reply_tokens: set[str] | None = None) -> list[Delivery]:
        """Deliveries that reached `user`: pushes to them, replies to their tokens."""
        with self.lock:
            return [d for d in self.deliveries
                    if d.to == user or (reply_tokens and d.reply_token in reply_tokens)]

    def wait_for(self, predicate: Any, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                changes = self.changes
            if predicate():  # outside the lock: it may read the bot's database
                return
            left = deadline - time.monotonic()
            if left <= 0:
                break
            with self.lock:
                if self.changes == changes:  # woken by the next request, else polls
                    self.lock.wait(min(left, 0.05))
        raise AssertionError("the fake LINE API did not see what was expected in time")

    # -- HTTP -------------------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any],
                        headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-line-request-id", str(uuid.uuid4()))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                fake._serve(self, raw)

        return Handler

    def _serve(self, h: Any, raw: bytes) -> None:
        with self.lock:
            self.requests += 1
        if self._delay:
            time.sleep(self._delay)
        if h.headers.get("Authorization") != f"Bearer {TOKEN}":
            return h._answer(401, {"message": "Authentication failed"})
        with self.lock:
            if self._down:
                return h._answer(503, {"message": "Service Unavailable"})
            if self._fail > 0 and h.path.startswith("/v2/bot/message/"):
                self._fail -= 1
                return h._answer(self._fail_status, {"message": "failing on demand"})
        try:
            body = json.loads(raw)
        except ValueError:
            return h._answer(400, {"message": "The request body has 1 error(s)"})
        path = h.path
        if path == "/v2/bot/chat/loading/start":
            with self.lock:
                self.loading.append(body.get("chatId"))
                self._changed()
            return h._answer(202, {})
        problem = check_messages(body.get("messages"))
        if path == "/v2/bot/message/reply":
            token = body.get("replyToken")
            with self.lock:
                if token in self.used_tokens or token in self.expired_tokens or not token:
                    return h._answer(400, {"message": "Invalid reply token"})
                if problem:
                    self.refused.append(("reply", 400, problem))
                    return h._answer(400, {"message": problem})
                self.used_tokens.add(token)
                self.deliveries.append(Delivery("reply", None, token, body["messages"]))
                self._changed()
            return h._answer(200, sent(body["messages"]))
        if path == "/v2/bot/message/push":
            key = h.headers.get("X-Line-Retry-Key")
            with self.lock:
                if key and key in self.retry_keys:
                    return h._answer(409, {"message": "The retry key is already accepted"},
                                     {"x-line-accepted-request-id": self.retry_keys[key]})
                if problem:
                    self.refused.append(("push", 400, problem))
                    return h._answer(400, {"message": problem})
                if key:
                    self.retry_keys[key] = str(uuid.uuid4())
                self.deliveries.append(Delivery("push", body.get("to"), None, body["messages"]))
                self._changed()
            return h._answer(200, sent(body["messages"]))
        return h._answer(404, {"message": "Not found"})
