"""Whose deadline? A question about a deadline, a coupon or an application that belongs to
something this notice never names (「英検の申込期限」「JALのマイルの有効期限」「ホットペッパーの
クーポンの使い方」) is not about this compensation, however many of its words it shares.

The bot's own vocabulary is every word of its knowledge: the campaign's facts, its FAQ (questions,
phrasings and answers), its messages and its dialog. An owner (the noun before 「の」) that cannot
be spelled from that vocabulary, nor read as a word of it (「保障」 is read ほしょう, as 補償),
owning one of the notice's generic words (期限, 申請, クーポン...), marks the question as another
organisation's: the engine answers it honestly as out of scope, unless the message also names
this matter itself (regionPAY, the paper coupon, the special site...)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from bot import phrases
from bot.textnorm import normalize

# 「英検の申込期限」「大学の履修登録の締め切り」: an owner (a run of kanji, katakana or Latin
# letters), 「の」, perhaps one more 「…の」, and the word it owns.
# (An owner of one character, 「母の」「県の」, is too short to tell.)
_WORD = "一-龥々ァ-ヶーA-Za-z0-9"
_OWNED = re.compile(
    rf"([{_WORD}][{_WORD} ]*[{_WORD}])の(?:[{_WORD}]+の)?([{_WORD}ぁ-ゖ]{{1,8}})")
_KANJI_RUN = re.compile(r"[一-龥々]{2,}")
_DIGIT = re.compile(r"\d")


def strings(value: Any) -> Iterable[str]:
    """Every string inside a model, mapping or list (the knowledge as plain text)."""
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from strings(item)


class Vocabulary:
    """The words the bot's knowledge uses, spelled and read."""

    def __init__(self, texts: Iterable[str]) -> None:
        raw = "\n".join(texts)
        self.text = normalize(raw)
        self.readings = " ".join(
            phrases.reading(run) for run in sorted(set(_KANJI_RUN.findall(raw))))

    def knows(self, word: str) -> bool:
        """Whether the word is made of pieces of the vocabulary (two characters or more with a
        kanji, three of kana or letters), each spelled or read as in it; a date or number always
        counts as known."""
        norm = normalize(word)
        if not norm or _DIGIT.search(norm):
            return True
        reachable = [True] + [False] * len(norm)
        for start in range(len(norm)):
            if reachable[start]:
                for end in range(start + 2, len(norm) + 1):
                    piece = norm[start:end]
                    # kana pairs are in every text (ゆう, ちょ): a kana piece needs three
                    if (len(piece) >= 3 or phrases.has_kanji(piece)) and self._piece(piece):
                        reachable[end] = True
            if reachable[start] and start == len(norm) - 1 > 0 and phrases.has_kanji(
                    norm[start]) and norm[start] in self.text:
                reachable[-1] = True  # a one-kanji suffix of a known word: 京都駅, 奈良市
        return reachable[-1]

    def _piece(self, piece: str) -> bool:
        """A piece spelled as in the vocabulary, or kanji read as a word of it (特説 as 特設)."""
        return piece in self.text or phrases.has_kanji(piece) and (
            phrases.reading(piece) in self.readings)

    def foreign_owner(self, text: str, owned: list[str], neutral: list[str],
                      elsewhere: list[str] = ()) -> str | None:
        """The first owner of one of the `owned` words that the vocabulary does not know
        (「英検」 in 「英検の申込期限」) or that is another service (`elsewhere`: 「au PAYの
        クーポン」), unless it is a `neutral` word (予定, 子供...)."""
        folded = unicodedata.normalize("NFKC", text)
        owned_norm = [normalize(w) for w in owned]
        neutral_norm = {normalize(w) for w in neutral}
        for match in _OWNED.finditer(folded):
            owner, thing = match.group(1).strip(), normalize(match.group(2))
            if not any(w and w in thing for w in owned_norm):
                continue
            if normalize(owner) in neutral_norm or any(
                    normalize(owner).endswith(n) for n in neutral_norm if n):
                continue
            if not self.knows(owner) or phrases.contains(owner, list(elsewhere)):
                return owner
        return None
