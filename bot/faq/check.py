"""`claimbot faq check`: what staff must fix before an FAQ file goes live."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.faq.entries import Entry
from bot.faq.matcher import Matcher
from bot.knowledge.facts import CampaignFacts
from bot.knowledge.render import check_template
from bot.yamlsrc import Lines


@dataclass(frozen=True)
class Problem:
    """One thing wrong, with where it is."""

    line: int | None
    entry_id: str
    message: str

    def format(self, source: Path | str) -> str:
        """file:line: [id] message"""
        where = f"{source}:{self.line}" if self.line else str(source)
        return f"{where}: [{self.entry_id}] {self.message}"


def check_entries(entries: Sequence[Entry], lines: Lines, facts: CampaignFacts,
                  moments: Sequence[datetime], *, semantic: bool | None = None,
                  cache_dir: Path | None = None) -> list[Problem]:
    """Known fact keys in every answer, and every example phrasing ranking its own entry first."""
    problems: list[Problem] = []
    for index, entry in enumerate(entries):
        for moment in moments:
            for message in check_template(entry.answer, facts, moment):
                problems.append(Problem(lines.get(("entries", index, "answer")), entry.id,
                                        f"answer: {message}"))
    if problems:
        return problems
    matcher = Matcher(entries, facts, moments[0], semantic=semantic, cache_dir=cache_dir)
    for index, entry in enumerate(entries):
        for n, example in enumerate((entry.question, *entry.examples)):
            best = matcher.match(example, top_k=1).best
            if best != entry.id:
                where = ("entries", index, "question") if n == 0 else ("entries", index,
                                                                         "examples", n - 1)
                problems.append(Problem(lines.get(where), entry.id,
                                        f"{example!r} ranks {best!r} first, not this entry"))
    return problems
