"""Guaranteed delivery: outbox rows written with the state change, sent after commit.

A row is sent with its reply token while the token is fresh, else pushed with a retry key
(X-Line-Retry-Key) so that a push repeated after a timeout reaches the person once. A failed
call is retried with backoff; every attempt is recorded. Rows of one recipient go out in order:
a row waits while an earlier one of the same person is still owed. Any number of senders (one
per gunicorn worker, or `claimbot worker`) share the table: a row is claimed with a lease by an
atomic UPDATE, so one sender owns it at a time.
"""

from __future__ import annotations

import logging
import os
import queue
import random
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import urllib3
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    PushMessageRequest,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
)
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from bot import metrics
from bot.store.delivery import DeliveryAttempt, OutboxMessage

log = logging.getLogger(__name__)

DEFAULT_API = "https://api.line.me"
MAX_UNAUTHORIZED = 5  # a 401 may be a token being rotated; not more tries than this


def utcnow() -> datetime:
    """Real time: delivery runs on the wall clock, never on CLAIMBOT_NOW."""
    return datetime.now(UTC)


def _seconds(env: dict[str, str], name: str, default: float) -> float:
    try:
        return float(env.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True)
class DeliveryConfig:
    """Tuning of the sender (environment, all optional)."""

    in_app: bool = True  # CLAIMBOT_SENDER=0: leave sending to `claimbot worker`
    threads: int = 4  # CLAIMBOT_SENDER_THREADS
    poll: float = 1.0  # CLAIMBOT_SENDER_POLL: seconds between looks for due rows
    retry_base: float = 2.0  # CLAIMBOT_RETRY_BASE: first backoff, doubled each time
    retry_cap: float = 300.0  # CLAIMBOT_RETRY_CAP: longest backoff
    give_up_after: float = 86400.0  # CLAIMBOT_GIVE_UP_AFTER: seconds, then the row fails
    reply_window: float = 50.0  # CLAIMBOT_REPLY_WINDOW: seconds a reply token is trusted
    api_timeout: float = 10.0  # CLAIMBOT_API_TIMEOUT: seconds per LINE API call
    loading_after: float = 0.5  # CLAIMBOT_LOADING_AFTER: show the animation if still working
    inbox_in_app: bool = True  # CLAIMBOT_INBOX=0: the app only stores; `claimbot worker` answers
    inbox_threads: int = 2  # CLAIMBOT_INBOX_THREADS: chats answered at once per process
    # CLAIMBOT_INBOX_ORPHAN_AFTER: seconds an event may wait before any process takes it up
    # (events of a worker that died after storing them; see bot/channels/line_inbox.py)
    inbox_orphan_after: float = 60.0
    # CLAIMBOT_INBOX_POLL: seconds between looks for stored events in `claimbot worker`,
    # which is not told of new events (the web processes store them)
    inbox_poll: float = 0.05

    @property
    def lease(self) -> float:
        """How long a claimed row belongs to its sender (then another may take it)."""
        return self.api_timeout * 2 + 5

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> DeliveryConfig:
        """Read the CLAIMBOT_* delivery knobs."""
        env = dict(os.environ if environ is None else environ)
        d = cls()
        return cls(
            in_app=env.get("CLAIMBOT_SENDER", "1").strip().lower() not in {"0", "false", "off"},
            threads=max(1, int(_seconds(env, "CLAIMBOT_SENDER_THREADS", d.threads))),
            poll=_seconds(env, "CLAIMBOT_SENDER_POLL", d.poll),
            retry_base=_seconds(env, "CLAIMBOT_RETRY_BASE", d.retry_base),
            retry_cap=_seconds(env, "CLAIMBOT_RETRY_CAP", d.retry_cap),
            give_up_after=_seconds(env, "CLAIMBOT_GIVE_UP_AFTER", d.give_up_after),
            reply_window=_seconds(env, "CLAIMBOT_REPLY_WINDOW", d.reply_window),
            api_timeout=_seconds(env, "CLAIMBOT_API_TIMEOUT", d.api_timeout),
            loading_after=_seconds(env, "CLAIMBOT_LOADING_AFTER", d.loading_after),
            inbox_in_app=env.get("CLAIMBOT_INBOX", "1").strip().lower()
            not in {"0", "false", "off"},
            inbox_threads=max(1, int(_seconds(env, "CLAIMBOT_INBOX_THREADS", d.inbox_threads))),
            inbox_orphan_after=_seconds(env, "CLAIMBOT_INBOX_ORPHAN_AFTER",
                                        d.inbox_orphan_after),
            inbox_poll=_seconds(env, "CLAIMBOT_INBOX_POLL", d.inbox_poll),
        )


