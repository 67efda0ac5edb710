"""Personal data at rest: keyring, key file, the EncryptedText column, masking."""

from __future__ import annotations

import logging
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from bot import crypto
from bot.config import ConfigError, Settings
from bot.crypto import (
    DecryptError,
    EncryptedJSON,
    EncryptedText,
    Keyring,
    Secret,
    generate_key,
    keyring_for,
    mask,
)

NAME = "山田太郎"
PHONE = "090-1234-5678"


@pytest.fixture
def keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[Keyring]:
    """A fresh keyring installed process-wide for the test, the previous one restored after."""
    ring = Keyring.from_setting(generate_key())
    monkeypatch.setattr(crypto, "_keyring", None)
    crypto.install(ring)
    yield ring


# --- Keyring -----------------------------------------------------------------------------------


def test_round_trip() -> None:
    ring = Keyring.from_setting(generate_key())
    token = ring.encrypt(NAME)
    assert NAME not in token and token.startswith("gAAAAA")
    assert ring.decrypt(token) == NAME
    assert ring.encrypt(NAME) != token  # randomised
    assert ring.decrypt(ring.encrypt("")) == ""


def test_rotation() -> None:
    old, new = generate_key(), generate_key()
    token = Keyring.from_setting(old).encrypt(PHONE)
    both = Keyring.from_setting(f" {new} , {old} ")  # newest first, spaces tolerated
    assert both.decrypt(token) == PHONE
    assert both.decrypt(both.encrypt(PHONE)) == PHONE
    rotated = both.rotate(token)
    assert Keyring.from_setting(new).decrypt(rotated) == PHONE
    with pytest.raises(DecryptError):
        Keyring.from_setting(old).decrypt(rotated)
    # Fresh values are written under the newest key.
    assert Keyring.from_setting(new).decrypt(both.encrypt(NAME)) == NAME


def test_bad_token_says_nothing() -> None:
    ring = Keyring.from_setting(generate_key())
    foreign = Keyring.from_setting(generate_key()).encrypt(NAME)
    for token in (foreign, "not a token", "名前", foreign[:-5]):
        with pytest.raises(DecryptError) as info:
            ring.decrypt(token)
        assert token not in str(info.value)
        assert info.value.__cause__ is None and info.value.__suppress_context__
    with pytest.raises(DecryptError):
        ring.rotate(foreign)


@pytest.mark.parametrize(
    "value",
    [
        "c2VjcmV0LXNlY3JldC1zZWNyZXQ=",  # valid base64, wrong length
        "not-a-key-at-all-but-secret-ish",
        "秘密の鍵",
    ],
)
def test_malformed_key_is_a_config_error_without_the_key(value: str) -> None:
    good = generate_key()
    with pytest.raises(ConfigError) as info:
        Keyring.from_setting(f"{good},{value}")
    message = str(info.value)
    assert value not in message and good not in message
    assert "CLAIMBOT_DATA_KEY" in message and "key 2 of 2" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_empty_setting_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="CLAIMBOT_DATA_KEY"):
        Keyring.from_setting(" , ")


def test_repr_shows_no_key() -> None:
    key = generate_key()
    ring = Keyring.from_setting(f"{key},{generate_key()}")
    assert repr(ring) == "Keyring(2 keys)"
    assert key not in repr(ring) and key not in str(ring)


def test_generate_key_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot.crypto"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert Keyring.from_setting(out).decrypt(Keyring.from_setting(out).encrypt("x")) == "x"


# --- keyring_for -------------------------------------------------------------------------------


def test_sqlite_default_creates_key_file_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    with caplog.at_level(logging.WARNING, logger="bot.crypto"):
        first = keyring_for(settings)
    path = tmp_path / "var" / "data.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = path.read_text()
    assert content not in caplog.text and "generated a new data key" in caplog.text
    assert [p.name for p in path.parent.iterdir()] == ["data.key"]  # no temp file left

    token = first.encrypt(NAME)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.crypto"):
        second = keyring_for(settings)
    assert caplog.text == ""
    assert path.read_text() == content
    assert second.decrypt(token) == NAME


def test_sqlite_with_setting_uses_it_and_writes_no_file(tmp_path: Path) -> None:
    key = generate_key()
    ring = keyring_for(Settings(data_dir=tmp_path, data_key=key))
    assert Keyring.from_setting(key).decrypt(ring.encrypt(NAME)) == NAME
    assert not (tmp_path / "data.key").exists()


def test_damaged_key_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "data.key").write_text("garbage-key-material\n")
    with pytest.raises(ConfigError) as info:
        keyring_for(Settings(data_dir=tmp_path))
    assert "data.key" in str(info.value) and "garbage" not in str(info.value)


@pytest.mark.parametrize(
    "url", ["postgresql://claimbot@db/claimbot", "postgres://u:p@host:5432/x"]
)
def test_postgres_without_key_is_a_config_error(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError) as info:
        keyring_for(Settings(data_dir=tmp_path, database_url=url))
    message = str(info.value)
    assert "CLAIMBOT_DATA_KEY" in message and "python -m bot.crypto" in message
    assert not (tmp_path / "data.key").exists()


def test_postgres_with_key(tmp_path: Path) -> None:
    key = generate_key()
    ring = keyring_for(Settings(data_dir=tmp_path, database_url="postgresql://x/y", data_key=key))
    assert ring.decrypt(Keyring.from_setting(key).encrypt(PHONE)) == PHONE


