"""Plain forms, negation and readings: what lets a flow's phrase meet what people type."""

from __future__ import annotations

import pytest

from bot.phrases import best, contains, find, plain, reading


@pytest.mark.parametrize(("typed", "written"), [
    ("もらいました", "もらった"),
    ("残ってました", "残っていた"),
    ("残っておりました", "残っていた"),
    ("残っています", "残っている"),
    ("覚えてないです", "覚えていない"),
    ("覚えていません", "覚えていない"),
    ("わかりません", "わからない"),
    ("わかんない", "わからない"),
    ("使い切りました", "使い切った"),
    ("使い切っちゃった", "使い切った"),
    ("なくしてしまいました", "なくした"),
    ("送信します", "送信する"),
    ("いただきました", "いただいた"),
    ("チャージしてませんでした", "チャージしていない"),
    ("ありませんでした", "ない"),
    ("アプリはやめました", "アプリはやめた"),
    ("使えなかったです", "使えなかった"),
    # Kansai: 〜へん, 〜へんかってん (〜なかったんだ), 〜とった, もろてん
    ("使われへんかってん", "使われなかった"),
    ("わからへん", "わからない"),
    ("覚えてへん", "覚えていない"),
    ("アプリは使てへん", "アプリは使てない"),
    ("チャージしとった", "チャージしていた"),
    ("紙のクーポンもろてん", "紙のクーポンもらった"),
    ("わからへんねん", "わからないねん"),  # the copula ねん is no negation
    # the Kansai ん before a mark that normalising drops: 「わからん、」「わからんｗ」
    ("わからん、親が払った", "わからない親が払った"),
    ("わからんｗ", "わからないw"),
    ("ごめん、間違えた", "ごめん間違えた"),
])
def test_polite_and_contracted_forms_meet_the_plain_phrase(typed: str, written: str) -> None:
    assert plain(typed) == plain(written)


def test_a_short_word_is_negated_later_in_its_clause() -> None:
    assert not contains("ボタンは1回しか押してないし、現金では払ってないです", ["現金"])
    assert contains("現金で払ったのに残高も引かれてない", ["現金"])


def test_a_particle_before_the_negation_still_negates() -> None:
    assert not contains("残高は減ってないし二重にもなってません", ["二重"])
    assert not contains("2重にはなっていないです", ["2重"])
    assert not contains("2回押したけど引かれてはいない", ["引かれ"])
    assert not contains("引かれてもいないです", ["引かれ"])
    assert contains("2回押したら2回とも引かれていた", ["引かれ"])


@pytest.mark.parametrize("typed", [
    "アプリにチャージは一度もしていない",
    "アプリにチャージなんてしてません",
    "アプリに入れたりはしていない",
    "アプリで払ったことはない",
])
def test_a_light_verb_denied_after_a_particle_denies_the_phrase(typed: str) -> None:
    phrases = ["アプリにチャージ", "アプリに入れた", "アプリで払った"]
    assert not contains(typed, phrases)
    # ...and a word inside the denied phrase is not taken on its own
    assert best(typed, [("charged", ["アプリ", *phrases])]) is None


def test_a_denied_verb_of_another_word_is_no_denial() -> None:
    assert contains("紙のクーポンは使えなかった", ["紙のクーポン"])
    assert contains("アプリにチャージしたけど使えなかった", ["アプリにチャージ"])


def test_a_phrase_negated_right_after_is_no_match() -> None:
    assert find(plain("チャージしてないです"), plain("チャージして")) == []
    assert find(plain("チャージしていました"), plain("チャージして")) != []
    assert find(plain("同意しません"), plain("同意")) == []
    # A phrase that is itself negative is not "negated" by its own ending.
    assert find(plain("残っていません"), plain("残っていない")) != []


@pytest.mark.parametrize(("typed", "expected"), [
    ("いくら残ってたか覚えてない", "unsure"),  # the predicate at the end decides
    ("残ってました", "yes"),
    ("はい、3000円くらい残っていました", "yes"),
    ("いいえ、残っていませんでした", "no"),
    ("全部使い切りました", "no"),
])
def test_the_phrase_that_ends_last_wins(typed: str, expected: str) -> None:
    options = [("yes", ["残っていた", "残っている"]),
               ("no", ["使い切った", "残っていない"]),
               ("unsure", ["覚えていない", "わからない"])]
    assert best(typed, options) == expected


def test_kana_only_text_is_read_against_kanji_phrases() -> None:
    assert reading("現金で払った") == "げんきんではらつた"  # small kana folded, as typed on phones
    assert best("のこつてた", [("yes", ["残っていた"])]) == "yes"
    assert contains("たいしょうか確認したい", ["対象"])
    assert contains("げんきんではらったのに くーぽんのざんだかもへってた", ["現金で払った"])
    assert contains("ほしょうのたいしょうかかくにんしたい", ["確認"])
    assert not contains("ほしょうのたいしょうかかくにんしたい", ["現金"])


@pytest.mark.parametrize("text", ["", " ", "\x00", "🙂", "a" * 5000, "<script>", "' OR 1=1 --"])
def test_total_on_any_text(text: str) -> None:
    assert isinstance(plain(text), str)
    assert best(text, [("x", ["確認"])]) is None