@dataclass(frozen=True)
class CallResult:
    """What one API call came to: `ok`, `retry` (try again later), `gone` (reply token
    refused), `fail` (will never succeed); `uncertain` when the request may have landed."""

    outcome: str
    status: int | None = None
    error: str | None = None
    uncertain: bool = False


class LineApi:
    """The Messaging API through line-bot-sdk, with our own retries (urllib3's are off)."""

    def __init__(self, access_token: str, host: str | None, timeout: float) -> None:
        config = Configuration(access_token=access_token, host=host or DEFAULT_API)
        config.retries = False  # a retry is a recorded outbox attempt, never a hidden one
        self.client = ApiClient(config)
        self.api = MessagingApi(self.client)
        self.timeout = timeout

    def reply(self, token: str, messages: list[dict[str, Any]]) -> CallResult:
        """Send with a reply token."""
        request = ReplyMessageRequest.from_dict({"replyToken": token, "messages": messages})
        return self._call(lambda: self.api.reply_message_with_http_info(
            request, _request_timeout=self.timeout, _preload_content=False), reply=True)

    def push(self, to: str, messages: list[dict[str, Any]], retry_key: str) -> CallResult:
        """Push; the same retry key makes LINE accept it once (409 for a repeat)."""
        request = PushMessageRequest.from_dict({"to": to, "messages": messages})
        return self._call(lambda: self.api.push_message_with_http_info(
            request, x_line_retry_key=retry_key, _request_timeout=self.timeout,
            _preload_content=False), reply=False)

    def show_loading(self, chat_id: str, seconds: int = 5) -> None:
        """The typing dots in a one-on-one chat (best effort, nothing recorded)."""
        try:
            self.api.show_loading_animation(
                ShowLoadingAnimationRequest(chatId=chat_id, loadingSeconds=seconds),
                _request_timeout=min(self.timeout, 2.0))
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
            log.info("loading animation not shown: %s", type(exc).__name__)

    def _call(self, send: Any, reply: bool) -> CallResult:
        try:
            send()
            return CallResult("ok", 200)
        except ApiException as exc:
            return _classify(exc.status, str(exc.body or "")[:500], reply)
        except (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ProtocolError) as exc:
            # The request went out; LINE may have acted on it.
            return CallResult("retry", None, type(exc).__name__, uncertain=True)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            return CallResult("retry", None, type(exc).__name__)
        except Exception as exc:  # noqa: BLE001 - whatever it was, the request may have landed
            return CallResult("retry", None, type(exc).__name__, uncertain=True)

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()


def _classify(status: int, body: str, reply: bool) -> CallResult:
    if reply and status == 400 and "reply token" in body.lower():
        return CallResult("gone", status, "invalid reply token")
    if not reply and status == 409:  # this retry key was already accepted: delivered
        return CallResult("ok", status)
    if status == 429 or status >= 500 or status == 401:
        # Rate limit, LINE trouble, or a token being rotated: worth another try later.
        return CallResult("retry", status, f"HTTP {status}")
    return CallResult("fail", status, f"HTTP {status}")


