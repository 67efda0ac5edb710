"""Japanese text normalisation shared by FAQ matching, choices and yes/no answers.

Every function here is pure, total (never raises on any ``str``) and cheap.

- :func:`clean` keeps the text natural (NFKC, no control characters, tidy spaces): what a
  language model or a human should see.
- :func:`normalize` folds it for string matching: width, case, katakana to hiragana, long vowel
  marks, punctuation and symbols removed, kanji numerals before a counter turned into digits.
- :func:`char_ngrams` cuts normalised text into character n-grams for lexical retrieval.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["clean", "normalize", "kanji_numerals_to_digits", "char_ngrams", "match_key"]

# Characters that look like a dash or a long vowel mark, after NFKC (which already maps
# U+FF0D to "-" and U+FF70 to "ー").
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2500\u2501\u30fc\ufe63"
_WAVES = "~\u301c\u3030\uff5e\u223c\u223e"
_DASH_SET = frozenset(_DASHES)
_WAVE_SET = frozenset(_WAVES)
_SPACE_RE = re.compile(r"\s+")
_LONG_RUN_RE = re.compile("ー{2,}")
_KEEP_BETWEEN_DIGITS = frozenset("./:")

_KANJI_DIGITS = {
    "〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
    "六": 6, "七": 7, "八": 8, "九": 9,
}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_KANJI_NUM_CHARS = "〇零一二三四五六七八九十百千万"
# Counters and units after which a run of kanji numerals is safely a number.
_COUNTERS = (
    "か月", "ヶ月", "ケ月", "カ月", "箇月", "時間", "年", "月", "日", "時", "分", "秒", "円", "回",
    "件", "枚", "歳", "才", "週", "番", "号", "名", "人", "点", "個", "泊", "通", "本", "度",
)
_NUM_RUN_RE = re.compile(
    # digits may lead or follow a kanji unit (2千円, 1万5000円), but a kanji numeral is needed
    "(?P<era>令和|平成|昭和|第)?(?P<num>(?<![0-9])(?=[0-9]*[" + _KANJI_NUM_CHARS + "])[0-9"
    + _KANJI_NUM_CHARS + "]+|元)(?P<unit>" + "|".join(_COUNTERS) + ")"
)
_ALLOWED_BEFORE = frozenset("年月日第和成")


# Latin abbreviations spelled out in kana (voice input, or typed so): read as the letters.
_SPELLED = (("ゆーあーるえる", "url"), ("ゆうあーるえる", "url"), ("ゆーあーる", "url"),
            ("えすえむえす", "sms"), ("いーめーる", "email"), ("えーてぃーえむ", "atm"),
            ("えいちぴー", "hp"), ("ぴーでぃーえふ", "pdf"), ("あいでぃー", "id"))


def _is_kana(ch: str) -> bool:
    o = ord(ch)
    return 0x3041 <= o <= 0x309F or 0x30A0 <= o <= 0x30FF


def _is_kanji(ch: str) -> bool:
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF


def _strip_controls(text: str) -> str:
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cs", "Co") or (cat == "Cf" and ch not in "\u200d"):
            if ch in "\t\n\r\x0b\x0c":
                out.append(" ")
            continue
        out.append(ch)
    return "".join(out)


def clean(text: str) -> str:
    """NFKC, control characters removed and whitespace collapsed; script and punctuation kept."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = _strip_controls(text)
    text = unicodedata.normalize("NFKC", text)
    return _SPACE_RE.sub(" ", text).strip()


def _parse_kanji_number(num: str) -> int | None:
    """Value of a run of kanji numerals (一, 二十四, 二〇二三, 千二百, 三万), or None."""
    if num == "元":
        return 1
    if not any(ch in _KANJI_UNITS or ch == "万" for ch in num):
        digits = [_KANJI_DIGITS.get(ch) for ch in num]
        if any(d is None for d in digits):
            return None
        return int("".join(str(d) for d in digits))
    total = 0
    section = 0
    digit: int | None = None
    prev = ""
    for ch in num:
        if ch.isascii() and ch.isdigit():  # 2千, 1万5000: a written number before a unit
            if digit is not None and not (prev.isascii() and prev.isdigit()):
                return None
            digit = (digit or 0) * 10 + int(ch)
        elif ch in _KANJI_DIGITS:
            if digit is not None:
                return None
            digit = _KANJI_DIGITS[ch]
        elif ch in _KANJI_UNITS:
            section += (1 if digit is None else digit) * _KANJI_UNITS[ch]
            digit = None
        elif ch == "万":
            section += digit or 0
            total += (section or 1) * 10000
            section, digit = 0, None
        else:
            return None
        prev = ch
    return total + section + (digit or 0)


