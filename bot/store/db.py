"""Engine and session factory for SQLite (WAL, one file) or PostgreSQL, and migrations."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.config import ConfigError

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
READ_ONLY = "claimbot_read_only"  # execution option: a transaction that never writes
_writer = threading.local()  # the connection through which this thread holds the flock


class _WriterConnection(sqlite3.Connection):
    """An SQLite connection that queues for the database's one writer in the kernel.

    SQLite lets one transaction write at a time; a writer that finds the lock taken sleeps
    in its busy handler (1, 2, 5 ... 100 ms) and tries again, so under load the lock sits
    idle between holders while waiters sleep, and an unlucky one waits seconds. Instead every
    write transaction first takes an exclusive flock() on a file beside the database, held
    until COMMIT or ROLLBACK: the waiters of all threads and all processes on this host
    block in the kernel and the next one starts the moment the lock is free.
    """

    lock_fd: int | None = None
    holding: bool = False

    def acquire_writer(self) -> None:
        """Wait for the writer's turn (blocks in the kernel, the GIL released)."""
        if self.lock_fd is None or self.holding:
            return
        if getattr(_writer, "conn", None) is not None:
            return  # this thread already writes through another connection: busy_timeout rules
        fcntl.flock(self.lock_fd, fcntl.LOCK_EX)
        self.holding = True
        _writer.conn = self

    def release_writer(self) -> None:
        """Let the next writer in (after COMMIT or ROLLBACK)."""
        if self.holding and self.lock_fd is not None:
            self.holding = False
            if getattr(_writer, "conn", None) is self:
                _writer.conn = None
            fcntl.flock(self.lock_fd, fcntl.LOCK_UN)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.release_writer()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.release_writer()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.release_writer()
            if self.lock_fd is not None:
                os.close(self.lock_fd)
                self.lock_fd = None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An Engine for `url`; for SQLite the folder is created and WAL switched on."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a configuration error
        raise ConfigError("DATABASE_URL is not a database URL") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: a failing statement must not put personal values into a log line.
        engine = create_engine(url, connect_args={"timeout": 30, "factory": _WriterConnection},
                               hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        lock_path = (f"{parsed.database}-writer.lock"
                     if parsed.database and parsed.database != ":memory:" else None)

        @event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None
            if lock_path is not None and isinstance(dbapi_conn, _WriterConnection):
                dbapi_conn.lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            if conn.get_execution_options().get(READ_ONLY):
                # WAL: a reader sees a snapshot and neither waits for nor blocks the writer.
                conn.exec_driver_sql("BEGIN")
                return
            # Take the write lock at BEGIN so one person's events are serialised (store.repo).
            dbapi_conn = conn.connection.dbapi_connection
            if isinstance(dbapi_conn, _WriterConnection):
                dbapi_conn.acquire_writer()
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                if isinstance(dbapi_conn, _WriterConnection):
                    dbapi_conn.release_writer()
                raise

        return engine
    if parsed.get_backend_name() != "postgresql":
        raise ConfigError(f"unsupported database {parsed.get_backend_name()!r}: use SQLite or "
                          "PostgreSQL (postgresql+psycopg://...)")
    # No pool_pre_ping: it costs a round trip on every checkout (five per webhook event with
    # the sender's). A connection lost to a database restart fails once; SQLAlchemy then
    # drops the whole pool, the webhook retries the event (line_events.DB_RETRIES) and the
    # sender's poll tries the row again. Recycling keeps idle connections from going stale.
    return create_engine(url, pool_size=10, max_overflow=10, pool_recycle=1800,
                         hide_parameters=True)


def alembic_config(engine: Engine) -> Config:
    """An Alembic Config pointed at our migrations and at `engine`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (safe to run from many workers at once)."""
    command.upgrade(alembic_config(engine), "head")


def session_factory(engine: Engine, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit.

    `read_only` sessions must never write: on SQLite they begin a plain (deferred)
    transaction instead of queueing for the write lock.
    """
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    return sessionmaker(bind, expire_on_commit=False)
