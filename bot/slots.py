"""Slot parsers: what claimants type during claim intake, parsed or answered with a re-prompt.

Every parser takes any ``str`` and either returns :class:`Parsed` or raises :class:`SlotError`,
never anything else. A SlotError's message is short polite Japanese that says what was wrong
with the *form* of the answer and gives an example; it never repeats what the person typed
(personal data must not reach logs), and no library exception is chained onto it.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from rapidfuzz.distance import OSA, Levenshtein

from bot import phrases
from bot.clock import format_date
from bot.textnorm import clean, kanji_numerals_to_digits, match_key, normalize

__all__ = [
    "Parsed",
    "SlotError",
    "PREFECTURES",
    "PREFECTURE_NAMES",
    "parse_phone",
    "parse_email",
    "parse_date",
    "parse_prefecture",
    "parse_inquiry_number",
    "parse_name",
    "parse_address",
    "parse_shop",
    "parse_yes_no",
]

# Longer than any honest answer to any slot; cut before any parsing work.
_MAX_INPUT = 1000


@dataclass(frozen=True)
class Parsed:
    """A parsed slot: the normalised value to store and how to read it back to the person."""

    value: Any
    display: str


class SlotError(ValueError):
    """A value that could not be accepted; `message` is the Japanese re-prompt, `code` its kind."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __repr__(self) -> str:
        return f"SlotError(code={self.code!r})"


# --------------------------------------------------------------------------- helpers

_DASH_CHARS = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2500\u2501\u30fc\ufe63\uff0d\uff70"
_DASH_RE = re.compile("[" + re.escape(_DASH_CHARS) + "]")
_WS_RE = re.compile(r"\s+")


def _text(text: object) -> str:
    """Any input as a str (None and non-str tolerated)."""
    if isinstance(text, str):
        return text
    return "" if text is None else str(text)


def _too_long(text: str, limit: int = _MAX_INPUT) -> bool:
    return len(text) > limit


def _strip_controls(text: str) -> str:
    """Drop control/format/private/surrogate characters; line breaks and tabs become spaces."""
    out: list[str] = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cs", "Co", "Cf"):
            if ch in "\t\n\r\x0b\x0c\u2028\u2029" or ch == "\x85":
                out.append(" ")
            elif ch == "\u200d":
                out.append(ch)  # zero-width joiner inside emoji sequences
            continue
        if cat in ("Zl", "Zp"):
            out.append(" ")
            continue
        out.append(ch)
    return "".join(out)


def _width_fold(text: str) -> str:
    """NFKC only full-width ASCII and half-width katakana; kanji in names stay as typed."""
    out: list[str] = []
    run: list[str] = []
    for ch in text:
        o = ord(ch)
        if 0xFF01 <= o <= 0xFF5E or 0xFF61 <= o <= 0xFF9F:
            run.append(ch)
            continue
        if run:
            out.append(unicodedata.normalize("NFKC", "".join(run)))
            run = []
        out.append(ch)
    if run:
        out.append(unicodedata.normalize("NFKC", "".join(run)))
    return "".join(out)


def _tidy(text: str) -> str:
    """Controls removed, width folded, whitespace (ideographic space too) collapsed to one space."""
    return _WS_RE.sub(" ", _width_fold(_strip_controls(text))).strip()


def _has_letter(text: str) -> bool:
    return any(unicodedata.category(ch).startswith("L") for ch in text)


def _letter_count(text: str) -> int:
    return sum(1 for ch in text if unicodedata.category(ch).startswith("L"))


# --------------------------------------------------------------------------- phone

_PHONE_EXAMPLE = "例：090-1234-5678"
_PHONE_LABEL_RE = re.compile(
    r"^(?:電話番号|電話|携帯番号|携帯電話|携帯|tel|phone|でんわ)\s*[:：は]?\s*", re.IGNORECASE
)
_PHONE_SEPARATORS_RE = re.compile(r"[\s()\[\].・_/" + re.escape(_DASH_CHARS) + "]")
# Digits written in kanji (〇九〇－一二三四…, as many older people write a number) or with a
# circle for zero (○九○): read digit by digit, only when the whole number is written so.
_PHONE_KANJI_DIGITS = str.maketrans("〇零○◯一二三四五六七八九", "0000123456789")
# National significant numbers (after the leading 0) that are 10 digits long; others are 9.
_TEN_DIGIT_PREFIXES = ("70", "80", "90", "50", "800", "20", "60")


