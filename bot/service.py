"""The bot as a service: settings, database, knowledge and matcher, one transaction per input."""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.crypto import install, keyring_for
from bot.engine import ClaimView, Context, Input, Message, Step, step
from bot.faq.matcher import Matcher
from bot.flow import RECEIPT
from bot.knowledge import Knowledge, load_dialog, load_static, seed_entries
from bot.store import repo
from bot.store.db import make_engine, session_factory, upgrade
from bot.store.models import Conversation

log = logging.getLogger(__name__)


@dataclass
class Reply:
    """What the bot answers to one input."""

    messages: list[Message]


@dataclass(frozen=True)
class Prepared:
    """A step computed before the transaction, from the conversation as it was read then."""

    channel: str
    user_key: str
    inp: Input
    turns: int
    state: dict[str, Any]
    claims: tuple[ClaimView, ...]
    now: datetime
    result: Step


class Bot:
    """Loads everything once; `handle` answers one input of one person, atomically."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock = Clock.from_setting(settings.now)
        now = self.clock.now()
        self.facts, self.messages = load_static(settings.knowledge_dir, now)
        self.flow = load_dialog(settings.dialogs_dir, self.facts, now)
        self.engine = make_engine(settings.db_url)
        install(keyring_for(settings))
        upgrade(self.engine)
        self.sessions: sessionmaker[Session] = session_factory(self.engine)
        # Sessions that only read: on SQLite they do not queue for the write lock.
        self.read_sessions: sessionmaker[Session] = session_factory(self.engine, read_only=True)
        with self.sessions.begin() as session:
            if repo.seed_if_empty(session, seed_entries(settings.knowledge_dir)):
                log.info("FAQ seeded from %s", settings.knowledge_dir / "faq.yaml")
        self.reload()

    def reload(self) -> None:
        """Read the FAQ from the database again and rebuild the matcher."""
        with self.read_sessions() as session:
            entries = repo.load_entries(session)
        self.knowledge = Knowledge(self.facts, self.messages, tuple(entries), self.flow)
        self.matcher = Matcher(entries, self.facts, self.clock.now(),
                               semantic=self.settings.semantic, cache_dir=self.settings.cache_dir)

    def handle(self, channel: str, user_key: str, inp: Input) -> Reply:
        """Answer one input in its own transaction."""
        with self.sessions.begin() as session:
            return self.step_in(session, channel, user_key, inp)

    def prepare(self, channel: str, user_key: str, inp: Input) -> Prepared:
        """Step the engine on the conversation as it is now, without locking or writing.

        The costly part of a step (the FAQ matcher) then runs outside the write transaction;
        `step_in` uses the result only if the conversation is still exactly as it was read.
        """
        now = self.clock.now()
        with self.read_sessions() as session:
            conv = repo.find_conversation(session, channel, user_key)
            state = dict(conv.state or {}) if conv is not None else {}
            turns = (conv.turns or 0) if conv is not None else 0
            claims = _claim_views(session, conv.id) if conv is not None else ()
        ctx = Context(now=now, knowledge=self.knowledge, matcher=self.matcher, claims=claims,
                      privacy_url=self.privacy_url)
        result = step(copy.deepcopy(state), inp, ctx)
        return Prepared(channel, user_key, inp, turns, state, claims, now, result)

    def step_in(self, session: Session, channel: str, user_key: str, inp: Input,
                prepared: Prepared | None = None) -> Reply:
        """Lock the conversation, step the engine, apply effects and save, inside `session`.

        The caller owns the transaction, so a channel can add its own rows (event dedupe,
        outbox) to the same commit. A `prepared` step is used when the locked conversation
        (turns, state, claims) is the one it was computed from; otherwise the step is redone.
        """
        conv = repo.lock_conversation(session, channel, user_key)
        claims = _claim_views(session, conv.id)
        if (prepared is not None and (prepared.channel, prepared.user_key, prepared.inp)
                == (channel, user_key, inp) and prepared.turns == (conv.turns or 0)
                and prepared.claims == claims and prepared.state == (conv.state or {})):
            now, result = prepared.now, prepared.result
        else:
            now = self.clock.now()
            ctx = Context(now=now, knowledge=self.knowledge, matcher=self.matcher,
                          claims=claims, privacy_url=self.privacy_url)
            result = step(dict(conv.state or {}), inp, ctx)
        receipt = None
        for effect in result.effects:
            receipt = self._apply(session, conv, effect, now) or receipt
        if receipt is not None:
            # The engine wrote a placeholder where the store's receipt number belongs.
            result = replace_receipt(result, receipt)
        conv.state = result.state
        conv.turns = (conv.turns or 0) + 1
        return Reply(result.messages)

    @property
    def privacy_url(self) -> str:
        """Where the privacy page is, for the consent message."""
        return self.settings.public_url.rstrip("/") + self.facts.privacy.page_path

    def _apply(self, session: Session, conv: Conversation, effect: dict[str, Any],
               now: datetime) -> str | None:
        """Carry out one effect inside the transaction; a filed claim returns its receipt."""
        kind = effect["type"]
        if kind == "unanswered":
            repo.record_unanswered(session, effect["text"], now)
        elif kind == "file_claim":
            claim = repo.file_claim(session, conv.id, effect["dialog_seq"], effect["kind"],
                                    effect["route"], effect["items"], effect["answers"], now)
            log.info("claim filed: %s route=%s", claim.receipt, claim.route)
            return claim.receipt
        elif kind == "delete_personal":
            count = repo.delete_personal(session, conv.id, now)
            log.info("personal items deleted from %d claim(s)", count)
        else:  # a new effect type without a handler is a programming error, said loudly
            raise ValueError(f"unknown effect {kind!r}")
        return None

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()


def _claim_views(session: Session, conversation_id: int) -> tuple[ClaimView, ...]:
    return tuple(
        ClaimView(c.receipt, c.status, c.created_at, c.personal_deleted_at is not None)
        for c in repo.claims_of(session, conversation_id)
    )


def replace_receipt(result: Step, receipt: str) -> Step:
    """The step's messages and state with the receipt placeholder filled in."""
    messages = json.loads(json.dumps(result.messages, ensure_ascii=False).replace(RECEIPT, receipt))
    state = json.loads(json.dumps(result.state, ensure_ascii=False).replace(RECEIPT, receipt))
    return Step(state, messages, result.effects)
