"""LINE delivery tables: processed webhook events, known sources, the outbox and its attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.crypto import EncryptedJSON
from bot.store.models import Base, utcnow


class LineEvent(Base):
    """A webhook event taken in: the unique id makes every event count once.

    The webhook stores the event (outcome "queued", the event itself encrypted in `payload`)
    and answers 200; it is then handled in order with the person's other events, and
    `payload` is emptied in the transaction that records the outcome.
    """

    __tablename__ = "line_events"
    __table_args__ = (Index("ix_line_events_queue", "outcome", "source_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[str | None] = mapped_column(String(100))
    # For text messages: LINE's message id, and the conversation turn it produced (unsend).
    message_id: Mapped[str | None] = mapped_column(String(40), index=True)
    turn: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20), default="done")
    unsent: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[Any | None] = mapped_column(EncryptedJSON, nullable=True)


class LineSource(Base):
    """A LINE user, group or room the bot has heard from (never deleted, only deactivated)."""

    __tablename__ = "line_sources"

    source_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(default=True)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    unfollowed_at: Mapped[datetime | None]
    # Groups and rooms get one notice that the bot works one-on-one, then silence.
    notified_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """Messages owed to one recipient: written with the state change, sent after commit."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_recipient", "recipient", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), default="line")
    recipient: Mapped[str] = mapped_column(String(100))
    event_id: Mapped[str | None] = mapped_column(String(64))
    reply_token: Mapped[str | None] = mapped_column(String(255))
    reply_until: Mapped[datetime | None]
    # LINE message objects (API JSON); emptied once delivered, so no answer lingers here.
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    retry_key: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    # A reply attempt ended without an answer (timeout): it may have reached the person.
    reply_uncertain: Mapped[bool] = mapped_column(default=False)
    method: Mapped[str | None] = mapped_column(String(10))
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class DeliveryAttempt(Base):
    """One call to the LINE API for an outbox row, whatever came of it."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    method: Mapped[str] = mapped_column(String(10))
    status_code: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(String(200))
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