def enqueue(session: Session, recipient: str, batches: list[list[dict[str, Any]]],
            reply_token: str | None, event_id: str | None, reply_until: datetime | None
            ) -> list[OutboxMessage]:
    """Add outbox rows for `batches` (the first may use the reply token); flushed, not sent."""
    rows = []
    now = utcnow()
    for n, batch in enumerate(batches):
        if not batch:
            continue
        row = OutboxMessage(channel="line", recipient=recipient, event_id=event_id,
                            reply_token=reply_token if n == 0 else None,
                            reply_until=reply_until if n == 0 else None, messages=batch,
                            retry_key=str(uuid.uuid4()), status="pending", attempts=0,
                            next_attempt_at=now, reply_uncertain=False, created_at=now)
        session.add(row)
        rows.append(row)
    if rows:
        session.flush()
    return rows


class Sender:
    """Delivers outbox rows: at once when kicked, and by polling for retries and leftovers."""

    def __init__(self, sessions: sessionmaker[Session], api: LineApi,
                 config: DeliveryConfig, read_sessions: sessionmaker[Session] | None = None
                 ) -> None:
        self.sessions = sessions
        # Lookups that never write (on SQLite they do not queue for the write lock).
        self.read_sessions = read_sessions or sessions
        self.api = api
        self.config = config
        self.queue: queue.Queue[int | None] = queue.Queue()
        # Rows waiting in the queue: a row is queued once, however often it is kicked or
        # polled (a backlog polled every second would otherwise flood the queue with repeats).
        self._queued: set[int] = set()
        self._queued_lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    # -- running -----------------------------------------------------------------------------
    def start(self) -> None:
        """Start the sending threads and the poller (daemon threads)."""
        for n in range(self.config.threads):
            t = threading.Thread(target=self._work, name=f"sender-{n}", daemon=True)
            t.start()
            self.threads.append(t)
        poller = threading.Thread(target=self._poll_forever, name="sender-poll", daemon=True)
        poller.start()
        self.threads.append(poller)

    def stop(self, timeout: float = 5.0) -> None:
        """Let the threads finish what they hold, then stop."""
        self.stopping.set()
        for _ in range(self.config.threads):
            self.queue.put(None)
        for t in self.threads:
            t.join(timeout)
        self.threads.clear()

    def kick(self, ids: list[int]) -> None:
        """Send these rows as soon as a thread is free."""
        for row_id in ids:
            self._enqueue(row_id)

    def _enqueue(self, row_id: int) -> None:
        with self._queued_lock:
            if row_id in self._queued:
                return
            self._queued.add(row_id)
        self.queue.put(row_id)

    def _work(self) -> None:
        while True:
            row_id = self.queue.get()
            if row_id is None:
                return
            with self._queued_lock:
                self._queued.discard(row_id)
            try:
                self.deliver(row_id)
            except Exception as exc:  # noqa: BLE001 - one row's trouble must not stop the thread
                log.error("delivery of outbox %s failed: %s", row_id, type(exc).__name__)

    def _poll_forever(self) -> None:
        while not self.stopping.wait(self.config.poll * random.uniform(0.8, 1.2)):
            try:
                for row_id in self.due():
                    self._enqueue(row_id)
            except Exception as exc:  # noqa: BLE001 - the database may be away for a while
                log.warning("outbox poll failed: %s", type(exc).__name__)

    # -- one row -----------------------------------------------------------------------------
    def due(self, limit: int = 100) -> list[int]:
        """Ids of rows that may be sent now, the oldest first, one per recipient (`deliver`
        goes on with the same person's next row)."""
        now = utcnow()
        first = func.min(OutboxMessage.id)
        query = (select(first)
                 .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now,
                        or_(OutboxMessage.lease_until.is_(None),
                            OutboxMessage.lease_until < now))
                 .group_by(OutboxMessage.recipient).order_by(first).limit(limit))
        with self.read_sessions() as session:
            return list(session.scalars(query))

    def claim(self, row_id: int) -> OutboxMessage | None:
        """Take the row for one attempt, if it is due, free, and first in its person's line."""
        now = utcnow()
        earlier = aliased(OutboxMessage)
        stmt = (update(OutboxMessage)
                .where(OutboxMessage.id == row_id, OutboxMessage.status == "pending",
                       OutboxMessage.next_attempt_at <= now,
                       or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
                       ~exists(select(earlier.id).where(
                           and_(earlier.recipient == OutboxMessage.recipient,
                                earlier.id < OutboxMessage.id, earlier.status == "pending"))))
                .values(lease_until=now + timedelta(seconds=self.config.lease),
                        attempts=OutboxMessage.attempts + 1)
                .execution_options(synchronize_session=False))
        with self.sessions.begin() as session:
            if session.execute(stmt).rowcount != 1:
                return None
            return session.get(OutboxMessage, row_id)

    def deliver(self, row_id: int) -> None:
        """Try one row now; on success go on with the same person's next row."""
        while row_id is not None:
            row = self.claim(row_id)
            if row is None:
                return
            sent = self._attempt(row)
            row_id = self._next_of(row.recipient, row.id) if sent else None

    def _next_of(self, recipient: str, after: int) -> int | None:
        query = (select(func.min(OutboxMessage.id))
                 .where(OutboxMessage.recipient == recipient, OutboxMessage.id > after,
                        OutboxMessage.status == "pending"))
        with self.read_sessions() as session:
            return session.scalar(query)

    def _attempt(self, row: OutboxMessage) -> bool:
        now = utcnow()
        use_reply = (row.reply_token is not None and row.reply_until is not None
                     and now < row.reply_until)
        started = time.perf_counter()
        if use_reply:
            assert row.reply_token is not None
            method, result = "reply", self.api.reply(row.reply_token, row.messages)
            if result.outcome == "gone" and row.reply_uncertain:
                # An earlier reply timed out and the token is now spent: that reply landed.
                result = CallResult("ok", result.status, "reply token spent by the earlier try")
        else:
            method, result = "push", self.api.push(row.recipient, row.messages, row.retry_key)
        elapsed = time.perf_counter() - started
        metrics.DELIVERIES.labels(method=method, outcome=result.outcome).inc()
        metrics.API_SECONDS.labels(method=method).observe(elapsed)
        self._record(row, method, result, elapsed)
        if result.outcome != "ok":
            log.info("outbox %s %s attempt %d: %s", row.id, method, row.attempts,
                     result.error or result.outcome)
        return result.outcome == "ok"

    def _record(self, row: OutboxMessage, method: str, result: CallResult,
                elapsed: float) -> None:
        now = utcnow()
        values: dict[str, Any] = {"lease_until": None, "method": method,
                                  "last_error": result.error}
        if result.outcome == "ok":
            values.update(status="sent", sent_at=now, messages=[])
        elif result.outcome == "gone":
            # The token has expired or was used: the next try is a push, at once.
            values.update(reply_token=None, next_attempt_at=now)
        elif (result.outcome == "fail"
              or (result.status == 401 and row.attempts >= MAX_UNAUTHORIZED)
              or (now - row.created_at).total_seconds() > self.config.give_up_after):
            values.update(status="failed")
            metrics.FAILED.inc()
            log.error("outbox %s given up after %d attempts: %s", row.id, row.attempts,
                      result.error)
        else:
            delay = min(self.config.retry_base * 2 ** max(row.attempts - 1, 0),
                        self.config.retry_cap) * random.uniform(0.8, 1.2)
            values.update(next_attempt_at=now + timedelta(seconds=delay))
            if method == "reply" and result.uncertain:
                # Ask again at once, while the token lives: LINE then says whether it is spent.
                values.update(reply_uncertain=True, next_attempt_at=now)
            metrics.RETRIES.inc()
        with self.sessions.begin() as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id)
                            .values(**values).execution_options(synchronize_session=False))
            session.add(DeliveryAttempt(outbox_id=row.id, at=now, method=method,
                                        status_code=result.status, result=result.outcome,
                                        error=result.error, duration_ms=int(elapsed * 1000)))
        if result.outcome == "gone":
            self._enqueue(row.id)


def outbox_depth(session: Session) -> int:
    """How many rows are still owed."""
    query = select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == "pending")
    return session.scalar(query) or 0