def kanji_numerals_to_digits(text: str) -> str:
    """Turn kanji numerals that stand before a counter (三十一日, 令和五年, 第二) into digits."""

    def repl(m: re.Match[str]) -> str:
        start = m.start()
        era, num, unit = m.group("era") or "", m.group("num"), m.group("unit")
        if num == "元" and era not in ("令和", "平成", "昭和"):
            return m.group(0)
        if not era and start > 0:
            prev = text[start - 1]
            if _is_kanji(prev) and prev not in _ALLOWED_BEFORE:
                return m.group(0)
        if num == "十" and unit in ("分", "人", "度", "本", "点"):
            return m.group(0)  # 十分 (enough), 十人十色, 十度, 十本, 十点: leave words alone
        if num == "一" and unit in ("人", "度", "番", "点", "本", "通", "日", "時") and not (
            start > 0 and text[start - 1] in "年月"
        ):
            return m.group(0)  # 一人, 一度, 一番, 一点, 一本, 一通り, 一日中, 一時: idioms
        value = _parse_kanji_number(num)
        if value is None:
            return m.group(0)
        return f"{era}{value}{unit}"

    if not any(ch in _KANJI_NUM_CHARS or ch == "元" for ch in text):
        return text
    return _NUM_RUN_RE.sub(repl, text)


def _fold_char(ch: str, prev: str) -> str:
    o = ord(ch)
    if ch in "ヵヶゕゖ":  # 3ヶ月, 3ヵ月 and 3か月 are the same word
        return "か"
    if 0x30A1 <= o <= 0x30F6:  # katakana -> hiragana (ァ..ヶ)
        return chr(o - 0x60)
    if 0x30FD <= o <= 0x30FE:  # ヽヾ -> ゝゞ
        return chr(o - 0x60)
    if ch in _DASH_SET or ch in _WAVE_SET:
        if prev and (_is_kana(prev) or prev == "ー"):
            return "ー"
        return "-" if ch in _DASH_SET else "~"
    return ch


def normalize(text: str) -> str:
    """Fold text for matching: NFKC, lowercase, kana, long vowels, numerals; no punctuation."""
    text = clean(text).lower()
    if not text:
        return ""
    text = kanji_numerals_to_digits(text)
    out: list[str] = []
    prev = ""
    n = len(text)
    for i, ch in enumerate(text):
        folded = _fold_char(ch, prev)
        if folded == "ー" or ch.isalnum() or ch == "々" or _is_kana(folded):
            out.append(folded)
        elif (
            ch in _KEEP_BETWEEN_DIGITS
            and i > 0
            and text[i - 1].isdigit()
            and i + 1 < n
            and text[i + 1].isdigit()
        ):
            out.append(ch)
        else:
            out.append(" ")
        prev = folded
    folded_text = _LONG_RUN_RE.sub("ー", "".join(out))
    for spoken, letters in _SPELLED:  # 「ゆーあーるえる」 typed or dictated for URL
        folded_text = folded_text.replace(spoken, letters)
    return _join_spaces(folded_text)


def _join_spaces(text: str) -> str:
    """Collapse whitespace; drop spaces unless both neighbours are ASCII letters or digits."""
    parts = text.split()
    if not parts:
        return ""
    out = [parts[0]]
    for part in parts[1:]:
        left, right = out[-1][-1], part[0]
        if left.isascii() and left.isalnum() and right.isascii() and right.isalnum():
            out.append(" ")
        out.append(part)
    return "".join(out)


def match_key(text: str) -> str:
    """A stricter key for fuzzy comparison: normalised, without spaces and long vowel marks."""
    return normalize(text).replace(" ", "").replace("ー", "")


def char_ngrams(normalized: str, n: int = 2) -> list[str]:
    """Character n-grams of already normalised text, not crossing spaces; short chunks whole."""
    grams: list[str] = []
    for chunk in normalized.split():
        if len(chunk) <= n:
            grams.append(chunk)
        else:
            grams.extend(chunk[i : i + n] for i in range(len(chunk) - n + 1))
    return grams
