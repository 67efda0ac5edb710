"""Personal data encrypted at rest (Fernet, key rotation), masking for lists and logs."""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import stat
import unicodedata
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

from bot.config import ConfigError, Settings

log = logging.getLogger(__name__)

KEY_FILE = "data.key"
GENERATE_HINT = "generate one with `python -m bot.crypto` (prints a new key)"


class DecryptError(Exception):
    """A stored value could not be decrypted (wrong key or damaged token); carries no data."""


class Keyring:
    """A MultiFernet: the first key encrypts, every key decrypts."""

    __slots__ = ("_fernet", "_count")

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ConfigError("CLAIMBOT_DATA_KEY holds no key; " + GENERATE_HINT)
        fernets = []
        for number, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.encode("ascii")))
            except (ValueError, TypeError, UnicodeEncodeError):
                # Never echo the key, and drop the chained exception too.
                raise ConfigError(
                    f"CLAIMBOT_DATA_KEY: key {number} of {len(keys)} is not a valid Fernet key "
                    f"(32 url-safe base64-encoded bytes); {GENERATE_HINT}"
                ) from None
        self._fernet = MultiFernet(fernets)
        self._count = len(fernets)

    @classmethod
    def from_setting(cls, value: str) -> Keyring:
        """Parse CLAIMBOT_DATA_KEY: one key, or several separated by commas, newest first."""
        return cls([part.strip() for part in value.split(",") if part.strip()])

    def __repr__(self) -> str:
        return f"Keyring({self._count} key{'s' if self._count != 1 else ''})"

    def __reduce__(self) -> Any:
        raise TypeError("a Keyring is not to be pickled")

    def encrypt(self, plaintext: str) -> str:
        """Encrypt a text under the newest key; return the Fernet token as text."""
        if not isinstance(plaintext, str):
            raise TypeError(f"encrypt() takes str, not {type(plaintext).__name__}")
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt a token made under any of the keys; DecryptError if none can."""
        try:
            return self._fernet.decrypt(_token_bytes(token)).decode("utf-8")
        except (InvalidToken, UnicodeError, TypeError):
            raise DecryptError(
                "a stored value could not be decrypted (wrong CLAIMBOT_DATA_KEY or damaged data)"
            ) from None

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the newest key (it may have been made under any key)."""
        try:
            return self._fernet.rotate(_token_bytes(token)).decode("ascii")
        except (InvalidToken, TypeError):
            raise DecryptError(
                "a stored value could not be re-encrypted (no key decrypts it)"
            ) from None


def _token_bytes(token: str) -> bytes:
    if isinstance(token, bytes):
        return token
    if not isinstance(token, str):
        raise TypeError("token must be str")
    try:
        return token.encode("ascii")
    except UnicodeEncodeError:
        raise InvalidToken from None


def generate_key() -> str:
    """A new random Fernet key, as text (what CLAIMBOT_DATA_KEY holds)."""
    return Fernet.generate_key().decode("ascii")


def _is_sqlite(settings: Settings) -> bool:
    return settings.db_url.startswith("sqlite")


