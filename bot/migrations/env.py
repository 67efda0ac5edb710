"""Alembic environment: runs on the Engine given in the Config (see bot.store.db.upgrade)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from bot.store.all_models import Base

config = context.config
engine = config.attributes["engine"]

# Many workers start at once: on PostgreSQL one migrates while the others wait on this lock.
ADVISORY_LOCK = 7_419_001

with engine.connect() as connection:
    is_pg = connection.dialect.name == "postgresql"
    if is_pg:
        connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_LOCK})
        connection.commit()
    try:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if is_pg:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK})
            connection.commit()
