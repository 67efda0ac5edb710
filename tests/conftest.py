"""Shared fixtures: knowledge, a shared FAQ matcher, databases (SQLite file and PostgreSQL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from bot.clock import parse_now
from bot.config import Settings
from bot.crypto import generate_key
from bot.engine import Context, Input, Step, step
from bot.faq.matcher import Matcher
from bot.knowledge import Knowledge, load_dialog, load_static, seed_entries
from bot.paths import data_dir

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = data_dir("knowledge")
DIALOGS = data_dir("dialogs")
CAMPAIGN_TIME = "2023-03-15T11:00"  # a Wednesday during the campaign, call center open
# PostgreSQL to create throwaway databases on (trust auth on this machine).
PG_ADMIN = os.environ.get("CLAIMBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
# Embeddings of the FAQ are cached across test runs (they take seconds to compute).
CACHE = Path(os.environ.get("CLAIMBOT_TEST_CACHE", ROOT / "var" / "test-cache"))
DATA_KEY = generate_key()  # personal data at rest, one key for this test run


@pytest.fixture(scope="session")
def static():  # type: ignore[no-untyped-def]
    """(facts, messages) from the shipped knowledge folder."""
    return load_static(KNOWLEDGE, parse_now(CAMPAIGN_TIME))


@pytest.fixture(scope="session")
def facts(static):  # type: ignore[no-untyped-def]
    return static[0]


@pytest.fixture(scope="session")
def knowledge(static) -> Knowledge:
    facts, messages = static
    flow = load_dialog(DIALOGS, facts, parse_now(CAMPAIGN_TIME))
    return Knowledge(facts, messages, tuple(seed_entries(KNOWLEDGE)), flow)


@pytest.fixture(scope="session")
def matcher(knowledge: Knowledge) -> Matcher:
    return Matcher(knowledge.entries, knowledge.facts, parse_now(CAMPAIGN_TIME), cache_dir=CACHE)


class Talk:
    """Drives the engine turn by turn like a person: `say`, `tap`, and the state in between."""

    def __init__(self, knowledge: Knowledge, matcher: Matcher, now: str = CAMPAIGN_TIME) -> None:
        self.ctx = Context(parse_now(now), knowledge, matcher)
        self.state: dict = {}
        self.last: Step | None = None
        self.effects: list[dict] = []

    def at(self, now: str) -> Talk:
        self.ctx = Context(parse_now(now), self.ctx.knowledge, self.ctx.matcher)
        return self

    def send(self, inp: Input) -> Step:
        before = dict(self.state)
        self.last = step(self.state, inp, self.ctx)
        assert self.state == before, "the engine must not mutate the state it is given"
        self.state = self.last.state
        self.effects.extend(self.last.effects)
        return self.last

    def say(self, text: str) -> Step:
        return self.send(Input(text=text))

    def tap(self, label: str) -> Step:
        """Tap the button with this label in the last replies."""
        assert self.last is not None
        for message in self.last.messages:
            for button in message.get("buttons", []):
                if button["label"] == label:
                    if "data" in button:
                        return self.send(Input(postback=button["data"]))
                    return self.send(Input(text=button["text"]))
        raise AssertionError(f"no button {label!r} in {self.buttons()}")

    def text(self) -> str:
        assert self.last is not None
        return "\n".join(m["text"] for m in self.last.messages)

    def buttons(self) -> list[dict]:
        assert self.last is not None
        return [b for m in self.last.messages for b in m.get("buttons", [])]


@pytest.fixture
def talk(knowledge: Knowledge, matcher: Matcher) -> Talk:
    return Talk(knowledge, matcher)


def _pg_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The admin URL of the PostgreSQL server; the suite fails (not skips) if it is down."""
    if os.environ.get("CLAIMBOT_SKIP_PG") == "1":
        pytest.skip("CLAIMBOT_SKIP_PG=1")
    if not _pg_available():
        pytest.fail(f"PostgreSQL is not answering at {PG_ADMIN}: run scripts/ensure-postgres.sh")
    return PG_ADMIN


def _fresh_pg_database(admin: str) -> Iterator[str]:
    name = f"claimbot_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin).set(drivername="postgresql+psycopg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database: an SQLite file, or a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'claimbot.db'}"
    else:
        yield from _fresh_pg_database(request.getfixturevalue("pg_server"))


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", database_url=db_url, now=CAMPAIGN_TIME,
                    cache_path=CACHE, data_key=DATA_KEY)


def at(text: str) -> datetime:
    """A moment in Japan time."""
    return parse_now(text)
