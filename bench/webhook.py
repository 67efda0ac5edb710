"""Webhook throughput and latency: the app under gunicorn vs a minimal webhook.

    .venv/bin/python bench/webhook.py --events 2000 --clients 16 --db sqlite
    .venv/bin/python bench/webhook.py --events 2000 --clients 16 --db postgresql

N unique signed text events from C concurrent keep-alive clients (one user each, so the
events of one person stay in order), first against a minimal webhook (line-bot-sdk's signature
check and one reply, no database), then against `gunicorn 'bot.app:create_app()'`. Both run
under gunicorn with the same workers and threads and reply to the same fake LINE API. Prints
events/s, p50/p99 latency, replies delivered (each exactly once?) and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg
import requests
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "line"), str(ROOT / "tests")]

from conftest import (  # noqa: E402 - the test helpers: fake LINE API, gunicorn, signing
    sign,
    start_gunicorn,
    stop_gunicorn,
    text_event,
)
from fake_line import FakeLine  # noqa: E402

QUESTIONS = ["こんにちは", "申請の期限は？", "補償の内容を教えて", "メニュー", "ありがとう",
             "コールセンターの電話番号", "ポイントはどれを選べますか", "対象になる人は？"]

MINIMAL = '''
"""The minimal webhook: verify, parse, one reply, no database."""
import os
from flask import Flask, request, abort
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (ApiClient, Configuration, MessagingApi, ReplyMessageRequest,
                                  TextMessage)

def create_app():
    app = Flask(__name__)
    parser = WebhookParser(os.environ["LINE_CHANNEL_SECRET"])
    config = Configuration(access_token=os.environ["LINE_CHANNEL_ACCESS_TOKEN"],
                           host=os.environ["LINE_API_BASE_URL"])
    api = MessagingApi(ApiClient(config))

    @app.post("/callback")
    def callback():
        body = request.get_data(as_text=True)
        try:
            events = parser.parse(body, request.headers.get("X-Line-Signature", ""))
        except InvalidSignatureError:
            abort(400)
        for event in events:
            if getattr(event, "reply_token", None):
                api.reply_message(ReplyMessageRequest(
                    reply_token=event.reply_token, messages=[TextMessage(text="ok")]))
        return "OK"

    @app.get("/healthz")
    def healthz():
        return "ok"
    return app
'''


def run_load(url: str, events: int, clients: int) -> tuple[list[float], float, list[str]]:
    """Post `events` signed events from `clients` keep-alive clients; latencies, wall time."""
    latencies: list[float] = []
    tokens: list[str] = []
    lock = threading.Lock()
    per_client = [events // clients + (1 if n < events % clients else 0) for n in range(clients)]

    def client(count: int) -> None:
        user = "U" + uuid.uuid4().hex
        mine, toks = [], []
        with requests.Session() as http:
            for n in range(count):
                ev = text_event(user, QUESTIONS[n % len(QUESTIONS)])
                toks.append(ev["replyToken"])
                body = json.dumps({"destination": "Ubot", "events": [ev]},
                                  ensure_ascii=False).encode()
                started = time.perf_counter()
                r = http.post(url, data=body, headers={"X-Line-Signature": sign(body),
                                                       "Content-Type": "application/json"})
                mine.append(time.perf_counter() - started)
                assert r.status_code == 200, r.status_code
        with lock:
            latencies.extend(mine)
            tokens.extend(toks)

    threads = [threading.Thread(target=client, args=(c,)) for c in per_client]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - started, tokens


def delivered(fake: FakeLine, tokens: list[str], timeout: float = 60) -> tuple[int, int]:
    """(tokens answered, duplicate deliveries) once the outbox has drained."""
    wanted = set(tokens)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with fake.lock:
            got = [d.reply_token for d in fake.deliveries if d.reply_token in wanted]
        if len(set(got)) >= len(wanted):
            break
        time.sleep(0.2)
    time.sleep(1.0)
    with fake.lock:
        got = [d.reply_token for d in fake.deliveries if d.reply_token in wanted]
    return len(set(got)), len(got) - len(set(got))


def report(name: str, latencies: list[float], wall: float, answered: int, dupes: int,
           n: int) -> float:
    rate = len(latencies) / wall
    q = statistics.quantiles(latencies, n=100)
    print(f"{name:9s} {rate:8.1f} events/s  p50 {q[49] * 1000:6.1f} ms  p99 {q[98] * 1000:6.1f} ms"
          f"  delivered {answered}/{n}  duplicates {dupes}")
    return rate


def pg_database(admin: str) -> str:
    name = f"claimbot_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(admin).set(drivername="postgresql+psycopg", database=name) \
        .render_as_string(hide_password=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--pg", default=os.environ.get(
        "CLAIMBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = ap.parse_args()

    fake = FakeLine().start()
    work = Path(tempfile.mkdtemp(prefix="claimbot-bench-"))
    (work / "minimal_webhook.py").write_text(MINIMAL, encoding="utf-8")
    db_url = f"sqlite:///{work / 'claimbot.db'}" if args.db == "sqlite" else pg_database(args.pg)
    quiet = {"CLAIMBOT_LOG_LEVEL": "warning", "CLAIMBOT_LOADING_AFTER": "0.5",
             "PYTHONPATH": str(work)}
    print(f"{args.events} events, {args.clients} clients, {args.workers} gunicorn workers, "
          f"database {args.db}; {os.cpu_count()} cores")

    minimal = start_gunicorn(db_url, fake.url, work, args.workers, {
        **quiet, "GUNICORN_APP": "minimal"}, app="minimal_webhook:create_app()")
    try:
        requests.post(minimal.url + "/callback", data=b"{}")  # warm up
        lat, wall, tokens = run_load(minimal.url + "/callback", args.events, args.clients)
        base = report("minimal", lat, wall, *delivered(fake, tokens), args.events)
    finally:
        stop_gunicorn(minimal)

    app = start_gunicorn(db_url, fake.url, work, args.workers, quiet)
    try:
        warm = [text_event("Uwarm", q) for q in QUESTIONS]
        for ev in warm:
            body = json.dumps({"events": [ev]}).encode()
            requests.post(app.url + "/callback", data=body,
                          headers={"X-Line-Signature": sign(body)})
        lat, wall, tokens = run_load(app.url + "/callback", args.events, args.clients)
        ours = report("claimbot", lat, wall, *delivered(fake, tokens), args.events)
    finally:
        stop_gunicorn(app)
        fake.stop()
    print(f"ratio     {ours / base:.2f} of the minimal webhook's events/s")


if __name__ == "__main__":
    main()
