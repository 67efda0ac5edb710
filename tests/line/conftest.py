"""Fixtures for the LINE channel: a fake LINE API, the app in-process and under gunicorn,
and a client that sends signed events like LINE does (`line.user().says("...")`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from fake_line import TOKEN, Delivery, FakeLine
from sqlalchemy.engine import make_url

from bot.app import create_app
from bot.outbox import DeliveryConfig

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("CLAIMBOT_TEST_CACHE", ROOT / "var" / "test-cache"))
CAMPAIGN_TIME = "2023-03-15T11:00"
SECRET = "test-channel-secret"
DATA_KEY = "0dYYNEQyJl9h5itcs5rqiwJlnEd2DoKYtKZYv1Irn0U="  # a Fernet key for tests only
# Fast retries so a test sees a whole outage and recovery in seconds.
FAST = {"CLAIMBOT_RETRY_BASE": "0.2", "CLAIMBOT_RETRY_CAP": "1.0", "CLAIMBOT_SENDER_POLL": "0.2",
        "CLAIMBOT_LOADING_AFTER": "0", "CLAIMBOT_API_TIMEOUT": "3"}


def sign(body: bytes, secret: str = SECRET) -> str:
    """X-Line-Signature for `body`."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def new_id() -> str:
    return uuid.uuid4().hex[:26].upper()


def event(kind: str, user: str | None = None, *, source: dict[str, Any] | None = None,
          reply: bool = True, **fields: Any) -> dict[str, Any]:
    """A webhook event as LINE sends it."""
    ev: dict[str, Any] = {
        "type": kind, "mode": "active", "timestamp": int(time.time() * 1000),
        "source": source or {"type": "user", "userId": user},
        "webhookEventId": new_id(), "deliveryContext": {"isRedelivery": False},
    }
    if reply:
        ev["replyToken"] = uuid.uuid4().hex
    ev.update(fields)
    return ev


def text_event(user: str, text: str) -> dict[str, Any]:
    return event("message", user, message={"id": str(uuid.uuid4().int)[:18], "type": "text",
                                           "text": text, "quoteToken": "q"})


@dataclass
class Posted:
    status: int
    body: Any


class LineClient:
    """Sends signed webhook requests to the app and reads what the fake LINE API got."""

    def __init__(self, post: Callable[[bytes, dict[str, str]], Posted], fake: FakeLine) -> None:
        self._post = post
        self.fake = fake

    def post(self, events: list[dict[str, Any]], signature: str | None = None,
             body: bytes | None = None) -> Posted:
        data = body if body is not None else json.dumps(
            {"destination": "Ubot", "events": events}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        sig = sign(data) if signature is None else signature
        if sig:
            headers["X-Line-Signature"] = sig
        return self._post(data, headers)

    def user(self, user_id: str | None = None) -> LineUser:
        return LineUser(self, user_id or "U" + uuid.uuid4().hex)


@dataclass
class LineUser:
    """One person on LINE: what they send, and what reached them."""

    line: LineClient
    id: str
    tokens: set[str] = field(default_factory=set)
    seen: int = 0

    def send(self, ev: dict[str, Any]) -> Posted:
        if "replyToken" in ev:
            self.tokens.add(ev["replyToken"])
        posted = self.line.post([ev])
        assert posted.status == 200, posted
        return posted

    def says(self, text: str) -> list[str]:
        """Send a text and wait for the answer; its texts."""
        self.send(text_event(self.id, text))
        return self.next_texts()

    def taps(self, label: str, in_: Delivery | None = None) -> list[str]:
        """Tap a button of the last answer: a message action types, a postback posts."""
        last = in_ or self.deliveries()[-1]
        for a in actions(last):
            if a.get("label") == label:
                if a["type"] == "postback":
                    self.send(event("postback", self.id, postback={"data": a["data"]}))
                else:
                    self.send(text_event(self.id, a["text"]))
                return self.next_texts()
        raise AssertionError(f"no button {label!r} in {[a.get('label') for a in actions(last)]}")

    def follows(self) -> list[str]:
        self.send(event("follow", self.id, follow={"isUnblocked": False}))
        return self.next_texts()

    def deliveries(self) -> list[Delivery]:
        return self.line.fake.for_user(self.id, self.tokens)

    def wait(self, count: int, timeout: float = 20.0) -> list[Delivery]:
        self.line.fake.wait_for(lambda: len(self.deliveries()) >= count, timeout)
        return self.deliveries()

    def next_texts(self) -> list[str]:
        self.seen += 1
        return self.wait(self.seen)[self.seen - 1].texts()


def actions(delivery: Delivery) -> list[dict[str, Any]]:
    """Every tappable action in a delivery: quick replies and flex footer buttons."""
    out = []
    for m in delivery.messages:
        out += [i["action"] for i in (m.get("quickReply") or {}).get("items", [])]
        if m["type"] == "flex":
            footer = m["contents"].get("footer") or {}
            out += [c["action"] for c in footer.get("contents", [])]
    return out


@pytest.fixture(scope="module")
def fake_line() -> Iterator[FakeLine]:
    fake = FakeLine().start()
    yield fake
    fake.stop()


@pytest.fixture
def app_config(settings: Any, fake_line: FakeLine) -> dict[str, Any]:
    """An in-process app's configuration: the test database, the fake LINE API."""
    line_settings = settings.with_(line_channel_secret=SECRET, line_channel_access_token=TOKEN,
                                   line_api_base_url=fake_line.url)
    return {"SETTINGS": line_settings, "DELIVERY": DeliveryConfig.from_env(FAST)}


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Any]:
    app = create_app(app_config)
    yield app
    channel = app.extensions.get("claimbot.line")
    if channel is not None:
        channel.stop()
    app.extensions["claimbot.bot"].close()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def line(client: Any, fake_line: FakeLine) -> LineClient:
    """Signed events into the in-process app."""
    def post(data: bytes, headers: dict[str, str]) -> Posted:
        response = client.post("/callback", data=data, headers=headers)
        return Posted(response.status_code, response.get_json(silent=True))
    return LineClient(post, fake_line)


