"""Queries and writes; each takes a Session and leaves commit/rollback to the caller."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.faq.entries import Entry
from bot.store.models import Claim, Conversation, FaqEntry, UnansweredQuestion
from bot.textnorm import normalize


def insert_for(dialect: str):  # type: ignore[no-untyped-def]
    """The dialect's INSERT (both take ON CONFLICT): PostgreSQL's or SQLite's."""
    return pg_insert if dialect == "postgresql" else sqlite_insert


def _insert(session: Session):  # type: ignore[no-untyped-def]
    return insert_for(session.get_bind().dialect.name)


def load_entries(session: Session) -> list[Entry]:
    """The FAQ as staff keep it, in their order."""
    rows = session.scalars(select(FaqEntry).order_by(FaqEntry.position, FaqEntry.id))
    return [
        Entry(id=r.id, question=r.question, answer=r.answer, examples=tuple(r.examples),
              tags=tuple(r.tags))
        for r in rows
    ]


def count_entries(session: Session) -> int:
    """How many FAQ entries the database holds."""
    return session.scalar(select(func.count()).select_from(FaqEntry)) or 0


def replace_entries(session: Session, entries: Sequence[Entry]) -> None:
    """Make the FAQ exactly `entries` (one transaction: readers see old or new, never half)."""
    session.execute(delete(FaqEntry))
    for position, e in enumerate(entries):
        session.add(FaqEntry(id=e.id, position=position, question=e.question, answer=e.answer,
                             examples=list(e.examples), tags=list(e.tags)))


SEED_LOCK = 7_419_002  # PostgreSQL advisory lock: workers starting together seed in turn


def seed_if_empty(session: Session, entries: Sequence[Entry]) -> bool:
    """Copy the starting FAQ in on first start; True if it did."""
    if session.get_bind().dialect.name == "postgresql":
        # Otherwise two workers on a fresh database both see it empty and both insert.
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEED_LOCK})
    if count_entries(session):
        return False
    replace_entries(session, entries)
    return True


def find_conversation(session: Session, channel: str, user_key: str) -> Conversation | None:
    """The person's conversation row as it is now (no lock), or None before first contact."""
    return session.scalar(select(Conversation).where(Conversation.channel == channel,
                                                     Conversation.user_key == user_key))


def lock_conversation(session: Session, channel: str, user_key: str) -> Conversation:
    """The person's conversation row, locked until commit (created on first contact)."""
    query = (select(Conversation)
             .where(Conversation.channel == channel, Conversation.user_key == user_key)
             .with_for_update())
    row = session.scalar(query)
    if row is not None:
        return row
    stmt = _insert(session)(Conversation).values(channel=channel, user_key=user_key, state={},
                                                 turns=0)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["channel", "user_key"]))
    row = session.scalar(query)
    assert row is not None  # inserted above, or by a concurrent first event
    return row


def record_unanswered(session: Session, text: str, now: datetime) -> None:
    """Count a question the bot could not answer (already redacted by the engine)."""
    key = normalize(text)[:200] or "(空)"
    stmt = _insert(session)(UnansweredQuestion).values(
        normalized=key, text=text[:1000], count=1, first_seen=now, last_seen=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["normalized"],
        set_={"count": UnansweredQuestion.count + 1, "last_seen": now},
    )
    session.execute(stmt)


def unanswered(session: Session, limit: int = 100) -> list[UnansweredQuestion]:
    """Most asked unanswered questions first."""
    query = (select(UnansweredQuestion)
             .order_by(UnansweredQuestion.count.desc(), UnansweredQuestion.last_seen.desc())
             .limit(limit))
    return list(session.scalars(query))


RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read over the phone


def new_receipt() -> str:
    """RP-XXXX-XXXX, random, easy to read aloud."""
    body = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(8))
    return f"RP-{body[:4]}-{body[4:]}"


def file_claim(session: Session, conversation_id: int, dialog_seq: int, kind: str, route: str,
               items: dict[str, Any], answers: dict[str, Any], now: datetime) -> Claim:
    """File the claim of one dialog instance once; a second call returns the first claim."""
    query = select(Claim).where(Claim.conversation_id == conversation_id,
                                Claim.dialog_seq == dialog_seq)
    existing = session.scalar(query)
    if existing is not None:
        return existing
    for _ in range(5):
        try:
            with session.begin_nested():
                claim = Claim(receipt=new_receipt(), conversation_id=conversation_id,
                              dialog_seq=dialog_seq, kind=kind, route=route, items=items,
                              answers=answers, created_at=now, updated_at=now)
                session.add(claim)
            return claim
        except IntegrityError:
            existing = session.scalar(query)
            if existing is not None:  # filed by a concurrent request for the same dialog
                return existing
    raise RuntimeError("could not allocate a receipt number")


def claims_of(session: Session, conversation_id: int) -> list[Claim]:
    """The claims filed in one conversation, oldest first."""
    query = select(Claim).where(Claim.conversation_id == conversation_id).order_by(Claim.id)
    return list(session.scalars(query))


def delete_personal(session: Session, conversation_id: int, now: datetime) -> int:
    """Erase the personal items of a conversation's claims; the anonymous record stays."""
    count = 0
    for claim in claims_of(session, conversation_id):
        if claim.items is not None:
            claim.items = None
            claim.personal_deleted_at = now
            count += 1
    return count
