"""One LINE webhook event, exactly once: dedupe, step the engine, write the outbox, commit.

Events are read from the JSON leniently (LINE has sent the same event type in several shapes
over the years; a strict model rejecting an old field layout would drop a person's message).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from bot import metrics
from bot.channels.line_render import render
from bot.engine import Input
from bot.outbox import DeliveryConfig, enqueue, utcnow
from bot.service import Bot, Prepared
from bot.store import repo
from bot.store.delivery import LineEvent, LineSource
from bot.store.models import Conversation

log = logging.getLogger(__name__)

CHANNEL = "line"
# Said once in a group or room; the bot then stays silent there.
GROUP_NOTICE = ("このアカウントは1対1のトークでご案内しています。"
                "お手数ですが、友だち追加のうえ個別のトークでご質問ください。")
NOT_TEXT = ("ありがとうございます。申し訳ありませんが、画像・スタンプ・位置情報・ファイルなどは"
            "読み取れません。ご質問は文字で入力するか、下のボタンからお選びください。")
TROUBLE = ("申し訳ありません。ただいまこのメッセージを処理できませんでした。"
           "少し時間をおいてもう一度お送りいただくか、コールセンターへお問い合わせください。")
MEDIA = {"image", "video", "audio", "file", "location", "sticker"}
DB_RETRIES = 3  # a deadlock or a lock timeout is tried again before the event is given up


QUEUED = "queued"  # stored by the webhook, not handled yet


class Retryable(Exception):
    """The database did not take the event: LINE should send it again (503), or, for a
    stored event, it waits to be tried again."""


def queue_key(chat_id: str | None) -> str:
    """The queue an event waits in: its chat (user, group or room); "" for none."""
    return chat_id or ""


def _of_queue(key: str) -> Any:
    return LineEvent.source_id == key if key else LineEvent.source_id.is_(None)


@dataclass(frozen=True)
class Incoming:
    """The fields of a webhook event the bot uses."""

    event_id: str
    type: str
    mode: str
    kind: str | None  # user, group, room
    user_id: str | None
    chat_id: str | None  # where a reply goes: the user, group or room
    reply_token: str | None
    message_type: str | None = None
    message_id: str | None = None
    text: str | None = None
    postback: str | None = None
    unsent_id: str | None = None
    timestamp: float | None = None  # when the event happened (LINE's clock), epoch seconds


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _id(value: Any, longest: int) -> str | None:
    """An id as a string (LINE sends some as numbers), or None if absent or too long."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    text = _str(value)
    return text if text is not None and len(text) <= longest else None


def read_event(raw: Any) -> Incoming | None:
    """The event's fields, or None if it is not an event at all."""
    if not isinstance(raw, dict) or not _str(raw.get("type")):
        return None
    source = raw.get("source") if isinstance(raw.get("source"), dict) else {}
    kind = _str(source.get("type"))
    # LINE's ids are short (33 characters; message ids about 18 digits): a longer one is no id
    # of LINE's, and must not make the event impossible to store.
    user_id = _id(source.get("userId"), 100)
    chat_id = {"user": user_id, "group": _id(source.get("groupId"), 100),
               "room": _id(source.get("roomId"), 100)}.get(kind or "")
    message = raw.get("message") if isinstance(raw.get("message"), dict) else {}
    postback = raw.get("postback") if isinstance(raw.get("postback"), dict) else {}
    unsend = raw.get("unsend") if isinstance(raw.get("unsend"), dict) else {}
    event_id = _str(raw.get("webhookEventId"))
    if event_id is None or len(event_id) > 64:
        # No id (an old payload form): the event itself, minus redelivery marks, is its id.
        body = {k: v for k, v in raw.items() if k != "deliveryContext"}
        digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False)
                                .encode()).hexdigest()
        event_id = "sha256:" + digest[:56]
    return Incoming(
        event_id=event_id, type=raw["type"], mode=_str(raw.get("mode")) or "active",
        kind=kind, user_id=user_id, chat_id=chat_id, reply_token=_str(raw.get("replyToken")),
        message_type=_str(message.get("type")), message_id=_id(message.get("id"), 40),
        text=message.get("text") if isinstance(message.get("text"), str) else None,
        postback=postback.get("data") if isinstance(postback.get("data"), str) else None,
        unsent_id=_id(unsend.get("messageId"), 40),
        timestamp=(raw["timestamp"] / 1000 if isinstance(raw.get("timestamp"), int | float)
                   and not isinstance(raw.get("timestamp"), bool) else None),
    )


