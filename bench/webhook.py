"""Webhook throughput and latency: the app under gunicorn vs a minimal webhook.

    .venv/bin/python bench/webhook.py --events 2000 --clients 16 --db sqlite
    .venv/bin/python bench/webhook.py --events 2000 --clients 16 --db postgresql

N unique signed text events from C concurrent keep-alive clients (one user each, so the
events of one person stay in order), first against a minimal webhook (line-bot-sdk's signature
check and one reply, no database), then against `gunicorn 'bot.app:create_app()'`. Both run
under gunicorn with the same workers and threads and reply to the same fake LINE API. Prints
the webhook's events/s and p50/p99 latency (over the posting phase: what LINE sees), then, once
the app's outbox has drained, what reached the fake LINE API: every reply owed delivered
exactly once (a reply with the event's token, or a push once the token has aged), none lost,
none duplicated; and the ratio. The app answers after its 200 (LINE's advice), so the run
also prints what a person sees: answers/s from the first post to the last answer, and the
p50/p99 time from posting an event to its answer reaching the LINE API.
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
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import requests
import yaml
from sqlalchemy import bindparam, create_engine, text
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

# What people send: the held-out questions (several hundred distinct texts, so the FAQ's memo
# of recent query embeddings is hit about as often as repeats happen), plus menu words.
QUESTIONS = ["こんにちは", "メニュー", "ありがとう", *dict.fromkeys(
    q["q"] for name in ("faq_heldout.yaml", "faq_fresh.yaml")
    for q in yaml.safe_load((ROOT / "tests" / "data" / name).read_text(encoding="utf-8"))[
        "questions"])]

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


@dataclass
class Load:
    """What one load phase sent and how long each request took."""

    latencies: list[float] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    posted_at: dict[str, float] = field(default_factory=dict)  # reply token -> monotonic time
    started: float = 0.0
    users: list[str] = field(default_factory=list)
    wall: float = 0.0


def run_load(url: str, events: int, clients: int) -> Load:
    """Post `events` signed events from `clients` keep-alive clients (one user each)."""
    load = Load()
    lock = threading.Lock()
    per_client = [events // clients + (1 if n < events % clients else 0) for n in range(clients)]
    failures: list[str] = []

    def client(first: int, count: int) -> None:
        user = "U" + uuid.uuid4().hex
        mine: list[float] = []
        toks: list[str] = []
        at: dict[str, float] = {}
        with requests.Session() as http:
            for n in range(count):
                # Each client goes on where the one before stops: the whole run walks
                # through every question (a text recurs only after all the others).
                ev = text_event(user, QUESTIONS[(first + n) % len(QUESTIONS)])
                toks.append(ev["replyToken"])
                body = json.dumps({"destination": "Ubot", "events": [ev]},
                                  ensure_ascii=False).encode()
                started = time.perf_counter()
                at[ev["replyToken"]] = time.monotonic()
                r = http.post(url, data=body, headers={"X-Line-Signature": sign(body),
                                                       "Content-Type": "application/json"})
                mine.append(time.perf_counter() - started)
                if r.status_code != 200:
                    failures.append(f"HTTP {r.status_code}")
        with lock:
            load.latencies.extend(mine)
            load.tokens.extend(toks)
            load.posted_at.update(at)
            load.users.append(user)

    firsts = [sum(per_client[:n]) for n in range(clients)]
    threads = [threading.Thread(target=client, args=(f, c)) for f, c in zip(firsts, per_client,
                                                                             strict=True)]
    load.started = time.monotonic()
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    load.wall = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} webhook requests failed: {sorted(set(failures))}")
    return load


def warm_up(url: str, db_url: str, workers: int, timeout: float = 300) -> None:
    """Load the bot in every worker (each loads lazily) with texts that are not in the load,
    then wait until they are answered, so the timed run starts on an idle server."""
    texts = [f"ウォームアップ{n}番目の質問です。どうなりますか" for n in range(8 * workers)]
    with requests.Session() as http:
        for n, said in enumerate(texts):
            body = json.dumps({"events": [text_event(f"Uwarm{n}", said)]},
                              ensure_ascii=False).encode()
            http.post(url, data=body, headers={"X-Line-Signature": sign(body),
                                               "Content-Type": "application/json"})
    engine = create_engine(db_url)
    started = time.perf_counter()
    try:
        with engine.connect() as conn:
            while time.perf_counter() - started < timeout:
                waiting = conn.execute(text(
                    "SELECT count(*) FROM line_events WHERE outcome IN ('queued', 'taking')"
                )).scalar()
                conn.rollback()
                if not waiting:
                    break
                time.sleep(0.1)
    finally:
        engine.dispose()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of gunicorn's master and its workers so far (Linux /proc)."""
    total = 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return float("nan")
    for p in [str(pid), *children]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@dataclass