def parse_phone(text: str) -> Parsed:
    """A Japanese phone number: value E.164 (+819012345678), display national (090-1234-5678)."""
    raw = _text(text)
    if _too_long(raw, 200):
        raise SlotError(f"電話番号が長すぎるようです。{_PHONE_EXAMPLE}", "too_long")
    s = clean(raw)
    s = _PHONE_LABEL_RE.sub("", s)
    s = _PHONE_SEPARATORS_RE.sub("", s)
    if not s:
        raise SlotError(f"電話番号を入力してください。{_PHONE_EXAMPLE}", "empty")
    digits_written = s.translate(_PHONE_KANJI_DIGITS)
    if digits_written != s and digits_written.lstrip("+").isascii() and digits_written.lstrip(
            "+").isdigit():
        s = digits_written
    if "@" in s:
        raise SlotError(
            f"メールアドレスではなく、電話番号を入力してください。{_PHONE_EXAMPLE}", "not_a_number"
        )
    international = s.startswith("+")
    digits = s[1:] if international else s
    for idd in ("0081", "01081", "001081"):
        if digits.startswith(idd):
            digits, international = digits[len(idd) - 2 :], True
            break
    if not digits.isascii() or not digits.isdigit():
        raise SlotError(
            "電話番号は数字で入力してください（ハイフンはあってもなくても大丈夫です）。"
            f"{_PHONE_EXAMPLE}",
            "not_a_number",
        )
    if international or (digits.startswith("81") and len(digits) in (11, 12)):
        if not digits.startswith("81"):
            raise SlotError(
                f"日本国内の電話番号を入力してください。{_PHONE_EXAMPLE}", "not_japanese"
            )
        national = digits[2:].removeprefix("0")
    else:
        national = digits.removeprefix("0")
    if len(national) > 12:
        raise SlotError(
            f"桁数が多いようです。もう一度ご確認ください。{_PHONE_EXAMPLE}", "too_long"
        )
    expected = 10 if national.startswith(_TEN_DIGIT_PREFIXES) else 9
    if len(national) < expected:
        raise SlotError(
            "桁数が足りないようです。市外局番から入力してください。"
            "例：090-1234-5678、0742-27-1234",
            "too_short",
        )
    if len(national) > expected:
        raise SlotError(
            f"桁数が多いようです。もう一度ご確認ください。{_PHONE_EXAMPLE}", "too_long"
        )
    try:
        number = phonenumbers.parse("+81" + national, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise SlotError(
            "この番号は日本の電話番号の形になっていないようです。もう一度ご確認ください。"
            f"{_PHONE_EXAMPLE}",
            "invalid",
        )
    return Parsed(
        value=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        display=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
    )


# --------------------------------------------------------------------------- email

_EMAIL_EXAMPLE = "例：yamada.taro@example.com"
# Domains many people here use; a near miss of one of them is almost surely a typo.
_COMMON_DOMAINS = (
    "gmail.com",
    "yahoo.co.jp",
    "ymail.ne.jp",
    "icloud.com",
    "me.com",
    "mac.com",
    "outlook.com",
    "outlook.jp",
    "hotmail.com",
    "hotmail.co.jp",
    "live.jp",
    "docomo.ne.jp",
    "ezweb.ne.jp",
    "au.com",
    "softbank.ne.jp",
    "i.softbank.jp",
    "ymobile.ne.jp",
    "rakuten.jp",
    "nifty.com",
    "biglobe.ne.jp",
    "ocn.ne.jp",
    "so-net.ne.jp",
    "yahoo.com",
)
# Carrier domains whose older addresses break RFC 5322 (a..b@, a.@) yet receive mail.
_CARRIER_DOMAINS = frozenset({"docomo.ne.jp", "ezweb.ne.jp", "au.com", "softbank.ne.jp"})
_LEGACY_LOCAL_RE = re.compile(r"^[A-Za-z0-9._\-+/?]{1,64}$")
# Real domains that sit one letter away from a common one: never "corrected".
_REAL_LOOKALIKES = frozenset({"mail.com", "email.com", "gmx.com", "ymail.com", "gmail.jp"})
# Misspelt endings: (typo, right one).
_TLD_TYPOS = (
    (".con", ".com"), (".cmo", ".com"), (".ocm", ".com"), (".vom", ".com"), (".xom", ".com"),
    (".comm", ".com"), (".coom", ".com"), (".c0m", ".com"), (".cim", ".com"),
    (".co.jpp", ".co.jp"), (".co.jo", ".co.jp"), (".ne.jo", ".ne.jp"), (".ne.jpp", ".ne.jp"),
    (".or.jo", ".or.jp"), (".co.pj", ".co.jp"), (".ne.pj", ".ne.jp"), (".jpp", ".jp"),
)
_EMAIL_WRAP = "\"'「」『』<>()[]{}"
_EMAIL_TRAIL = ".。、,，;:!！?？"
_EMAIL_LABEL_RE = re.compile(
    r"^(?:mailto:|(?:メールアドレス|メアド|メール|e-?mail(?:address)?)\s*(?:[:：は]|\s))\s*",
    re.IGNORECASE,
)


def _domain_slip(domain: str) -> SlotError | None:
    """A re-prompt when `domain` looks like a slip of a common domain or of .com / .jp."""
    if domain in _COMMON_DOMAINS or domain in _REAL_LOOKALIKES:
        return None
    best: str | None = None
    best_dist = 99
    for known in _COMMON_DOMAINS:
        if len(known) < 9:
            continue
        limit = 1 if len(known) < 11 else 2
        dist = OSA.distance(domain, known, score_cutoff=limit)
        if dist <= limit and dist < best_dist:
            best, best_dist = known, dist
    if best is not None:
        return SlotError(
            f"「@」の後ろが「{best}」の打ち間違いではありませんか。もう一度ご確認ください。",
            "domain_typo",
        )
    for typo, right in _TLD_TYPOS:
        if domain.endswith(typo) and len(domain) > len(typo):
            return SlotError(
                f"メールアドレスの最後が「{typo}」になっています。「{right}」ではありませんか。"
                "もう一度ご確認ください。",
                "domain_typo",
            )
    return None


def parse_email(text: str) -> Parsed:
    """An email address (syntax only, no network); value with the domain lowercased."""
    raw = _text(text)
    if _too_long(raw, 400):
        raise SlotError(f"メールアドレスが長すぎるようです。{_EMAIL_EXAMPLE}", "too_long")
    s = clean(raw).replace("。", ".").replace("｡", ".")
    s = _EMAIL_LABEL_RE.sub("", s)
    s = s.strip(_EMAIL_WRAP + " ").rstrip(_EMAIL_TRAIL).strip(_EMAIL_WRAP + " ")
    s = _WS_RE.sub("", s)
    if not s:
        raise SlotError(f"メールアドレスを入力してください。{_EMAIL_EXAMPLE}", "empty")
    if "@" not in s:
        raise SlotError(
            f"「@」が入っていないようです。メールアドレスをすべて入力してください。{_EMAIL_EXAMPLE}",
            "missing_at",
        )
    if "@@" in s or s.count("@") > 1:
        raise SlotError(
            f"「@」が2つ以上入っているようです。「@」は1つだけです。{_EMAIL_EXAMPLE}", "double_at"
        )
    local, _, domain = s.partition("@")
    domain = domain.lower()
    if not local:
        raise SlotError(f"「@」の前の部分が入っていないようです。{_EMAIL_EXAMPLE}", "no_local")
    if not domain:
        raise SlotError(
            f"「@」の後ろ（ドメイン）が入っていないようです。{_EMAIL_EXAMPLE}", "no_domain"
        )
    if not s.isascii():
        raise SlotError(
            "メールアドレスに使えない文字（ひらがな・漢字・全角記号など）が入っているようです。"
            f"半角の英数字で入力してください。{_EMAIL_EXAMPLE}",
            "bad_characters",
        )
    if "," in domain:
        raise SlotError(
            f"「@」の後ろに「,」（カンマ）が入っています。「.」（ドット）ではありませんか。{_EMAIL_EXAMPLE}",
            "comma",
        )
    if "." not in domain:
        raise SlotError(
            "「@」の後ろが途中で切れているようです（「.com」「.jp」などが必要です）。"
            f"{_EMAIL_EXAMPLE}",
            "no_dot",
        )
    slip = _domain_slip(domain)
    if slip is not None:
        raise slip
    try:
        result = validate_email(
            f"{local}@{domain}", check_deliverability=False, allow_smtputf8=False
        )
        value = result.normalized
    except EmailNotValidError:
        if domain in _CARRIER_DOMAINS and _LEGACY_LOCAL_RE.match(local):
            value = f"{local}@{domain}"
        else:
            value = None
    if value is None:
        raise SlotError(
            "メールアドレスの形になっていないようです。使えない記号や、"
            f"ドット（.）の位置をご確認ください。{_EMAIL_EXAMPLE}",
            "invalid",
        ) from None
    return Parsed(value=value, display=value)


# --------------------------------------------------------------------------- date

_DATE_EXAMPLE = "例：2月24日、2023/2/24、令和5年2月24日"
_ERA_BASE = {"令和": 2018, "r": 2018, "平成": 1988, "h": 1988, "昭和": 1925, "s": 1925}
_ERA_RE = re.compile(
    r"(?<![0-9a-z])(?P<era>令和|平成|昭和|[rhs])\.?(?P<y>\d{1,2})(?:年|[./\-])"
    r"(?P<m>\d{1,2})(?:月|[./\-])(?P<d>\d{1,2})(?:日|(?!\d))"
)
_YMD_RE = re.compile(
    r"(?<![0-9a-z])(?P<y>\d{1,4})(?:年|[./\-])(?P<m>\d{1,2})(?:月|[./\-])(?P<d>\d{1,2})(?:日|(?!\d))"
)
_COMPACT_RE = re.compile(r"^(?P<y>20\d{2})(?P<m>\d{2})(?P<d>\d{2})$")
_MD_RE = re.compile(r"(?<![\d.])(?P<m>\d{1,2})(?:月|[./\-])(?P<d>\d{1,2})(?:日|(?![\d.]))")
_D_ONLY_RE = re.compile(r"(?<![\d月/.\-])(?P<d>\d{1,2})日")
_M_ONLY_RE = re.compile(r"(?<![\d年/.\-])(?P<m>\d{1,2})月(?!\d)")


def _year_of(y: str, era: str | None) -> int:
    n = int(y)
    if era:
        return _ERA_BASE[era] + n
    if len(y) == 4 or len(y) == 3:
        return n
    if len(y) == 2 and n >= 10:
        return 2000 + n
    return _ERA_BASE["令和"] + n  # "5年2月24日": a bare small year is Reiwa here


def _build_date(year: int, month: int, day: int, years: tuple[int, int]) -> date:
    if not 1 <= month <= 12:
        raise SlotError(f"月は1から12の数字で入力してください。{_DATE_EXAMPLE}", "bad_month")
    if not years[0] <= year <= years[1]:
        raise SlotError(
            f"{years[0]}年から{years[1]}年までの日付を入力してください。例：2023年2月24日",
            "year_out_of_range",
        )
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise SlotError(
            f"{year}年{month}月は{last}日までです。日付をもう一度ご確認ください。"
            f"例：{month}月{min(24, last)}日",
            "impossible_date",
        )
    return date(year, month, day)


_KANA_UNITS = (("ねん", "年"), ("がつ", "月"), ("にち", "日"), ("ガツ", "月"), ("ニチ", "日"))


_KANA_ONES = {"いち": 1, "に": 2, "さん": 3, "よん": 4, "し": 4, "ご": 5, "ろく": 6, "なな": 7,
              "しち": 7, "はち": 8, "きゅう": 9, "く": 9}
_KANA_MONTHS = {**{k: v for k, v in _KANA_ONES.items() if k not in ("よん", "なな", "きゅう")},
                "じゅう": 10, "じゅういち": 11, "じゅうに": 12}
_KANA_DAYS_OWN = {"ついたち": 1, "ふつか": 2, "みっか": 3, "よっか": 4, "いつか": 5, "むいか": 6,
                  "なのか": 7, "なぬか": 7, "ようか": 8, "ここのか": 9, "とおか": 10, "はつか": 20}


def _kana_day_table() -> dict[str, int]:
    days = dict(_KANA_DAYS_OWN)
    for tens_kana, tens in (("じゅう", 10), ("にじゅう", 20), ("さんじゅう", 30)):
        days[tens_kana + "にち"] = tens
        for ones_kana, ones in _KANA_ONES.items():
            if tens + ones <= 31 and ones_kana not in ("よん", "し"):
                days[f"{tens_kana}{ones_kana}にち"] = tens + ones
        if tens < 30:
            days[tens_kana + "よっか"] = tens + 4
    return days


_SMALL_KANA = str.maketrans("っゃゅょ", "つやゆよ")


def _kana_alternation(table: dict[str, int]) -> str:
    # phones drop small kana (にじゆうよつか): either size; the longest reading first
    def pattern(key: str) -> str:
        return "".join(f"[{ch}{ch.translate(_SMALL_KANA)}]" if ch in "っゃゅょ" else ch
                       for ch in key)
    return "|".join(pattern(k) for k in sorted(table, key=len, reverse=True))
_KANA_DAYS = _kana_day_table()
_KANA_DAY_VALUE = {k.translate(_SMALL_KANA): v for k, v in _KANA_DAYS.items()}
_KANA_MONTH_VALUE = {k.translate(_SMALL_KANA): v for k, v in _KANA_MONTHS.items()}
_KANA_MONTH_RE = re.compile(
    "(?P<month>" + _kana_alternation(_KANA_MONTHS) + ")がつ(?:の)?(?P<day>"
    + _kana_alternation(_KANA_DAYS) + ")"
    # a month alone only where a date ends (「しがつ」 inside 「わたしがつかった」 is no April)
    + "|(?P<alone>" + _kana_alternation(_KANA_MONTHS)
    + ")がつ(?=$|[^ぁ-ゖ]|まで|です|でし|の|ま|すえ)")
# a day alone only in a reading no word shares (にじゅうよっか, じゅうごにち; not いつか, ようか)
_KANA_DAY_RE = re.compile(
    "(?:(?<![ぁ-ゖ])|(?<=[はがもの]))(?P<day>" + _kana_alternation(
        {k: v for k, v in _KANA_DAYS.items() if k.startswith(("じゅう", "にじゅう", "さんじゅう"))})
    + ")")
_KANA_ERA_YEAR_RE = re.compile(
    r"(?P<era>れいわ|令和|へいせい|平成)\s*"
    r"(?P<y>いち|に|さん|よ|よん|ご|ろく|なな|しち|はち|く|き[ゅゆ]う|がん)ねん"
    r"|にせんにじ[ゅゆ]う(?P<y2>いち|に|さん|よ|よん|ご)?ねん")
_ERA_KANJI = {"れいわ": "令和", "へいせい": "平成"}


def kana_dates(text: str) -> str:
    """A date read out in hiragana, in digits (にがつにじゅうよっか → 2月24日)."""
    if not any("\u3041" <= ch <= "\u309f" for ch in text):
        return text

    def era_year(m: re.Match[str]) -> str:
        if m["era"]:
            y = m["y"]
            value = 1 if y == "がん" else _KANA_ONES.get(
                y.replace("ゆ", "ゅ"), 4 if y == "よ" else 0)
            return f"{_ERA_KANJI.get(m['era'], m['era'])}{value}年"
        y2 = m["y2"]
        return f"{2020 + (_KANA_ONES.get(y2, 4 if y2 == 'よ' else 0) if y2 else 0)}年"

    def month_day(m: re.Match[str]) -> str:
        if m["alone"]:
            return f"{_KANA_MONTH_VALUE[m['alone'].translate(_SMALL_KANA)]}月"
        month = _KANA_MONTH_VALUE[m["month"].translate(_SMALL_KANA)]
        return f"{month}月{_KANA_DAY_VALUE[m['day'].translate(_SMALL_KANA)]}日"

    text = _KANA_ERA_YEAR_RE.sub(era_year, text)
    text = _KANA_MONTH_RE.sub(month_day, text)
    return _KANA_DAY_RE.sub(lambda m: f"{_KANA_DAY_VALUE[m['day'].translate(_SMALL_KANA)]}日", text)


_EN_MONTHS = {"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
              "apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
              "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10,
              "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12}
_EN_MONTH = "|".join(sorted(_EN_MONTHS, key=len, reverse=True))
_EN_ORD = r"(?:st|nd|rd|th)?"
_EN_YEAR = r"(?:,?\s*(?P<{}>\d{{4}}))?"
_EN_DATE_RE = re.compile(
    rf"\b(?P<m1>{_EN_MONTH})\.?\s*(?P<d1>\d{{1,2}}){_EN_ORD}{_EN_YEAR.format('y1')}\b"
    rf"|\b(?P<d2>\d{{1,2}}){_EN_ORD}\s*(?:of\s+)?(?P<m2>{_EN_MONTH})\b\.?{_EN_YEAR.format('y2')}",
    re.IGNORECASE)


def english_date_spans(text: str) -> list[tuple[int, int, str]]:
    """Each date written in English (Feb 24th, 24 February 2023): its span in the text and
    its Japanese form, 2月24日 / 2023年2月24日."""
    spans = []
    for m in _EN_DATE_RE.finditer(text):
        month = _EN_MONTHS[(m["m1"] or m["m2"]).lower()]
        year = m["y1"] or m["y2"]
        spans.append((m.start(), m.end(),
                      f"{year + '年' if year else ''}{month}月{int(m['d1'] or m['d2'])}日"))
    return spans


def english_dates(text: str) -> str:
    """The text with its dates written in English in Japanese (Feb 24th → 2月24日)."""
    if not re.search("[A-Za-z]", text):
        return text
    for start, end, japanese in reversed(english_date_spans(text)):
        text = text[:start] + japanese + text[end:]
    return text


def kana_date_units(text: str) -> str:
    """Units typed in kana after a number (2がつ24にち) as the kanji units, dates read out
    in hiragana (にがつにじゅうよっか) and dates written in English (Feb 24th) in digits."""
    text = kana_dates(english_dates(text))
    for kana, unit in _KANA_UNITS:
        text = re.sub(r"(?<=[0-9０-９])\s*" + kana, unit, text)
    return text


def parse_date(
    text: str, *, default_year: int = 2023, years: tuple[int, int] = (2022, 2024)
) -> Parsed:
    """A date as people write it (2/24, 令和5年2月24日, R5.2.24); display 2023年2月24日（金）."""
    raw = _text(text)
    if _too_long(raw, 200):
        raise SlotError(f"日付だけを入力してください。{_DATE_EXAMPLE}", "too_long")
    s = kana_date_units(kanji_numerals_to_digits(clean(raw)).lower())
    s = re.sub(r"\s*([年月日/.\-])\s*", r"\1", s)
    s = re.sub(r"\([月火水木金土日](?:曜日?)?\)", "", s)  # (金), (金曜日)
    if not s:
        raise SlotError(f"日付を入力してください。{_DATE_EXAMPLE}", "empty")

    found: set[tuple[int, int, int]] = set()
    for m in _ERA_RE.finditer(s):
        found.add((_year_of(m["y"], m["era"]), int(m["m"]), int(m["d"])))
    if not found:
        for m in _YMD_RE.finditer(s):
            if len(m["y"]) == 3:
                continue
            found.add((_year_of(m["y"], None), int(m["m"]), int(m["d"])))
    if not found and (m := _COMPACT_RE.match(s)):
        found.add((int(m["y"]), int(m["m"]), int(m["d"])))
    if not found:
        for m in _MD_RE.finditer(s):
            found.add((default_year, int(m["m"]), int(m["d"])))
    if len(found) > 1:
        raise SlotError(f"日付は1つだけ入力してください。{_DATE_EXAMPLE}", "several_dates")
    if not found:
        if _D_ONLY_RE.search(s):
            raise SlotError("何月かも入れて入力してください。例：2月24日", "missing_month")
        if _M_ONLY_RE.search(s):
            raise SlotError("何日かも入れて入力してください。例：2月24日", "missing_day")
        raise SlotError(
            f"日付が読み取れませんでした。数字で入力してください。{_DATE_EXAMPLE}", "unreadable"
        )
    year, month, day = found.pop()
    value = _build_date(year, month, day, years)
    return Parsed(value=value, display=format_date(value))


# --------------------------------------------------------------------------- prefecture

# (full name, hiragana reading of the stem, Hepburn romaji of the stem)
PREFECTURES: tuple[tuple[str, str, str], ...] = (
    ("北海道", "ほっかいどう", "hokkaido"),
    ("青森県", "あおもり", "aomori"),
    ("岩手県", "いわて", "iwate"),
    ("宮城県", "みやぎ", "miyagi"),
    ("秋田県", "あきた", "akita"),
    ("山形県", "やまがた", "yamagata"),
    ("福島県", "ふくしま", "fukushima"),
    ("茨城県", "いばらき", "ibaraki"),
    ("栃木県", "とちぎ", "tochigi"),
    ("群馬県", "ぐんま", "gunma"),
    ("埼玉県", "さいたま", "saitama"),
    ("千葉県", "ちば", "chiba"),
    ("東京都", "とうきょう", "tokyo"),
    ("神奈川県", "かながわ", "kanagawa"),
    ("新潟県", "にいがた", "niigata"),
    ("富山県", "とやま", "toyama"),
    ("石川県", "いしかわ", "ishikawa"),
    ("福井県", "ふくい", "fukui"),
    ("山梨県", "やまなし", "yamanashi"),
    ("長野県", "ながの", "nagano"),
    ("岐阜県", "ぎふ", "gifu"),
    ("静岡県", "しずおか", "shizuoka"),
    ("愛知県", "あいち", "aichi"),
    ("三重県", "みえ", "mie"),
    ("滋賀県", "しが", "shiga"),
    ("京都府", "きょうと", "kyoto"),
    ("大阪府", "おおさか", "osaka"),
    ("兵庫県", "ひょうご", "hyogo"),
    ("奈良県", "なら", "nara"),
    ("和歌山県", "わかやま", "wakayama"),
    ("鳥取県", "とっとり", "tottori"),
    ("島根県", "しまね", "shimane"),
    ("岡山県", "おかやま", "okayama"),
    ("広島県", "ひろしま", "hiroshima"),
    ("山口県", "やまぐち", "yamaguchi"),
    ("徳島県", "とくしま", "tokushima"),
    ("香川県", "かがわ", "kagawa"),
    ("愛媛県", "えひめ", "ehime"),
    ("高知県", "こうち", "kochi"),
    ("福岡県", "ふくおか", "fukuoka"),
    ("佐賀県", "さが", "saga"),
    ("長崎県", "ながさき", "nagasaki"),
    ("熊本県", "くまもと", "kumamoto"),
    ("大分県", "おおいた", "oita"),
    ("宮崎県", "みやざき", "miyazaki"),
    ("鹿児島県", "かごしま", "kagoshima"),
    ("沖縄県", "おきなわ", "okinawa"),
)
_PREF_EXAMPLE = "例：奈良県、大阪府、東京都、北海道"
_SUFFIX_KANA = {"県": "けん", "府": "ふ", "都": "と", "道": "どう"}
_SUFFIX_ROMAJI = {"県": "ken", "府": "hu", "都": "to", "道": ""}
_ROMAJI_TAILS = ("prefecture", "pref", "ken", "hu", "to", "")
_JOINERS = frozenset("とかやおよびまたは県府都道")
_PREF_FILLERS = (
    "です", "でした", "になります", "だよ", "だった", "在住", "住み", "の方", "のほう", "から",
    "でお願いします", "へ旅行", "で旅行", "の旅行", "に旅行", "旅行", "で使いました", "で利用",
)


def _stem(full: str) -> str:
    return full if full == "北海道" else full[:-1]


def _romaji_key(text: str) -> str:
    """Romaji folded so Hepburn, kunrei and long-vowel spellings meet (Ōsaka, oosaka, osaka)."""
    s = unicodedata.normalize("NFKD", text.lower())
    s = "".join(ch for ch in s if "a" <= ch <= "z")
    s = re.sub(r"oh(?![aiueo])", "o", s)
    for a, b in (("ou", "o"), ("oo", "o"), ("uu", "u"), ("shi", "si"), ("chi", "ti"),
                 ("tsu", "tu"), ("fu", "hu"), ("ji", "zi"), ("sh", "sy"), ("ch", "ty"),
                 ("j", "zy"), ("mm", "nm"), ("mb", "nb"), ("mp", "np")):
        s = s.replace(a, b)
    return s


def _build_prefecture_keys() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    exact: dict[str, str] = {}
    romaji: dict[str, str] = {}
    stems: dict[str, str] = {}
    for full, kana, roma in PREFECTURES:
        stem = _stem(full)
        suffix = full[-1]
        stems[stem] = full
        for key in (full, stem, kana, kana + _SUFFIX_KANA[suffix]):
            exact[match_key(key)] = full
        if full == "北海道":
            exact[match_key("ほっかいどう")] = full
        romaji[_romaji_key(roma)] = full
    return exact, romaji, stems


_PREF_EXACT, _PREF_ROMAJI, _PREF_STEMS = _build_prefecture_keys()
_PREF_FILLER_KEYS = tuple(match_key(f) for f in _PREF_FILLERS)
_PREF_FULL_NAMES = tuple(p[0] for p in PREFECTURES)
PREFECTURE_NAMES = frozenset(_PREF_FULL_NAMES) | frozenset(_PREF_STEMS)  # 奈良県, 奈良


def _ambiguous(candidates: Iterable[str]) -> SlotError:
    names = sorted(set(candidates), key=_PREF_FULL_NAMES.index)[:3]
    listed = "".join(f"「{n}」" for n in names)
    return SlotError(
        f"どの都道府県か分かりませんでした。{listed}のように、都道府県名で入力してください。",
        "ambiguous",
    )


def parse_prefecture(text: str) -> Parsed:
    """One of the 47 prefectures, by name, kana or romaji, tolerating typos; value 奈良県."""
    raw = _text(text)
    if _too_long(raw, 200):
        raise SlotError(f"都道府県名だけを入力してください。{_PREF_EXAMPLE}", "too_long")
    cleaned = clean(raw)
    if not cleaned:
        raise SlotError(f"都道府県名を入力してください。{_PREF_EXAMPLE}", "empty")

    # Romaji: ASCII letters only (after dropping accents such as the macron in Ōsaka).
    ascii_try = unicodedata.normalize("NFKD", cleaned)
    ascii_try = "".join(ch for ch in ascii_try if unicodedata.category(ch) != "Mn")
    if ascii_try.isascii() and re.search("[A-Za-z]", ascii_try):
        key = _romaji_key(ascii_try)
        for tail in _ROMAJI_TAILS:
            if key.endswith(tail) and (hit := _PREF_ROMAJI.get(key[: len(key) - len(tail)])):
                return Parsed(hit, hit)
        return _fuzzy_prefecture(key, _PREF_ROMAJI)

    key = match_key(cleaned)
    changed = True
    while changed and key:
        changed = False
        for fk in _PREF_FILLER_KEYS:
            if key.endswith(fk) and len(key) > len(fk):
                key = key[: -len(fk)]
                changed = True
    if not key:
        raise SlotError(f"都道府県名を入力してください。{_PREF_EXAMPLE}", "empty")
    if hit := _PREF_EXACT.get(key):
        return Parsed(hit, hit)
    named = [full for full in _PREF_FULL_NAMES if full in key]
    if len(named) > 1:
        raise SlotError(f"都道府県は1つだけ入力してください。{_PREF_EXAMPLE}", "several")
    if named:
        return Parsed(named[0], named[0])
    # 奈良と京都, 大阪か兵庫: two prefectures and nothing but joining words between them.
    stems_in = [stem for stem in _PREF_STEMS if stem in key]
    if len(stems_in) > 1:
        rest = key
        for stem in sorted(stems_in, key=len, reverse=True):
            rest = rest.replace(stem, "")
        if all(ch in _JOINERS for ch in rest):
            raise SlotError(f"都道府県は1つだけ入力してください。{_PREF_EXAMPLE}", "several")
    # 奈良剣, 大阪県, 奈良市…: a prefecture's stem at the start decides.
    prefix = [stem for stem in _PREF_STEMS if key.startswith(stem)]
    if prefix:
        full = _PREF_STEMS[max(prefix, key=len)]
        return Parsed(full, full)
    if phrases.has_kanji(key) and (hit := _PREF_EXACT.get(match_key(phrases.reading(key)))):
        return Parsed(hit, hit)  # 大坂, 岡山剣: a wrong kanji read as the prefecture's name
    return _fuzzy_prefecture(key, _PREF_EXACT)


def _unknown_prefecture() -> SlotError:
    return SlotError(
        f"都道府県名が分かりませんでした。都道府県名で入力してください。{_PREF_EXAMPLE}", "unknown"
    )


def _fuzzy_prefecture(key: str, table: dict[str, str]) -> Parsed:
    if len(key) < 3:
        raise _unknown_prefecture()
    limit = 1 if len(key) <= 5 else 2
    best: dict[str, int] = {}
    for alias, full in table.items():
        if len(alias) < 3:
            continue
        dist = Levenshtein.distance(key, alias, score_cutoff=limit)
        if dist <= limit and dist < best.get(full, 99):
            best[full] = dist
    if not best:
        raise _unknown_prefecture()
    top = min(best.values())
    winners = [full for full, d in best.items() if d == top]
    if len(winners) > 1:
        raise _ambiguous(winners)
    return Parsed(winners[0], winners[0])


# --------------------------------------------------------------------------- inquiry number

_INQ_EXAMPLE = "例：AB12 3456 78"
_INQ_LABEL_RE = re.compile(
    r"^(?:お?問い?合わ?せ番号|お?といあわせばんごう|番号|no\.|#)\s*[:：は]?\s*",
    re.IGNORECASE,
)


def parse_inquiry_number(text: str) -> Parsed:
    """A coupon inquiry number: 6-20 letters/digits, width, spaces and hyphens ignored, upper."""
    raw = _text(text)
    if _too_long(raw, 200):
        raise SlotError(
            f"お問合せ番号が長すぎるようです。券面の番号だけを入力してください。{_INQ_EXAMPLE}",
            "too_long",
        )
    s = clean(raw)
    s = _INQ_LABEL_RE.sub("", s)
    s = _DASH_RE.sub("", _WS_RE.sub("", s)).upper()
    if not s:
        raise SlotError(f"お問合せ番号を入力してください。{_INQ_EXAMPLE}", "empty")
    if not (s.isascii() and s.isalnum()):
        # "券面の番号はAB12-3456-78です": the one run of letters and digits in a sentence.
        runs = [_DASH_RE.sub("", _WS_RE.sub("", r)).upper()
                for r in _RUN_RE.findall(_width_fold(clean(raw)))]
        runs = [r for r in runs if 6 <= len(r) <= 20 and any(ch.isdigit() for ch in r)]
        if len(runs) == 1:
            s = runs[0]
    if not (s.isascii() and s.isalnum()):
        raise SlotError(
            "お問合せ番号は英字と数字だけで入力してください（空白やハイフンはあってもなくても"
            f"大丈夫です）。{_INQ_EXAMPLE}",
            "bad_characters",
        )
    if len(s) < 6:
        raise SlotError(
            f"桁数が足りないようです。券面のお問合せ番号をすべて入力してください。{_INQ_EXAMPLE}",
            "too_short",
        )
    if len(s) > 20:
        raise SlotError(
            f"桁数が多いようです。お問合せ番号だけを入力してください。{_INQ_EXAMPLE}", "too_long"
        )
    display = " ".join(s[i : i + 4] for i in range(0, len(s), 4))
    return Parsed(value=s, display=display)


# ------------------------------------------------------------------- the frame around a value

LABEL_WORDS = _LABEL_WORDS = (
    "お名前", "名前", "氏名", "ご住所", "住所", "電話番号", "携帯番号", "携帯電話", "携帯", "電話",
    "連絡先", "メールアドレス", "メアド", "メール", "アドレス", "お問合せ番号", "お問い合わせ番号",
    "問い合わせ番号", "問合せ番号", "クーポンの番号", "クーポン番号", "番号", "お店の名前", "店名",
    "店舗名", "店舗", "お店", "店", "都道府県", "旅行先", "行き先", "有効期限", "期限",
)
_FRAME_LEAD_RE = re.compile(
    r"^(?:(?:私|わたし|僕|ぼく|自分|うち)の)?(?:" + "|".join(_LABEL_WORDS)
    + r")(?:は|:|：|が|を)\s*[、,]?\s*")
_FRAME_TAIL_RE = re.compile(
    r"(?:\s*(?:です|でした|でございます|になります|と申します|といいます|と言います|だよ|です(?:ね|よ)"
    r"|でお願いします|でおねがいします|でお願いいたします|で(?:す)?(?:合ってる|あってる))"
    r"|(?:という|っていう)(?:お店|店|店舗|名前|ところ)?(?:です)?)?[\s。．.!！、]*$")


def strip_frame(text: str) -> str:
    """The value inside a sentence: 「名前は奈良花子です」 → 「奈良花子」,
    「電話番号：090-…でお願いします」 → 「090-…」. The text itself if no frame is found."""
    s = _tidy(_text(text))
    inner = _FRAME_TAIL_RE.sub("", _FRAME_LEAD_RE.sub("", s)).strip()
    return inner or s


_RUN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 \-]*[A-Za-z0-9]")


# --------------------------------------------------------------------------- free text fields


def _only_symbols(text: str) -> bool:
    """No letter and no digit: emoji, punctuation, symbols only."""
    return not any(unicodedata.category(ch)[0] in "LN" for ch in text)


def parse_name(text: str) -> Parsed:
    """A person's name as given: trimmed, whitespace collapsed to one space, 1-60 characters."""
    raw = _text(text)
    if _too_long(raw):
        raise SlotError("お名前が長すぎるようです（60文字まで）。例：山田 太郎", "too_long")
    s = _tidy(raw)
    if not s:
        raise SlotError("お名前を入力してください。例：山田 太郎", "empty")
    if len(s) > 60:
        raise SlotError("お名前が長すぎるようです（60文字まで）。例：山田 太郎", "too_long")
    if "@" in s:
        raise SlotError(
            "メールアドレスではなく、お名前を入力してください。例：山田 太郎", "looks_like_email"
        )
    if not _has_letter(s):
        if any(ch.isdigit() for ch in s):
            raise SlotError(
                "数字ではなく、お名前を文字で入力してください。例：山田 太郎", "digits_only"
            )
        raise SlotError("お名前を文字で入力してください。例：山田 太郎", "no_letters")
    return Parsed(value=s, display=s)


_ADDRESS_EXAMPLE = "例：奈良県奈良市登大路町30"


def parse_address(text: str) -> Parsed:
    """A postal address as given: trimmed, full-width digits made ASCII, 5-200 characters."""
    raw = _text(text)
    if _too_long(raw):
        raise SlotError(f"住所が長すぎるようです（200文字まで）。{_ADDRESS_EXAMPLE}", "too_long")
    s = _tidy(raw)
    # 1ー2ー3 (long vowel mark or other dashes typed between numbers) -> 1-2-3
    s = re.sub(r"(?<=\d)\s*[" + re.escape(_DASH_CHARS) + r"]\s*(?=\d)", "-", s)
    if not s:
        raise SlotError(f"住所を入力してください。{_ADDRESS_EXAMPLE}", "empty")
    if len(s) > 200:
        raise SlotError(f"住所が長すぎるようです（200文字まで）。{_ADDRESS_EXAMPLE}", "too_long")
    if _letter_count(s) < 2:
        raise SlotError(
            f"住所を、都道府県・市区町村から文字で入力してください。{_ADDRESS_EXAMPLE}",
            "no_letters",
        )
    if len(s) < 5:
        raise SlotError(
            f"住所が短すぎるようです。都道府県から番地まで入力してください。{_ADDRESS_EXAMPLE}",
            "too_short",
        )
    return Parsed(value=s, display=s)


def parse_shop(text: str) -> Parsed:
    """Name of the shop where the coupon was used: trimmed, 1-100 characters."""
    raw = _text(text)
    example = "例：奈良ホテル"
    if _too_long(raw):
        raise SlotError(f"店名が長すぎるようです（100文字まで）。{example}", "too_long")
    s = _tidy(raw)
    if not s:
        raise SlotError(f"クーポンを使ったお店の名前を入力してください。{example}", "empty")
    if len(s) > 100:
        raise SlotError(f"店名が長すぎるようです（100文字まで）。{example}", "too_long")
    if _only_symbols(s):
        raise SlotError(f"お店の名前を文字で入力してください。{example}", "no_letters")
    return Parsed(value=s, display=s)


# --------------------------------------------------------------------------- yes / no

_YES_WORDS = (
    "はい", "はいはい", "はーい", "はいっ", "うん", "うんうん", "ええ", "そう", "そうです",
    "そうですね", "そうだよ",
    "そのとおり", "その通り", "その通りです", "そのとおりです", "yes", "y", "yeah", "yep", "ok",
    "okay", "hai", "haai", "un", "ee", "sou",  # romaji はい, うん, ええ, そう
    "おk", "おけ", "おっけー", "おっけ", "おーけー", "okです", "お願いします",
    "おねがいします", "お願い", "おねがい", "大丈夫", "大丈夫です", "だいじょうぶ",
    "だいじょうぶです", "合ってます", "合っています", "合ってる", "あってます", "あっています",
    "あってる", "正しいです", "正しい", "問題ありません", "問題ない", "了解", "りょうかい",
    "了解です", "承知しました", "いいよ", "いいですよ", "それで", "それでいい",
    "それでお願いします", "よろしくお願いします", "はいそうです", "ありです", "あり",
    "no problem", "sure", "せや", "せやで", "せやね", "そや", "そうや", "そうだ", "そうだよ",
    "そうそう", "うむ", "さようです", "左様です", "さようでございます", "左様でございます",
    "ええそうです", "はいそうでございます", "そうでございます",  # and in dialects:
    "んだ", "んだんだ", "んだよ", "んだね", "んだっちゃ", "そうたい", "そうばい", "そうよ",
    "そうやで", "そやで", "せやせや", "そうやねん", "そうなんよ", "そうじゃ", "そうじゃけえ",
)
_NO_WORDS = (
    "いいえ", "いえ", "いや", "いやいや", "違う", "違います", "ちがう", "ちがいます", "違", "no",
    "n", "nope", "ng", "iie", "iya", "uun", "chigau",  # romaji いいえ, いや, ううん, ちがう
    "だめ", "ダメ", "駄目", "結構です", "けっこうです", "間違い", "間違いです",
    "間違ってます", "間違っています", "まちがい", "まちがってます", "ちがいますね", "違いますね",
    "いらない", "いりません", "不要", "不要です", "なし", "ないです", "しません", "しない",
    "ちゃう", "ちゃうよ", "ちゃうで", "ちゃいます", "ちゃいますよ",
)
_YES_PREFIXES = ("はい", "うん", "ええ", "そうです", "さようで", "左様で", "お願いします",
                 "おねがいします", "大丈夫です", "んだ")
_YES_ALONE = ("んだ",)  # a yes only as a word of its own (「んだ、残ってだ」, not 「んだけど」)
_FILLER_AFTER = ("と", "っと", "ーと")  # ええと, ええっと: a filler, not ええ (yes)
_NO_PREFIXES = ("いいえ", "違います", "ちがいます", "違う", "ちがう", "結構です", "けっこうです")
_NEGATION_MARKS = ("ない", "ません", "ちが", "違", "いいえ", "だめ", "じゃ", "ではな")
_AFFIRM_MARKS = ("はい", "そうです", "あって", "合って")
_ASCII_YES = frozenset({"yes", "y", "ok", "okay", "yeah", "yep", "sure"})
_ASCII_NO = frozenset({"no", "n", "nope", "ng"})


def _yn_key(word: str) -> str:
    return normalize(word).replace(" ", "").rstrip("ー")


def _collapse_runs(word: str) -> str:
    return re.sub(r"(.)\1+", r"\1", word)


_YES_KEYS = frozenset(_yn_key(w) for w in _YES_WORDS)
_NO_KEYS = frozenset(_yn_key(w) for w in _NO_WORDS)
_YES_RUNS = frozenset(_collapse_runs(k) for k in _YES_KEYS)
_NO_RUNS = frozenset(_collapse_runs(k) for k in _NO_KEYS)
_YES_PREFIX_KEYS = tuple(_yn_key(w) for w in _YES_PREFIXES)
_NO_PREFIX_KEYS = tuple(_yn_key(w) for w in _NO_PREFIXES)
_TRAILERS = ("です", "ですね", "ですよ", "だよ", "よ", "ね", "な", "w", "笑")


def parse_yes_no(text: str) -> bool | None:
    """True for yes (はい, うん, ok, お願いします), False for no (いいえ, 違う), else None."""
    raw = _text(text)
    if _too_long(raw, 100):
        return None
    norm = normalize(raw)
    if not norm:
        return None
    first = norm.split(" ", 1)[0]
    key = norm.replace(" ", "").rstrip("ー")
    if not key:
        return None
    if key in ("え", "えっ", "あ"):
        return None  # 「え？」 is surprise, not ええ
    for candidate in _yn_candidates(key):
        if candidate in _YES_KEYS:
            return True
        if candidate in _NO_KEYS:
            return False
    if first.isascii() and first != norm:
        if first in _ASCII_YES and not any(w in norm.split() for w in _ASCII_NO | {"not"}):
            return True
        if first in _ASCII_NO and not any(w in norm.split() for w in _ASCII_YES):
            return False
    # Repeated characters: はいい, いいえええ, うんんん, yess
    runs = _collapse_runs(key)
    in_yes, in_no = runs in _YES_RUNS, runs in _NO_RUNS
    if in_yes != in_no:
        return in_yes
    # A clear opener followed by more words: はい、お願いします / いいえ、違います
    for prefix in _YES_PREFIX_KEYS:
        if key.startswith(prefix) and key != prefix:
            rest = key[len(prefix) :]
            if rest.startswith(_FILLER_AFTER) or prefix in _YES_ALONE and not re.match(
                    rf"\s*{prefix}[、。，,.．!！\s　]", raw):
                continue  # ええと; 「んだけど」 (only 「んだ、…」 is yes)
            if not any(mark in rest for mark in _NEGATION_MARKS):
                return True
            return None
    for prefix in _NO_PREFIX_KEYS:
        if key.startswith(prefix) and key != prefix:
            rest = key[len(prefix) :]
            if not any(mark in rest for mark in _AFFIRM_MARKS):
                return False
            return None
    # One slip in a longer word: おねがいしまう, ちがいまs
    if len(key) >= 4:
        negated = any(mark in key for mark in _NEGATION_MARKS)
        hits: set[bool] = set()
        for words, answer in ((_YES_KEYS, True), (_NO_KEYS, False)):
            if answer and negated:
                continue
            for word in words:
                if len(word) >= 4 and Levenshtein.distance(key, word, score_cutoff=1) <= 1:
                    hits.add(answer)
        if len(hits) == 1:
            return hits.pop()
    return None


def _yn_candidates(key: str) -> list[str]:
    """The key, and the key with one polite trailer (です, ね, よ) removed."""
    out = [key]
    for trailer in _TRAILERS:
        if key.endswith(trailer) and len(key) > len(trailer):
            out.append(key[: -len(trailer)].rstrip("ー"))
    return out
