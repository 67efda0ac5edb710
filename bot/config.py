"""Settings read once from the environment (and a `.env` file), overridable by tests."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.paths import data_dir


class ConfigError(Exception):
    """A setting is missing or malformed: said once, clearly, at start-up."""


def _read_dotenv(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines of a .env file (comments and blanks skipped, quotes stripped)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        values[key] = value.strip().strip("'\"")
    return values


@dataclass(frozen=True)
class Settings:
    """Everything the service is configured with."""

    data_dir: Path = Path("var")
    database_url: str = ""
    now: str | None = None
    knowledge_dir: Path = field(default_factory=lambda: data_dir("knowledge"))
    dialogs_dir: Path = field(default_factory=lambda: data_dir("dialogs"))
    semantic: bool | None = None
    line_channel_secret: str | None = None
    line_channel_access_token: str | None = None
    line_api_base_url: str | None = None
    secret_key: str | None = None
    data_key: str | None = None
    cache_path: Path | None = None
    public_url: str = "http://localhost:8000"

    @property
    def db_url(self) -> str:
        """The SQLAlchemy URL: DATABASE_URL, else an SQLite file in the data directory."""
        if self.database_url:
            url = self.database_url
            # Heroku-style URLs name no driver; we use psycopg 3.
            if url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgres://")
            elif url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            return url
        return f"sqlite:///{(self.data_dir / 'claimbot.db').resolve()}"

    @property
    def cache_dir(self) -> Path:
        """Where derived data (the embedding cache) lives: CLAIMBOT_CACHE_DIR or data_dir/cache."""
        return self.cache_path or self.data_dir / "cache"

    def with_(self, **changes: object) -> Settings:
        """A copy with some fields changed (tests)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def _bool(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_settings(environ: dict[str, str] | None = None, dotenv: Path | None = None) -> Settings:
    """Build Settings from a `.env` file (if present) overlaid by the environment."""
    env = dict(_read_dotenv(dotenv or Path(".env")))
    env.update(os.environ if environ is None else environ)
    return Settings(
        data_dir=Path(env.get("CLAIMBOT_DATA_DIR") or "var"),
        database_url=env.get("DATABASE_URL", ""),
        now=env.get("CLAIMBOT_NOW") or None,
        semantic=_bool(env.get("CLAIMBOT_SEMANTIC")),
        line_channel_secret=env.get("LINE_CHANNEL_SECRET") or None,
        line_channel_access_token=env.get("LINE_CHANNEL_ACCESS_TOKEN") or None,
        line_api_base_url=env.get("LINE_API_BASE_URL") or None,
        secret_key=env.get("CLAIMBOT_SECRET_KEY") or None,
        data_key=env.get("CLAIMBOT_DATA_KEY") or None,
        cache_path=Path(env["CLAIMBOT_CACHE_DIR"]) if env.get("CLAIMBOT_CACHE_DIR") else None,
        public_url=env.get("CLAIMBOT_PUBLIC_URL") or "http://localhost:8000",
    )