class Delivered:
    """What reached the fake LINE API for one load, against what was owed."""

    owed: int  # deliveries owed: one per event (minimal), one per outbox row (the app)
    replies: int  # replies with one of the load's reply tokens
    pushes: int  # pushes to one of the load's users
    drain: float  # seconds from the last response until nothing was owed any more

    @property
    def delivered(self) -> int:
        return self.replies + self.pushes

    @property
    def lost(self) -> int:
        return max(self.owed - self.delivered, 0)

    @property
    def duplicates(self) -> int:
        return max(self.delivered - self.owed, 0)


def _seen(fake: FakeLine, load: Load) -> tuple[int, int]:
    tokens, users = set(load.tokens), set(load.users)
    with fake.lock:
        replies = sum(1 for d in fake.deliveries if d.reply_token in tokens)
        pushes = sum(1 for d in fake.deliveries if d.method == "push" and d.to in users)
    return replies, pushes


def delivered_minimal(fake: FakeLine, load: Load) -> Delivered:
    """The minimal webhook replies inside the request: one reply per event, nothing later."""
    replies, pushes = _seen(fake, load)
    return Delivered(len(load.tokens), replies, pushes, 0.0)


def delivered_app(fake: FakeLine, load: Load, db_url: str, timeout: float = 300) -> Delivered:
    """Wait until the outbox owes the load's users nothing, then count what LINE received."""
    engine = create_engine(db_url)
    users = list(load.users)
    started = time.perf_counter()
    try:
        with engine.connect() as conn:
            def owed_rows(status: str | None = None) -> int:
                query = "SELECT count(*) FROM outbox WHERE recipient IN :users"
                if status:
                    query += " AND status = :status"
                stmt = text(query).bindparams(
                    bindparam("users", expanding=True))
                value = conn.execute(stmt, {"users": users, "status": status}).scalar()
                conn.rollback()
                return int(value or 0)

            def waiting_events() -> int:
                stmt = text("SELECT count(*) FROM line_events WHERE source_id IN :users"
                            " AND outcome IN ('queued', 'taking')").bindparams(
                    bindparam("users", expanding=True))
                value = conn.execute(stmt, {"users": users}).scalar()
                conn.rollback()
                return int(value or 0)

            # The app answers after its 200: first every event is handled, then sent.
            while ((waiting_events() or owed_rows("pending"))
                   and time.perf_counter() - started < timeout):
                time.sleep(0.1)
            drain = time.perf_counter() - started
            pending, failed, rows = owed_rows("pending"), owed_rows("failed"), owed_rows()
            unhandled = waiting_events()
            events = conn.execute(
                text("SELECT count(DISTINCT event_id) FROM outbox WHERE recipient IN :users")
                .bindparams(bindparam("users", expanding=True)),
                {"users": users}).scalar()
    finally:
        engine.dispose()
    if pending or failed:
        print(f"  outbox: {pending} rows still pending, {failed} failed")
    if unhandled:
        print(f"  inbox: {unhandled} events never handled")
    time.sleep(0.5)  # a send that was already on the wire when the row was marked sent
    replies, pushes = _seen(fake, load)
    # Every event must have written its reply; an event without one is a lost reply too.
    owed = rows + max(len(load.tokens) - int(events or 0), 0)
    return Delivered(owed, replies, pushes, drain)


@dataclass
class Answered:
    """What a person sees: how soon each event's answer reached the LINE API."""

    rate: float  # events / (last answer - first post)
    p50: float
    p99: float
    by_push: int  # answers that went out as a push (their token had aged): counted at the end


def answered(fake: FakeLine, load: Load) -> Answered:
    """Time from posting each event to the first delivery with its reply token."""
    users = set(load.users)
    with fake.lock:
        first: dict[str, float] = {}
        pushes = [d.at for d in fake.deliveries if d.method == "push" and d.to in users]
        for d in fake.deliveries:
            if d.reply_token in load.posted_at and d.reply_token not in first:
                first[d.reply_token] = d.at
    waits = [first[t] - load.posted_at[t] for t in first]
    last = max([*first.values(), *pushes], default=load.started)
    # An answer sent as a push has no token: it counts as arriving when the run's last
    # push did (an upper bound), so a slow answer is never left out of the tail.
    waits += [last - load.posted_at[t] for t in load.posted_at if t not in first]
    q = statistics.quantiles(waits, n=100) if len(waits) > 1 else [0.0] * 99
    span = max(last - load.started, 1e-9)
    return Answered(len(load.posted_at) / span, q[49], q[98], len(load.posted_at) - len(first))


