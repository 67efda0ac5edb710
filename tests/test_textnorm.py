"""Japanese normalisation: folding rules, numerals, n-grams, and totality on hostile input."""

from __future__ import annotations

import pytest

from bot.textnorm import char_ngrams, clean, kanji_numerals_to_digits, match_key, normalize


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("ＡＢＣ１２３", "abc123"),  # full-width letters and digits
        ("ｸｰﾎﾟﾝ", "くーぽん"),  # half-width kana -> full-width -> hiragana
        ("クーポン", "くーぽん"),
        ("Ａｍａｚｏｎ ギフト", "amazonぎふと"),  # no space kept between scripts
        ("PayPay ポイント", "paypayぽいんと"),
        ("サーバ〜ー", "さーばー"),  # long vowel variants unify, runs collapse
        ("ス－パ－", "すーぱー"),  # full-width hyphen after kana is a long vowel
        ("はい〜！！", "はいー"),
        ("「補償」の対象は？", "補償の対象は"),  # punctuation and brackets go
        ("  使え　ない  ", "使えない"),  # ideographic space, stray spaces
        ("3ヶ月", "3か月"),
        ("３カ月", "3か月"),
    ],
)
def test_folding(raw: str, want: str) -> None:
    assert normalize(raw) == want


def test_digits_and_separators() -> None:
    assert normalize("０１２０－４７９－２４９") == "0120 479 249"
    assert normalize("2/24〜3/31") == "2/24 3/31"
    assert normalize("23：59まで") == "23:59まで"
    assert normalize("1.5倍") == "1.5倍"


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("三十一日", "31日"),
        ("三月三十一日", "3月31日"),
        ("令和五年二月二十四日", "令和5年2月24日"),
        ("令和元年", "令和1年"),
        ("二〇二三年", "2023年"),
        ("千二百円", "1200円"),
        ("三万円", "30000円"),
        ("三ヶ月", "3ヶ月"),
        # digits written with a kanji unit
        ("2千円", "2000円"),
        ("3千5百円", "3500円"),
        ("1万5000円", "15000円"),
        ("令和5年", "令和5年"),
        # words that merely contain a numeral stay words
        ("十分です", "十分です"),
        ("一人で一度", "一人で一度"),
        ("統一日", "統一日"),
        ("一般の方", "一般の方"),
        ("元年", "元年"),
    ],
)
def test_kanji_numerals(raw: str, want: str) -> None:
    assert kanji_numerals_to_digits(raw) == want


def test_kanji_numerals_inside_normalize() -> None:
    assert normalize("三ヶ月") == "3か月"
    assert normalize("３月三十一日（金）２３：５９") == "3月31日金23:59"


def test_clean_keeps_natural_text() -> None:
    assert clean("ＡＢＣ　クーポン\x00\n\tです！") == "ABC クーポン です!"
    assert clean("ｸｰﾎﾟﾝ") == "クーポン"


def test_match_key_drops_spaces_and_long_vowels() -> None:
    assert match_key("サーバー") == match_key("サーバ") == "さば"
    assert match_key("Amazon gift") == "amazongift"


def test_char_ngrams() -> None:
    assert char_ngrams("くーぽん") == ["くー", "ーぽ", "ぽん"]
    assert char_ngrams("a b") == ["a", "b"]
    assert char_ngrams("") == []
    assert char_ngrams("あいう", 3) == ["あいう"]


HOSTILE = [
    "",
    " ",
    "\x00\x01\x1f\x7f",
    "\u200b\u200e\ufeff",
    "\ud800\udfff lone surrogates",
    "😀🙏👨‍👩‍👧 emoji",
    "'; DROP TABLE claims; --",
    "<script>alert('x')</script>",
    "あ" * 5000,
    "一二三四五六七八九十百千万" * 300 + "円",
    "ー" * 100,
    "〜～~－-" * 50,
    "\U0010ffff\U000e0001",
    "零万円",
    "万万万円",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_never_raises(text: str) -> None:
    for fn in (normalize, clean, match_key, kanji_numerals_to_digits):
        out = fn(text)
        assert isinstance(out, str)
    assert isinstance(char_ngrams(normalize(text)), list)


def test_control_characters_removed() -> None:
    assert normalize("ク\x00ー\x1bポ\u200bン") == "くーぽん"


def test_not_a_string_is_tolerated() -> None:
    assert clean(None) == ""  # type: ignore[arg-type]
    assert normalize(12) == "12"  # type: ignore[arg-type]


def test_idempotent() -> None:
    for text in ["ＡＢＣ　クーポンです！", "令和五年二月二十四日", "サーバ〜ー", "0120-479-249"]:
        once = normalize(text)
        assert normalize(once) == once


def test_latin_abbreviations_spelled_in_kana_read_as_letters() -> None:
    assert normalize("特設サイトのユーアールエル") == normalize("特設サイトのURL")
    assert normalize("えすえむえすの番号") == normalize("SMSの番号")
