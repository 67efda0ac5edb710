"""The FAQ matcher the engine uses: entries rendered on the clock, ranked by bot.faq.ranker."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from bot.faq.entries import Entry
from bot.faq.ranker import Doc, Ranker, decide
from bot.knowledge.facts import CampaignFacts
from bot.knowledge.render import render

Outcome = Literal["answer", "suggest", "none"]


@dataclass(frozen=True)
class Match:
    """What the matcher found for one question."""

    outcome: Outcome
    ranking: list[tuple[str, float]]

    @property
    def best(self) -> str | None:
        """The first-ranked entry id."""
        return self.ranking[0][0] if self.ranking else None


class Matcher:
    """Ranks FAQ entries for a question and says whether to answer, suggest or decline."""

    def __init__(self, entries: Sequence[Entry], facts: CampaignFacts, now: datetime, *,
                 semantic: bool | None = None, cache_dir: Path | None = None) -> None:
        docs = [
            Doc(e.id, e.question, render(e.answer, facts, now), tuple(e.examples))
            for e in entries
        ]
        self.ranker = Ranker(docs, semantic=semantic, cache_dir=cache_dir)

    def match(self, text: str, top_k: int = 3) -> Match:
        """Rank the entries for `text` and decide what to do."""
        ranking = self.ranker.rank(text, top_k=max(top_k, 3))
        return Match(decide(ranking), ranking[:top_k])