@functools.cache
def _store_statement(dialect: str) -> Any:
    """INSERT a webhook event unless its id is known; RETURNING tells which were new."""
    table = LineEvent.__table__
    stmt = repo.insert_for(dialect)(table)
    return stmt.on_conflict_do_nothing(index_elements=["webhook_event_id"]).returning(
        table.c.id)


def _input(event: Incoming) -> Input | None:
    """What a person's active text or postback says to the engine (None for other events)."""
    if event.mode == "standby" or event.kind != "user" or event.user_id is None:
        return None
    if event.type == "postback" and event.postback is not None:
        return Input(postback=event.postback)
    if event.type == "message" and event.message_type == "text":
        return Input(text=event.text or "")
    return None


def _follow_input(has_history: bool) -> Input:
    """A follow: the engine's own event once it has one, else what yields its greeting."""
    if "event" in {f.name for f in dataclasses.fields(Input)}:
        return Input(event="follow")  # type: ignore[call-arg]
    return Input(text="メニュー") if has_history else Input(text="")


class LineEvents:
    """Takes webhook events into the database, then handles them one by one, in order.

    The webhook only `accept`s: the request's new events are stored in one transaction
    (outcome "queued", the event encrypted) and LINE gets its 200 at once, as LINE asks of a
    webhook. `handle` then answers each event in its own transaction: the outcome, the
    conversation's new state and the outbox rows commit together, and the stored event is
    emptied. One person's events are handled oldest first (see `next_queued`).
    """

    def __init__(self, bot: Bot, config: DeliveryConfig,
                 show_loading: Callable[[str], None] | None = None) -> None:
        self.bot = bot
        self.config = config
        self.show_loading = show_loading

    # -- the webhook's part ------------------------------------------------------------------
    def accept(self, raws: list[Any]) -> list[str]:
        """Store the new events of one request; the queues (chat ids) that got one.

        Raises Retryable when the database keeps refusing: the webhook answers 503 and LINE
        sends the request again (the events already stored are then duplicates).
        """
        events = []
        for raw in raws:
            event = read_event(raw)
            if event is None:
                metrics.EVENTS.labels(type="invalid", outcome="ignored").inc()
            else:
                events.append((raw, event))
        if not events:
            return []
        for attempt in range(DB_RETRIES):
            try:
                return self._store(events)
            except DBAPIError as exc:
                if attempt == DB_RETRIES - 1 or not _transient(exc):
                    log.error("webhook events not stored: %s", type(exc).__name__)
                    raise Retryable from None
        return []  # pragma: no cover - the loop returns or raises

    def _store(self, events: list[tuple[Any, Incoming]]) -> list[str]:
        """One transaction for the request: each new event stored, waiting (Core, one
        statement compiled once: this runs on every webhook call)."""
        now = utcnow()
        keys: dict[str, None] = {}
        duplicates: list[str] = []
        engine = self.bot.engine
        stmt = _store_statement(engine.dialect.name)
        with engine.begin() as conn:
            for raw, event in events:
                message_id = event.unsent_id if event.type == "unsend" else event.message_id
                stored = conn.execute(stmt, {
                    "webhook_event_id": event.event_id, "event_type": event.type[:40],
                    "source_id": event.chat_id, "message_id": message_id, "outcome": QUEUED,
                    "unsent": False, "received_at": now, "payload": raw}).first()
                if stored is not None:
                    keys[queue_key(event.chat_id)] = None
                else:
                    duplicates.append(event.type)
        for kind in duplicates:
            metrics.EVENTS.labels(type=kind, outcome="duplicate").inc()
        return list(keys)

    # -- handling, after the 200 -------------------------------------------------------------
    def next_queued(self, key: str) -> tuple[int, Incoming] | None:
        """The oldest event of one chat still waiting, if any.

        Whoever handles a chat's events always takes its oldest waiting one, and takes it
        only while it is still waiting (`_once`), so a chat's events are answered in the
        order they came, one at a time, whichever worker or host holds them.
        """
        with self.bot.read_sessions() as session:
            row = session.execute(
                select(LineEvent.id, LineEvent.payload)
                .where(LineEvent.outcome == QUEUED, _of_queue(key))
                .order_by(LineEvent.id).limit(1)).first()
        if row is None:
            return None
        event = read_event(row.payload)
        if event is None:  # cannot happen for a stored event; never block the queue on it
            with self.bot.sessions.begin() as session:
                session.execute(LineEvent.__table__.update().where(
                    LineEvent.id == row.id).values(outcome="ignored", payload=None))
            return self.next_queued(key)
        return row.id, event

    def waiting(self, older_than: float) -> list[str]:
        """Queues with an event waiting longer than `older_than` seconds (a worker died)."""
        since = utcnow() - timedelta(seconds=older_than)
        with self.bot.read_sessions() as session:
            rows = session.execute(
                select(LineEvent.source_id).where(LineEvent.outcome == QUEUED,
                                                  LineEvent.received_at < since)
                .group_by(LineEvent.source_id).limit(1000))
            return [queue_key(r.source_id) for r in rows]

    def handle(self, row_id: int, event: Incoming) -> list[int]:
        """Answer one stored event in its own transaction; the ids of the outbox rows written.

        A database that keeps refusing leaves the event waiting (it is tried again later);
        other errors are contained: the person gets an apology and the event is recorded as
        failed.
        """
        for attempt in range(DB_RETRIES):
            try:
                with self._loading(event):
                    return self._once(row_id, event, self._prepare(event))
            except DBAPIError as exc:
                if not _transient(exc):
                    _log_failure(event, exc)
                    return self._apologise(row_id, event)
                if attempt == DB_RETRIES - 1:
                    metrics.EVENTS.labels(type=event.type, outcome="retry").inc()
                    log.error("event %s not handled yet: %s", event.event_id,
                              type(exc).__name__)
                    raise Retryable from None
            except Exception as exc:  # noqa: BLE001 - a bug in one event must not hurt others
                _log_failure(event, exc)
                return self._apologise(row_id, event)
        return []  # pragma: no cover - the loop returns or raises

    # -- the transaction -------------------------------------------------------------------
    def _prepare(self, event: Incoming) -> Prepared | None:
        """A text or a tap of a person: the engine's step, computed before the transaction.

        On SQLite the write transaction is the database's one writer; the FAQ matcher (the
        costly part of a step) must not run inside it. The step is only used if the person's
        conversation is unchanged when the transaction has it locked (see Bot.step_in).
        """
        inp = _input(event)
        if inp is None or event.user_id is None:
            return None
        return self.bot.prepare(CHANNEL, event.user_id, inp)

    def _once(self, row_id: int, event: Incoming, prepared: Prepared | None = None
              ) -> list[int]:
        now = utcnow()
        with self.bot.sessions.begin() as session:
            received = self._take(session, row_id)
            if received is None:
                return []  # another worker took it first
            outcome, messages = self._dispatch(session, event, now, prepared)
            session.execute(LineEvent.__table__.update().where(LineEvent.id == row_id)
                            .values(outcome=outcome))
            rows = self._owe(session, event, messages, received)
            ids = [row.id for row in rows]
        metrics.EVENTS.labels(type=event.type, outcome=outcome).inc()
        metrics.REPLIES.inc(len(ids))
        return ids

    @staticmethod
    def _take(session: Session, row_id: int, outcome: str = "taking") -> datetime | None:
        """Take a waiting event in this transaction (its row stays locked until commit) and
        forget what it said; when it was received, or None if it was handled already."""
        stmt = (LineEvent.__table__.update()
                .where(LineEvent.id == row_id, LineEvent.outcome == QUEUED)
                .values(outcome=outcome, payload=None).returning(LineEvent.received_at))
        row = session.execute(stmt).first()
        if row is None:
            return None
        received: datetime = row.received_at
        return received if received.tzinfo else received.replace(tzinfo=UTC)

    def _owe(self, session: Session, event: Incoming, messages: list[dict[str, Any]],
             received: datetime) -> list[Any]:
        """Outbox rows for the answer; its reply token is trusted for the reply window from
        when LINE delivered the event (later, the answer goes out as a push)."""
        if not messages or event.chat_id is None:
            return []
        until = (received + timedelta(seconds=self.config.reply_window) if event.reply_token
                 else None)
        return enqueue(session, event.chat_id, render(messages), event.reply_token,
                       event.event_id, until)

    def _dispatch(self, session: Session, event: Incoming, now: datetime,
                  prepared: Prepared | None = None) -> tuple[str, list[dict[str, Any]]]:
        if event.mode == "standby":
            return "standby", []  # another channel answers this person now
        if event.kind in ("group", "room"):
            return self._group(session, event, now)
        if event.kind != "user" or event.user_id is None:
            return "ignored", []
        user = event.user_id
        if event.type == "unfollow":
            self._source(session, user, "user", now, active=False)
            return "unfollowed", []
        if event.type == "unsend":
            return self._unsend(session, event)
        if event.type == "follow":
            self._source(session, user, "user", now, active=True)
            has_history = session.scalar(select(Conversation.id).where(
                Conversation.channel == CHANNEL, Conversation.user_key == user)) is not None
            return "answered", self._step(session, user, _follow_input(has_history))
        inp = _input(event)
        if event.type == "postback" and inp is not None:
            return "answered", self._step(session, user, inp, prepared)
        if event.type == "message" and inp is not None:
            if event.message_id and self._was_unsent(session, event.message_id, user):
                return "unsent", []
            messages = self._step(session, user, inp, prepared)
            if event.message_id:
                turns = session.scalar(select(Conversation.turns).where(
                    Conversation.channel == CHANNEL, Conversation.user_key == user))
                session.execute(LineEvent.__table__.update()
                                .where(LineEvent.webhook_event_id == event.event_id)
                                .values(turn=turns))
            return "answered", messages
        if event.type == "message" and event.message_type in MEDIA:
            buttons = [{"label": label, "text": label} for label in self.bot.messages.menu]
            return "not_text", [{"type": "text", "text": NOT_TEXT, "buttons": buttons}]
        return "ignored", []

    def _step(self, session: Session, user: str, inp: Input,
              prepared: Prepared | None = None) -> list[dict[str, Any]]:
        return list(self.bot.step_in(session, CHANNEL, user, inp, prepared=prepared).messages)

    def _source(self, session: Session, source_id: str, kind: str, now: datetime,
                active: bool) -> None:
        values: dict[str, Any] = {"active": active, "last_seen": now}
        if not active:
            values["unfollowed_at"] = now
        stmt = repo.insert_for(session.get_bind().dialect.name)(LineSource).values(
            source_id=source_id, kind=kind, first_seen=now, **values)
        session.execute(stmt.on_conflict_do_update(index_elements=["source_id"], set_=values))

    def _group(self, session: Session, event: Incoming, now: datetime
               ) -> tuple[str, list[dict[str, Any]]]:
        assert event.kind is not None
        if event.chat_id is None:
            return "ignored", []
        active = event.type != "leave"
        self._source(session, event.chat_id, event.kind, now, active=active)
        if not active or event.reply_token is None:
            return "group", []
        source = session.scalar(select(LineSource).where(LineSource.source_id == event.chat_id)
                                .with_for_update())
        if source is None or source.notified_at is not None:
            return "group", []
        source.notified_at = now
        return "group_notice", [{"type": "text", "text": GROUP_NOTICE}]

    def _was_unsent(self, session: Session, message_id: str, user: str) -> bool:
        query = select(LineEvent.id).where(LineEvent.event_type == "unsend",
                                           LineEvent.message_id == message_id,
                                           LineEvent.source_id == user)
        return session.scalar(query.limit(1)) is not None

    def _unsend(self, session: Session, event: Incoming) -> tuple[str, list[dict[str, Any]]]:
        """Stop using an unsent message: forget a question the bot was holding from it."""
        user = event.user_id
        assert user is not None
        if event.unsent_id is None:
            return "ignored", []
        taken = session.scalar(select(LineEvent).where(
            LineEvent.message_id == event.unsent_id, LineEvent.source_id == user,
            LineEvent.event_type == "message"))
        if taken is None:
            return "unsend_early", []  # the message itself will be skipped when it comes
        taken.unsent = True
        conv = repo.lock_conversation(session, CHANNEL, user)
        state = dict(conv.state or {})
        if taken.turn is not None and conv.turns == taken.turn and "pending_question" in state:
            state.pop("pending_question")
            conv.state = state
        return "unsent", []

    # -- when things go wrong --------------------------------------------------------------
    def _apologise(self, row_id: int, event: Incoming) -> list[int]:
        """Record the event as failed and tell the person (in a fresh transaction)."""
        messages: list[dict[str, Any]] = []
        if event.kind == "user" and event.type in ("message", "postback", "follow"):
            hotline = self.bot.facts.hotline
            messages = [{"type": "text", "text": TROUBLE, "buttons": [
                {"label": self.bot.messages.labels.call, "uri": hotline.tel_uri}]}]
        try:
            with self.bot.sessions.begin() as session:
                received = self._take(session, row_id, outcome="failed")
                if received is None:
                    return []  # handled after all (by another worker)
                ids = [row.id for row in self._owe(session, event, messages, received)]
        except Exception as exc:  # noqa: BLE001
            log.error("event %s: could not record the failure: %s", event.event_id,
                      type(exc).__name__)
            raise Retryable from None
        metrics.EVENTS.labels(type=event.type, outcome="failed").inc()
        return ids

    @contextmanager
    def _loading(self, event: Incoming) -> Iterator[None]:
        """Show LINE's loading animation if the answer takes longer than a moment."""
        wanted = (self.show_loading is not None and self.config.loading_after >= 0
                  and event.kind == "user" and event.user_id is not None
                  and event.mode == "active" and event.type in ("message", "postback"))
        if not wanted:
            yield
            return
        assert self.show_loading is not None
        # The person has waited since they sent it: an event that waited its turn shows
        # the animation at once.
        waited = time.time() - event.timestamp if event.timestamp else 0.0
        delay = max(0.0, self.config.loading_after - min(max(waited, 0.0), 3600.0))
        timer = threading.Timer(delay, self.show_loading, args=(event.user_id,))
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()


def _transient(exc: DBAPIError) -> bool:
    """Deadlocks, serialization failures, lock timeouts, lost connections: worth a retry."""
    if exc.connection_invalidated:
        return True
    code = getattr(exc.orig, "sqlstate", None)
    return code in {"40001", "40P01", "55P03", "57014"} or isinstance(exc, OperationalError)


def _log_failure(event: Incoming, exc: BaseException) -> None:
    """Where it failed, without the exception's message (it may quote what the person wrote)."""
    where = "".join(traceback.format_tb(exc.__traceback__)[-3:])
    log.error("event %s (%s) failed: %s\n%s", event.event_id, event.type, type(exc).__name__,
              where)