def _write_new_key(path: Path) -> None:
    """Create `path` holding a new key, mode 0600, atomically; keep it if another process won."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (generate_key() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if the file exists: never overwrites a key
    except FileExistsError:
        return
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    log.warning(
        "generated a new data key in %s: back it up with the database; "
        "without it the stored personal data cannot be read", path
    )


def _read_key_file(path: Path) -> Keyring:
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeError) as exc:
        raise ConfigError(f"cannot read the data key file {path}: {type(exc).__name__}") from None
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("data key file %s is readable by others (mode %o); chmod 600 it", path, mode)
    try:
        return Keyring.from_setting(text)
    except ConfigError:
        raise ConfigError(
            f"the data key file {path} does not hold a valid key; restore it from a backup "
            "(or set CLAIMBOT_DATA_KEY)"
        ) from None


def keyring_for(settings: Settings) -> Keyring:
    """CLAIMBOT_DATA_KEY, else (SQLite only) data_dir/data.key made once, else ConfigError."""
    if settings.data_key:
        return Keyring.from_setting(settings.data_key)
    if not _is_sqlite(settings):
        raise ConfigError(
            "CLAIMBOT_DATA_KEY is not set: with DATABASE_URL pointing at a server database, "
            "personal data needs a key shared by every worker and host; " + GENERATE_HINT
            + ", keep it in your secret store and set it in the environment"
        )
    path = settings.data_dir / KEY_FILE
    if not path.exists():
        _write_new_key(path)
    return _read_key_file(path)


_keyring: Keyring | None = None


def install(keyring: Keyring) -> None:
    """Make `keyring` the process-wide one that EncryptedText columns use."""
    global _keyring
    if not isinstance(keyring, Keyring):
        raise TypeError("install() takes a Keyring")
    _keyring = keyring


def current() -> Keyring:
    """The installed keyring; RuntimeError if the service has not installed one yet."""
    if _keyring is None:
        raise RuntimeError(
            "no data keyring installed: call bot.crypto.install(keyring_for(settings)) at start-up"
        )
    return _keyring


class Secret:
    """A personal value whose str/repr/format are masked; `reveal()` gives it whole."""

    __slots__ = ("_value", "_kind")

    def __init__(self, value: str, kind: str) -> None:
        if kind not in _MASKERS:
            raise ValueError(f"unknown kind of personal value: {kind!r}")
        self._value = value
        self._kind = kind

    @property
    def kind(self) -> str:
        """What the value is (phone, email, inquiry, name, address, shop)."""
        return self._kind

    def reveal(self) -> str:
        """The whole value: only for storage, or for a signed-in agent (with an audit row)."""
        return self._value

    def masked(self) -> str:
        """The value as lists and logs show it."""
        return mask(self._value, self._kind)

    def __str__(self) -> str:
        return self.masked()

    def __repr__(self) -> str:
        return f"Secret({self._kind}={self.masked()!r})"

    def __format__(self, spec: str) -> str:
        return format(self.masked(), spec)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._kind == other._kind and self._value == other._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash((Secret, self._kind, self._value))


class EncryptedText(TypeDecorator[str]):
    """Text in Python, a Fernet token in the database (via current()); None stays None.

    Tokens are randomised: such a column cannot be compared, sorted, indexed or made unique.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError(f"an encrypted column takes str, not {type(value).__name__}")
        return current().encrypt(value)

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return current().decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    """JSON in Python, a Fernet token in the database: for dialog state holding collected slots."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"value is not JSON-serialisable: {type(exc).__name__}") from None
        return current().encrypt(text)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if not str(value).startswith(_FERNET_PREFIX):
            # A row written before the column was encrypted: read as is, encrypted on next write.
            return json.loads(value)
        return json.loads(current().decrypt(value))


_FERNET_PREFIX = "gAAAAA"  # every Fernet token (version byte 0x80 + timestamp) starts so


_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―ー−－]+")


def _phone(value: str) -> str:
    groups = [g for g in _SEPARATORS.split(value) if g]
    digits = "".join(c for c in value if c.isdigit())
    if len(groups) >= 3 and len(digits) >= 8:
        return f"{groups[0]}-****-{groups[-1]}"
    if len(digits) >= 8:
        return f"{digits[:3]}-****-{digits[-4:]}"
    return "****"


def _email(value: str) -> str:
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        return "***"
    return f"{local[0]}***@{domain}"


def _inquiry(value: str) -> str:
    compact = _SEPARATORS.sub("", value)
    if len(compact) < 6:
        return "*" * len(compact)
    return compact[:2] + "*" * (len(compact) - 4) + compact[-2:]


def _name(value: str) -> str:
    compact = "".join(value.split())
    return compact[:1] + "***"


def _address(value: str) -> str:
    return value.strip()[:3] + "***"


_MASKERS = {
    "phone": _phone,
    "email": _email,
    "inquiry": _inquiry,
    "name": _name,
    "shop": _name,
    "address": _address,
}


def mask(value: str, kind: str) -> str:
    """Mask a personal value for lists and logs; kind: phone, email, inquiry, name, shop, address.

    Examples: phone "090-****-5678", email "t***@example.com", inquiry "AB******78",
    name "山***", address "奈良県***".
    """
    try:
        masker = _MASKERS[kind]
    except KeyError:
        raise ValueError(f"unknown kind of personal value: {kind!r}") from None
    if not value:
        return ""
    return masker(unicodedata.normalize("NFKC", value).strip())


def main() -> None:
    """Print a new key for CLAIMBOT_DATA_KEY (`python -m bot.crypto`)."""
    print(generate_key())


if __name__ == "__main__":
    main()
