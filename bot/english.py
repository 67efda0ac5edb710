"""A question typed in English, asked of a Japanese FAQ: its words of this matter put in
Japanese (「deadline」→「締め切り」, 「April 30」→「4月30日」), so the matcher ranks it as it would
the same question typed in Japanese. The bot still answers in Japanese."""

from __future__ import annotations

import re

from bot.slots import english_date_spans

_LATIN = re.compile(r"[A-Za-z]")


def is_english(text: str) -> bool:
    """Three or more English words, and letters of the Latin alphabet for most of the text."""
    letters = [ch for ch in text if not ch.isspace() and ch.isalnum()]
    latin = sum(1 for ch in letters if _LATIN.match(ch))
    return len(re.findall(r"[A-Za-z]{2,}", text)) >= 3 and latin >= 0.7 * max(len(letters), 1)


def to_japanese(text: str, terms: dict[str, str], words: dict[str, str]) -> str | None:
    """The Japanese words of an English question, in the order they were typed, or None when
    it names none of the `terms` (「what's the weather tomorrow」 is not made a question of
    ours by its question words)."""
    lowered = " " + re.sub(r"[^a-z0-9/' ]+", " ", text.lower()) + " "
    found: list[tuple[int, str]] = []
    for start, end, japanese in english_date_spans(lowered):  # 「April 30」→「4月30日」
        found.append((start, japanese))
        lowered = lowered[:start] + " " * (end - start) + lowered[end:]
    named = False
    for table, is_term in ((terms, True), (words, False)):
        for english in sorted(table, key=len, reverse=True):  # "call center" before "call"
            for match in re.finditer(rf"(?<=[ /]){re.escape(english.lower())}(?=[ /'])", lowered):
                found.append((match.start(), table[english]))
                lowered = lowered[:match.start()] + " " * len(english) + lowered[match.end():]
                named = named or is_term
    if not named:
        return None
    return " ".join(word for _, word in sorted(found))
