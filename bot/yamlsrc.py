"""YAML read as plain strings, with the line of every value kept for error messages."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError


class DataFileError(Exception):
    """A data file (knowledge/, dialogs/, an FAQ import) is broken; says which file and line."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path, self.line, self.message = str(path), line, message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


Lines = dict[tuple[Any, ...], int]


def _build(node: yaml.Node, path: tuple[Any, ...], lines: Lines, source: str) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if not isinstance(key_node, yaml.ScalarNode):
                raise DataFileError(source, key_node.start_mark.line + 1, "a key must be text")
            if key in result:
                raise DataFileError(source, key_node.start_mark.line + 1, f"duplicate key {key!r}")
            result[key] = _build(value_node, (*path, key), lines, source)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), lines, source) for i, item in enumerate(node.value)]
    # Scalars stay text (no YAML 1.1 surprises such as 10:00 == 600); the schema types them.
    if node.tag == "tag:yaml.org,2002:null" or (node.value == "" and not node.style):
        return None
    return node.value


def load_yaml(text: str, source: Path | str) -> tuple[Any, Lines]:
    """Parse YAML text into plain data (all scalars as str) and a path -> line map."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataFileError(source, line, f"not valid YAML: {problem}") from None
    if node is None:
        return None, {}
    lines: Lines = {}
    return _build(node, (), lines, str(source)), lines


def line_of(lines: Lines, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest known path along `loc`."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def first_error(exc: ValidationError, lines: Lines, source: Path | str) -> DataFileError:
    """Turn pydantic's errors into one DataFileError naming the file, line and key.

    An unknown key comes first: it is usually a typo, and also the cause of a "missing" one.
    """
    errors = exc.errors(include_url=False)
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = tuple(err["loc"])
    key = ".".join(str(part) for part in loc) or "(top)"
    kind = err["type"]
    if kind == "extra_forbidden":
        missing = [str(e["loc"][-1]) for e in errors
                   if e["type"] == "missing" and tuple(e["loc"][:-1]) == loc[:-1]]
        close = difflib.get_close_matches(str(loc[-1]), missing, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "a typo?"
        message = f"unknown key {key!r} ({hint})"
    elif kind == "missing":
        message = f"missing key {key!r}"
    else:
        message = f"{key}: {err['msg']}"
    return DataFileError(source, line_of(lines, loc), message)


_Model = TypeVar("_Model", bound=BaseModel)


def validate(model: type[_Model], data: Any, lines: Lines, source: Path | str,
             mapping: str | None = None) -> _Model:
    """`data` read from `source` as a `model`; a DataFileError names the file, line and key.
    With `mapping`, data that is not a mapping is refused first with that description."""
    if mapping is not None and not isinstance(data, dict):
        raise DataFileError(source, 1, f"expected {mapping}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise first_error(exc, lines, source) from None