def test_current_without_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crypto, "_keyring", None)
    with pytest.raises(RuntimeError, match="install"):
        crypto.current()
    with pytest.raises(TypeError):
        crypto.install(generate_key())  # type: ignore[arg-type]


# --- EncryptedText on a real SQLite file -------------------------------------------------------


class _Base(DeclarativeBase):
    pass


class _Person(_Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(EncryptedText)
    phone: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    state: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON, nullable=True)


def test_encrypted_column_on_sqlite_file(
    tmp_path: Path, keyring: Keyring, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "people.db"
    engine = create_engine(f"sqlite:///{db}", echo=True)
    _Base.metadata.create_all(engine)
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"), Session(engine) as session:
        session.add_all([
            _Person(id=1, name=NAME, phone=PHONE, state={"slots": {"name": NAME, "n": 1}}),
            _Person(id=2, name=Secret("佐藤花子", "name"), phone=None),  # type: ignore[arg-type]
        ])
        session.commit()
    engine.dispose()
    # SQL echo logs the bound parameters: they are tokens, never the values.
    assert "INSERT INTO people" in caplog.text
    for plain in (NAME, PHONE, "佐藤花子", "09012345678"):
        assert plain not in caplog.text

    raw = b"".join(p.read_bytes() for p in tmp_path.glob("people.db*"))
    for plain in (NAME, PHONE, "佐藤花子"):
        assert plain.encode("utf-8") not in raw
        assert plain.encode("utf-16-le") not in raw
    assert b"12345678" not in raw

    with sqlite3.connect(db) as plain_db:
        rows = plain_db.execute("SELECT id, name, phone, state FROM people ORDER BY id").fetchall()
    plain_db.close()
    (_, name1, phone1, state1), (_, name2, phone2, state2) = rows
    assert name1.startswith("gAAAAA") and NAME not in name1
    assert phone1.startswith("gAAAAA") and "5678" not in phone1
    assert state1.startswith("gAAAAA") and "slots" not in state1
    assert phone2 is None and state2 is None  # None stays NULL
    assert keyring.decrypt(name2) == "佐藤花子"

    engine = create_engine(f"sqlite:///{db}")
    with Session(engine) as session:
        people = session.scalars(select(_Person).order_by(_Person.id)).all()
        assert [(p.name, p.phone) for p in people] == [(NAME, PHONE), ("佐藤花子", None)]
        assert people[0].state == {"slots": {"name": NAME, "n": 1}} and people[1].state is None
    engine.dispose()


def test_encrypted_column_with_the_wrong_key(tmp_path: Path, keyring: Keyring) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'p.db'}")
    _Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(_Person(id=1, name=NAME, phone=PHONE))
        session.commit()
    crypto.install(Keyring.from_setting(generate_key()))
    with Session(engine) as session, pytest.raises(DecryptError) as info:
        session.scalars(select(_Person)).all()
    assert NAME not in str(info.value) and PHONE not in str(info.value)
    engine.dispose()


def test_encrypted_column_takes_text_only(tmp_path: Path, keyring: Keyring) -> None:
    # SQLAlchemy puts the unprocessed parameters into the error when a bind processor fails:
    # the store's engines need hide_parameters=True so that no personal value reaches a message.
    engine = create_engine(f"sqlite:///{tmp_path / 'p.db'}", hide_parameters=True)
    _Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(_Person(id=1, name=12345678))  # type: ignore[arg-type]
        with pytest.raises(Exception, match="takes str") as info:
            session.commit()
        assert "12345678" not in str(info.value)
    engine.dispose()


# --- masking -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind", "masked"),
    [
        ("090-1234-5678", "phone", "090-****-5678"),
        ("09012345678", "phone", "090-****-5678"),
        ("０９０－１２３４－５６７８", "phone", "090-****-5678"),
        ("03-1234-5678", "phone", "03-****-5678"),
        ("12345", "phone", "****"),
        ("taro@example.com", "email", "t***@example.com"),
        ("ｔａｒｏ＠example.com", "email", "t***@example.com"),
        ("no-at-sign", "email", "***"),
        ("AB12345678", "inquiry", "AB******78"),
        ("AB 1234 5678", "inquiry", "AB******78"),
        ("ＡＢ１２３４５６７８", "inquiry", "AB******78"),
        ("AB12", "inquiry", "****"),
        ("山田太郎", "name", "山***"),
        (" 山田 太郎 ", "name", "山***"),
        ("ならまち雑貨店", "shop", "な***"),
        ("奈良県奈良市登大路町30", "address", "奈良県***"),
        ("", "name", ""),
    ],
)
def test_mask(value: str, kind: str, masked: str) -> None:
    assert mask(value, kind) == masked


def test_mask_unknown_kind() -> None:
    with pytest.raises(ValueError, match="kind"):
        mask("山田", "nickname")


def test_secret_is_masked_everywhere_but_reveal(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret(PHONE, "phone")
    assert str(secret) == "090-****-5678"
    assert repr(secret) == "Secret(phone='090-****-5678')"
    assert f"{secret}" == "090-****-5678" and format(secret, ">14") == " 090-****-5678"
    assert PHONE not in repr({"phone": secret})
    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("got %s / %r", secret, secret)
    assert PHONE not in caplog.text and "1234" not in caplog.text
    assert secret.reveal() == PHONE and secret.kind == "phone"
    assert secret == Secret(PHONE, "phone") and len({secret, Secret(PHONE, "phone")}) == 1
    with pytest.raises(ValueError):
        Secret(PHONE, "nickname")
