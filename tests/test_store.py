"""The store, on an SQLite file and on PostgreSQL: migrations, FAQ, conversations, counts."""

from __future__ import annotations

import threading

from sqlalchemy import inspect, select

from bot.engine import Input
from bot.faq.entries import Entry
from bot.service import Bot
from bot.store import repo
from bot.store.db import make_engine, session_factory, upgrade
from bot.store.models import Conversation, UnansweredQuestion
from tests.conftest import at


def test_migrations_create_the_tables_and_run_twice(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"faq_entries", "conversations", "unanswered_questions", "alembic_version"} <= tables
    engine.dispose()


def test_first_start_seeds_the_faq_and_a_restart_keeps_edits(settings, knowledge) -> None:
    bot = Bot(settings)
    assert [e.id for e in bot.knowledge.entries] == [e.id for e in knowledge.entries]
    edited = Entry(id="only-one", question="テストの質問ですか？", answer="はい、テストです。")
    with bot.sessions.begin() as session:
        repo.replace_entries(session, [edited])
    bot.close()
    again = Bot(settings)  # not re-seeded: staff edits are kept
    assert [e.id for e in again.knowledge.entries] == ["only-one"]
    again.close()


def test_a_conversation_continues_after_a_restart(settings) -> None:
    bot = Bot(settings)
    bot.handle("cli", "U1", Input(text="申請の期限は？"))
    state = _state(bot, "U1")
    bot.close()
    again = Bot(settings)
    with again.sessions() as session:
        row = session.scalar(select(Conversation).where(Conversation.user_key == "U1"))
        assert row is not None and row.state == state and row.turns == 1
    again.handle("cli", "U1", Input(text="ポイントは何が選べますか"))
    assert _state(again, "U1")["turn"] == 2
    again.close()


def _state(bot: Bot, user: str) -> dict:
    with bot.sessions() as session:
        row = session.scalar(select(Conversation).where(Conversation.user_key == user))
        assert row is not None
        return row.state


def test_two_users_are_kept_apart(settings) -> None:
    bot = Bot(settings)
    bot.handle("cli", "alice", Input(text="申請の期限は？"))
    bot.handle("cli", "bob", Input(text=""))
    bot.handle("web", "alice", Input(text=""))
    with bot.sessions() as session:
        rows = session.scalars(select(Conversation).order_by(Conversation.id)).all()
        assert [(r.channel, r.user_key, r.turns) for r in rows] == [
            ("cli", "alice", 1), ("cli", "bob", 1), ("web", "alice", 1)]
    bot.close()


def test_unanswered_questions_are_counted(settings) -> None:
    bot = Bot(settings)
    for text in ["明日の奈良の天気は？", "明日の奈良の天気は?", "明日の 奈良の天気は？"]:
        with bot.sessions.begin() as session:
            repo.record_unanswered(session, text, at("2023-03-15T10:00"))
    with bot.sessions() as session:
        rows = repo.unanswered(session)
        assert [(r.count, r.text) for r in rows] == [(3, "明日の奈良の天気は？")]
        assert rows[0].last_seen == at("2023-03-15T10:00")
    bot.close()


def test_first_contact_from_many_threads_makes_one_conversation(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = session_factory(engine)
    errors: list[BaseException] = []

    def touch() -> None:
        try:
            with sessions.begin() as session:
                row = repo.lock_conversation(session, "line", "Usame")
                row.turns = (row.turns or 0) + 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=touch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with sessions() as session:
        rows = session.scalars(select(Conversation)).all()
        assert len(rows) == 1 and rows[0].turns == 8  # serialised by the row lock
        assert session.scalars(select(UnansweredQuestion)).all() == []
    engine.dispose()
