"""The bot as a service: settings, database, knowledge and matcher, one transaction per input."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.engine import Context, Input, Message, step
from bot.faq.matcher import Matcher
from bot.knowledge import Knowledge, load_static, seed_entries
from bot.store import repo
from bot.store.db import make_engine, session_factory, upgrade

log = logging.getLogger(__name__)


@dataclass
class Reply:
    """What the bot answers to one input."""

    messages: list[Message]


class Bot:
    """Loads everything once; `handle` answers one input of one person, atomically."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock = Clock.from_setting(settings.now)
        now = self.clock.now()
        self.facts, self.messages = load_static(settings.knowledge_dir, now)
        self.engine = make_engine(settings.db_url)
        upgrade(self.engine)
        self.sessions: sessionmaker[Session] = session_factory(self.engine)
        with self.sessions.begin() as session:
            if repo.seed_if_empty(session, seed_entries(settings.knowledge_dir)):
                log.info("FAQ seeded from %s", settings.knowledge_dir / "faq.yaml")
        self.reload()

    def reload(self) -> None:
        """Read the FAQ from the database again and rebuild the matcher."""
        with self.sessions() as session:
            entries = repo.load_entries(session)
        self.knowledge = Knowledge(self.facts, self.messages, tuple(entries))
        self.matcher = Matcher(entries, self.facts, self.clock.now(),
                               semantic=self.settings.semantic, cache_dir=self.settings.cache_dir)

    def handle(self, channel: str, user_key: str, inp: Input) -> Reply:
        """Answer one input in its own transaction."""
        with self.sessions.begin() as session:
            return self.step_in(session, channel, user_key, inp)

    def step_in(self, session: Session, channel: str, user_key: str, inp: Input) -> Reply:
        """Lock the conversation, step the engine, apply effects and save, inside `session`.

        The caller owns the transaction, so a channel can add its own rows (event dedupe,
        outbox) to the same commit.
        """
        now = self.clock.now()
        ctx = Context(now=now, knowledge=self.knowledge, matcher=self.matcher)
        conv = repo.lock_conversation(session, channel, user_key)
        result = step(dict(conv.state or {}), inp, ctx)
        for effect in result.effects:
            self._apply(session, effect, now)
        conv.state = result.state
        conv.turns = (conv.turns or 0) + 1
        return Reply(result.messages)

    def _apply(self, session: Session, effect: dict[str, Any], now: Any) -> None:
        if effect["type"] == "unanswered":
            repo.record_unanswered(session, effect["text"], now)
        else:  # a new effect type without a handler is a programming error, said loudly
            raise ValueError(f"unknown effect {effect['type']!r}")

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()