def report(name: str, load: Load, got: Delivered, cpu: float, ans: Answered) -> float:
    """Print the figures of one phase; the webhook's events/s."""
    rate = len(load.latencies) / load.wall
    q = statistics.quantiles(load.latencies, n=100)
    print(f"{name:9s} webhook {rate:7.1f} events/s  p50 {q[49] * 1000:6.1f} ms"
          f"  p99 {q[98] * 1000:6.1f} ms"
          f"  | answered {ans.rate:6.1f} events/s  time to answer p50 {ans.p50 * 1000:7.1f} ms"
          f"  p99 {ans.p99 * 1000:7.1f} ms"
          f"\n          delivered {got.delivered}/{got.owed} ({got.replies} replies,"
          f" {got.pushes} pushes)  lost {got.lost}  duplicates {got.duplicates}"
          f"  drained {got.drain:.1f} s  server CPU {cpu * 1000 / len(load.latencies):.1f}"
          f" ms/event", flush=True)
    return rate


def pg_database(admin: str) -> str:
    name = f"claimbot_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(admin).set(drivername="postgresql+psycopg", database=name) \
        .render_as_string(hide_password=False)


def drop_pg_database(admin: str, name: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
    (work / "minimal").mkdir()
    (work / "app").mkdir()
    (work / "minimal" / "minimal_webhook.py").write_text(MINIMAL, encoding="utf-8")
    db_url = (f"sqlite:///{work / 'app' / 'claimbot.db'}" if args.db == "sqlite"
              else pg_database(args.pg))
    # The delivery settings of production (the test helpers speed retries up).
    extra = {"CLAIMBOT_LOADING_AFTER": "0.5", "CLAIMBOT_SENDER_POLL": "1",
             "CLAIMBOT_RETRY_BASE": "2", "CLAIMBOT_RETRY_CAP": "300", "CLAIMBOT_API_TIMEOUT": "10",
             "PYTHONPATH": str(work / "minimal")}
    print(f"{args.events} events, {args.clients} clients, {args.workers} gunicorn workers, "
          f"database {args.db}; {os.cpu_count()} cores; logs in {work}", flush=True)
    try:
        minimal = start_gunicorn(db_url, fake.url, work / "minimal", args.workers, extra,
                                 app="minimal_webhook:create_app()")
        try:
            cpu = cpu_seconds(minimal.process.pid)
            load = run_load(minimal.url + "/callback", args.events, args.clients)
            base_got = delivered_minimal(fake, load)
            base_ans = answered(fake, load)
            base = report("minimal", load, base_got, cpu_seconds(minimal.process.pid) - cpu,
                          base_ans)
        finally:
            stop_gunicorn(minimal)

        app = start_gunicorn(db_url, fake.url, work / "app", args.workers, extra)
        try:
            warm_up(app.url + "/callback", db_url, args.workers)
            cpu = cpu_seconds(app.process.pid)
            load = run_load(app.url + "/callback", args.events, args.clients)
            got = delivered_app(fake, load, db_url)
            ans = answered(fake, load)
            ours = report("claimbot", load, got, cpu_seconds(app.process.pid) - cpu, ans)
        finally:
            stop_gunicorn(app)
    finally:
        fake.stop()
        if args.db == "postgresql":
            drop_pg_database(args.pg, make_url(db_url).database or "")
    ratio = ours / base
    p99 = statistics.quantiles(load.latencies, n=100)[98]
    print(f"ratio     webhook {ratio:.2f} of the minimal webhook's events/s;"
          f" answered {ans.rate / base_ans.rate:.2f} of the minimal's answers/s")
    met = {"events/s >= 0.5 x minimal": ratio >= 0.5, "p99 < 150 ms": p99 < 0.150,
           "no reply lost or duplicated": got.lost == 0 and got.duplicates == 0
           and base_got.lost == 0 and base_got.duplicates == 0}
    print("targets   " + "; ".join(f"{k}: {'met' if v else 'MISSED'}" for k, v in met.items()))


if __name__ == "__main__":
    main()
