"""Imports every module that defines tables, so Base.metadata knows them all (Alembic)."""

from bot.store import delivery, models  # noqa: F401
from bot.store.models import Base

__all__ = ["Base"]