# -- gunicorn -----------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[str]:
    """A fresh database for one gunicorn server: an SQLite file or a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('served') / 'claimbot.db'}"
        return
    admin = request.getfixturevalue("pg_server")
    name = f"claimbot_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin).set(drivername="postgresql+psycopg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Server:
    url: str
    db_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_gunicorn(db_url: str, fake_url: str, workdir: Path, workers: int = 2,
                   extra: dict[str, str] | None = None, app: str = "bot.app:create_app()"
                   ) -> Server:
    """`gunicorn 'bot.app:create_app()'` with our gunicorn.conf.py, ready to take requests."""
    port = _free_port()
    env = {**os.environ, **FAST, "DATABASE_URL": db_url, "LINE_CHANNEL_SECRET": SECRET,
           "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "LINE_API_BASE_URL": fake_url,
           "CLAIMBOT_NOW": CAMPAIGN_TIME, "CLAIMBOT_CACHE_DIR": str(CACHE),
           "CLAIMBOT_DATA_KEY": DATA_KEY,
           "CLAIMBOT_DATA_DIR": str(workdir), "WEB_CONCURRENCY": str(workers),
           "CLAIMBOT_BIND": f"127.0.0.1:{port}", **(extra or {})}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = workdir / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
             app],
            cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", db_url, process, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("gunicorn exited:\n" + server.log_text())
        try:
            ours = app.startswith("bot.")
            line_set = env.get("LINE_CHANNEL_SECRET") and env.get("LINE_CHANNEL_ACCESS_TOKEN")
            answerers = int(env.get("CLAIMBOT_ANSWERERS", "1")) if ours and line_set else 0
            if requests.get(server.url + "/healthz", timeout=1).status_code == 200 and \
                    _workers_up(server, workers if ours else 0, answerers):
                return server
        except requests.RequestException:
            pass
        time.sleep(0.2)
    process.terminate()
    raise AssertionError("gunicorn did not start:\n" + server.log_text())


def _workers_up(server: Server, workers: int, answerers: int = 0) -> bool:
    """The web workers and the answerer processes have loaded the bot."""
    text = server.log_text()
    return text.count("Booting worker") >= workers and \
        text.count("claimbot worker ready") >= workers and \
        text.count("claimbot answerer ready") >= answerers


def stop_gunicorn(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="module")
def server(served_db: str, fake_line: FakeLine, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Server]:
    srv = start_gunicorn(served_db, fake_line.url, tmp_path_factory.mktemp("gunicorn"))
    yield srv
    stop_gunicorn(srv)


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def served(server: Server, http: requests.Session, fake_line: FakeLine) -> LineClient:
    """Signed events into the app under gunicorn (2 workers)."""
    fake_line.up()
    fake_line.fail(0)
    fake_line.slow(0)

    def post(data: bytes, headers: dict[str, str]) -> Posted:
        response = http.post(server.url + "/callback", data=data, headers=headers, timeout=10)
        try:
            body = response.json()
        except ValueError:
            body = response.text
        return Posted(response.status_code, body)
    return LineClient(post, fake_line)
