"""FAQ entries as files: the documented YAML format, loading with line numbers, export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.yamlsrc import DataFileError, Lines, load_yaml, validate

Text = Annotated[str, Field(min_length=1, max_length=5000)]


class Entry(BaseModel):
    """One FAQ entry: {id, question, answer, examples?, tags?}."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][\w.-]*$")]
    question: Text
    answer: Text
    examples: tuple[Text, ...] = ()
    tags: tuple[Annotated[str, Field(min_length=1, max_length=40)], ...] = ()

    @field_validator("question", "answer")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("examples", "tags", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return () if value is None else value


class FaqFile(BaseModel):
    """A whole FAQ file: a top-level `entries:` list."""

    model_config = ConfigDict(extra="forbid")

    entries: list[Entry] = Field(min_length=1)


class RankEntry(BaseModel):
    """An entry of any FAQ file given to `claimbot faq rank`: the documented keys, read leniently
    (another organisation's FAQ may number its ids, carry other keys or long answers)."""

    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True)

    id: Annotated[str, Field(min_length=1)]
    question: Annotated[str, Field(min_length=1)]
    answer: str = ""
    examples: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @field_validator("answer", mode="before")
    @classmethod
    def _none_is_blank(cls, value: object) -> object:
        return "" if value is None else value

    @field_validator("examples", "tags", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return () if value is None else value


class _RankFile(BaseModel):
    entries: list[RankEntry] = Field(min_length=1)


_FILE_SHAPE = "a mapping with a top-level 'entries:' list"


def load_faq_to_rank(path: Path) -> list[RankEntry]:
    """Read any FAQ file in the documented format to rank its entries (a bare list of entries
    is taken too); DataFileError names the file and line of what cannot be read."""
    data, lines = load_yaml(read_text(path), path)
    if isinstance(data, list):
        data = {"entries": data}
    return validate(_RankFile, data, lines, path, _FILE_SHAPE).entries


def parse_faq(text: str, source: Path | str) -> list[Entry]:
    """Parse FAQ YAML text; DataFileError names the file, the line and what is wrong."""
    return parse_faq_lines(text, source)[0]


def parse_faq_lines(text: str, source: Path | str) -> tuple[list[Entry], Lines]:
    """Like parse_faq, also returning the line of every value (for `faq check` messages)."""
    data, lines = load_yaml(text, source)
    entries = validate(FaqFile, data, lines, source, _FILE_SHAPE).entries
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        if entry.id in seen:
            line = lines.get(("entries", index, "id"))
            raise DataFileError(source, line, f"duplicate id {entry.id!r} (first at entry "
                                              f"{seen[entry.id] + 1})")
        seen[entry.id] = index
    return entries, lines


def read_text(path: Path) -> str:
    """A data file's text; DataFileError if it cannot be read as UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(path, None, f"cannot read: {exc}") from None


def load_faq(path: Path) -> list[Entry]:
    """Read and parse an FAQ file."""
    return parse_faq(read_text(path), path)


class _LiteralDumper(yaml.SafeDumper):
    """Multi-line answers as | blocks, so staff can read and edit the export."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _str)


def dump_faq(entries: list[Entry]) -> str:
    """The entries as an FAQ file that `parse_faq` reads back unchanged."""
    rows = []
    for entry in entries:
        row: dict[str, object] = {"id": entry.id, "question": entry.question}
        if entry.examples:
            row["examples"] = list(entry.examples)
        row["answer"] = entry.answer + "\n"
        if entry.tags:
            row["tags"] = list(entry.tags)
        rows.append(row)
    return yaml.dump({"entries": rows}, Dumper=_LiteralDumper, allow_unicode=True,
                     sort_keys=False, width=100)
