"""Slot parsers: accepted forms, specific re-prompts, hostile input, and no personal data leaks."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest

from bot.slots import (
    PREFECTURES,
    Parsed,
    SlotError,
    kana_date_units,
    parse_address,
    parse_date,
    parse_email,
    parse_inquiry_number,
    parse_name,
    parse_phone,
    parse_prefecture,
    parse_shop,
    parse_yes_no,
)

PARSERS: list[Callable[[str], Parsed]] = [
    parse_phone,
    parse_email,
    parse_date,
    parse_prefecture,
    parse_inquiry_number,
    parse_name,
    parse_address,
    parse_shop,
]


def _error(parser: Callable[[str], Parsed], text: str) -> SlotError:
    with pytest.raises(SlotError) as info:
        parser(text)
    return info.value


# --------------------------------------------------------------------------- phone


@pytest.mark.parametrize(
    ("raw", "value", "display"),
    [
        ("090-1234-5678", "+819012345678", "090-1234-5678"),
        ("09012345678", "+819012345678", "090-1234-5678"),
        ("０９０ー１２３４ー５６７８", "+819012345678", "090-1234-5678"),
        ("０９０－１２３４－５６７８", "+819012345678", "090-1234-5678"),
        ("090 1234 5678", "+819012345678", "090-1234-5678"),
        ("+81 90-1234-5678", "+819012345678", "090-1234-5678"),
        ("+81-90-1234-5678", "+819012345678", "090-1234-5678"),
        ("+81 090 1234 5678", "+819012345678", "090-1234-5678"),  # 0 kept after +81
        ("0081-90-1234-5678", "+819012345678", "090-1234-5678"),
        ("0742-27-1234", "+81742271234", "0742-27-1234"),
        ("(0742)27-1234", "+81742271234", "0742-27-1234"),
        ("０７４２（２７）１２３４", "+81742271234", "0742-27-1234"),
        ("03-1234-5678", "+81312345678", "03-1234-5678"),
        ("080.1234.5678", "+818012345678", "080-1234-5678"),
        ("050-1234-5678", "+815012345678", "050-1234-5678"),
        ("電話番号：090-1234-5678", "+819012345678", "090-1234-5678"),
        ("TEL 090-1234-5678", "+819012345678", "090-1234-5678"),
        ("  070-1234-5678\n", "+817012345678", "070-1234-5678"),
        # kanji digits, as older people write a number; ○ for zero
        ("〇九〇－一二三四－五六七八", "+819012345678", "090-1234-5678"),
        ("〇八〇 一二三四 五六七八", "+818012345678", "080-1234-5678"),
        ("○七四二（二七）一二三四", "+81742271234", "0742-27-1234"),
    ],
)
def test_phone_accepts(raw: str, value: str, display: str) -> None:
    assert parse_phone(raw) == Parsed(value, display)


@pytest.mark.parametrize(
    ("raw", "code", "says"),
    [
        ("", "empty", "入力してください"),
        ("   ", "empty", "入力してください"),
        ("090-1234-567", "too_short", "桁数が足りない"),
        ("0901234567", "too_short", "桁数が足りない"),
        ("0742-27-123", "too_short", "桁数が足りない"),
        ("1234", "too_short", "桁数が足りない"),
        ("090-1234-56789", "too_long", "桁数が多い"),
        ("0742-27-12345", "too_long", "桁数が多い"),
        ("12345678901234567890", "too_long", "桁数が多い"),
        ("abc", "not_a_number", "数字で"),
        ("090-1234-567８a", "not_a_number", "数字で"),
        ("ぜろきゅうぜろ", "not_a_number", "数字で"),
        ("〇九〇の千二百三十四", "not_a_number", "数字で"),  # kanji digits with other words
        ("taro@example.com", "not_a_number", "メールアドレスではなく"),
        ("+1 202 555 0123", "not_japanese", "日本国内"),
        ("0000000000", "invalid", "形になっていない"),
    ],
)
def test_phone_rejects(raw: str, code: str, says: str) -> None:
    err = _error(parse_phone, raw)
    assert err.code == code
    assert says in err.message
    assert "例：" in err.message


# --------------------------------------------------------------------------- email


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("yamada.taro@example.com", "yamada.taro@example.com"),
        ("Yamada.Taro@Example.COM", "Yamada.Taro@example.com"),  # domain lowercased only
        ("ｙａｍａｄａ＠ｇｍａｉｌ．ｃｏｍ", "yamada@gmail.com"),  # full-width
        ("yamada＠docomo.ne.jp", "yamada@docomo.ne.jp"),
        ("  yamada@gmail.com  ", "yamada@gmail.com"),
        ("yamada@gmail.com。", "yamada@gmail.com"),  # sentence end
        ("yamada@gmail。com", "yamada@gmail.com"),  # IME full stop inside
        ("<yamada@gmail.com>", "yamada@gmail.com"),
        ("「yamada@gmail.com」", "yamada@gmail.com"),
        ("yamada @ gmail.com", "yamada@gmail.com"),
        ("メール: yamada@gmail.com", "yamada@gmail.com"),
        ("mailto:yamada@gmail.com", "yamada@gmail.com"),
        ("email.me@gmail.com", "email.me@gmail.com"),  # a label-like start is kept
        ("yamada+claim@gmail.com", "yamada+claim@gmail.com"),
        ("a_b-c@i.softbank.jp", "a_b-c@i.softbank.jp"),
        ("yamada@mail.com", "yamada@mail.com"),  # real domain next to gmail.com
        ("yamada@yahoo.co.jp", "yamada@yahoo.co.jp"),
        # older Japanese carrier addresses break RFC 5322 but receive mail
        ("taro..hanako@docomo.ne.jp", "taro..hanako@docomo.ne.jp"),
        ("taro.@ezweb.ne.jp", "taro.@ezweb.ne.jp"),
    ],
)
def test_email_accepts(raw: str, value: str) -> None:
    parsed = parse_email(raw)
    assert parsed.value == value
    assert parsed.display == value


@pytest.mark.parametrize(
    ("raw", "code", "says"),
    [
        ("", "empty", "入力してください"),
        ("yamadagmail.com", "missing_at", "「@」が入っていない"),
        ("yamada", "missing_at", "「@」が入っていない"),
        ("yamada@@gmail.com", "double_at", "「@」は1つだけ"),
        ("yamada@gmail@com", "double_at", "「@」は1つだけ"),
        ("@gmail.com", "no_local", "前の部分"),
        ("yamada@", "no_domain", "後ろ"),
        ("yamada@gmail", "no_dot", "途中で切れて"),
        ("yamada@gmail,com", "comma", "カンマ"),
        ("yamada@gmail.con", "domain_typo", "「gmail.com」"),
        ("yamada@gmial.com", "domain_typo", "「gmail.com」"),
        ("yamada@gmail.co", "domain_typo", "「gmail.com」"),
        ("yamada@gmai.com", "domain_typo", "「gmail.com」"),
        ("yamada@yahoo.co.jo", "domain_typo", "「yahoo.co.jp」"),
        ("yamada@docomo.ne.jo", "domain_typo", "「docomo.ne.jp」"),
        ("yamada@icloud.con", "domain_typo", "「icloud.com」"),
        ("yamada@mycompany.con", "domain_typo", "「.com」ではありませんか"),
        ("yamada@mycompany.co.jpp", "domain_typo", "「.co.jp」ではありませんか"),
        ("山田@example.com", "bad_characters", "半角の英数字"),
        ("yamada@例え.jp", "bad_characters", "半角の英数字"),
        ("yamada..taro@gmail.com", "invalid", "形になっていない"),
        ("yamada@example.invalid", "invalid", "形になっていない"),
        ("yam(ada@gmail.com", "invalid", "形になっていない"),
    ],
)
def test_email_rejects(raw: str, code: str, says: str) -> None:
    err = _error(parse_email, raw)
    assert err.code == code
    assert says in err.message


def test_email_typo_message_names_the_ending_not_the_domain() -> None:
    err = _error(parse_email, "yamada@my-secret-company.con")
    assert "my-secret-company" not in err.message
    assert "yamada" not in err.message


# --------------------------------------------------------------------------- date

FEB24 = date(2023, 2, 24)


@pytest.mark.parametrize(
    "raw",
    [
        "2/24",
        "２/２４",
        "２／２４",
        "2月24日",
        "２月２４日",
        "2月24",
        "2 月 24 日",
        "二月二十四日",
        "令和5年2月24日",
        "令和５年２月２４日",
        "令和五年二月二十四日",
        "R5.2.24",
        "r5.2.24",
        "R05.02.24",
        "R5/2/24",
        "R5年2月24日",
        "5年2月24日",  # a bare small year is Reiwa
        "H35.2.24",  # 平成35年 = 2023, still written on some forms
        "2023-02-24",
        "2023/2/24",
        "2023.2.24",
        "２０２３／０２／２４",
        "2023年2月24日",
        "2023年2月24日（金）",
        "2023年2月24日(金曜日)",
        "23/2/24",
        "20230224",
        "2/24 18:00",
        "2月24日の夕方",
        "2月24日です",
        "2.24",
        "2-24",
    ],
)
def test_date_accepts(raw: str) -> None:
    assert parse_date(raw) == Parsed(FEB24, "2023年2月24日（金）")


def test_date_default_year_and_other_dates() -> None:
    assert parse_date("3/31").value == date(2023, 3, 31)
    assert parse_date("3/31", default_year=2024).value == date(2024, 3, 31)
    assert parse_date("2022年12月1日").display == "2022年12月1日（木）"
    assert parse_date("令和6年2月29日").value == date(2024, 2, 29)  # leap year
    assert parse_date("2020/2/24", years=(2020, 2024)).value == date(2020, 2, 24)


@pytest.mark.parametrize(
    ("raw", "code", "says"),
    [
        ("", "empty", "入力してください"),
        ("24日", "missing_month", "何月"),
        ("２４日", "missing_month", "何月"),
        ("二十四日", "missing_month", "何月"),
        ("2月", "missing_day", "何日"),
        ("2/30", "impossible_date", "2023年2月は28日まで"),
        ("2月29日", "impossible_date", "28日まで"),
        ("4/31", "impossible_date", "30日まで"),
        ("2/0", "impossible_date", "28日まで"),
        ("13/1", "bad_month", "1から12"),
        ("0/5", "bad_month", "1から12"),
        ("2020/2/24", "year_out_of_range", "2022年から2024年"),
        ("2025年2月24日", "year_out_of_range", "2022年から2024年"),
        ("平成5年2月24日", "year_out_of_range", "2022年から2024年"),
        ("昭和50年2月24日", "year_out_of_range", "2022年から2024年"),
        ("2/24と2/25", "several_dates", "1つだけ"),
        ("昨日", "unreadable", "読み取れません"),
        ("金曜日", "unreadable", "読み取れません"),
        ("いつだったか忘れました", "unreadable", "読み取れません"),
        ("20232424", "bad_month", "1から12"),
    ],
)
def test_date_rejects(raw: str, code: str, says: str) -> None:
    err = _error(parse_date, raw)
    assert err.code == code
    assert says in err.message
    assert "例：" in err.message


# --------------------------------------------------------------------------- prefecture


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("奈良県", "奈良県"),
        ("奈良", "奈良県"),
        ("なら", "奈良県"),
        ("ならけん", "奈良県"),
        ("ナラ", "奈良県"),
        ("ﾅﾗｹﾝ", "奈良県"),
        ("奈良剣", "奈良県"),  # IME slip
        ("奈良県です", "奈良県"),
        ("奈良市", "奈良県"),
        ("奈良県奈良市登大路町", "奈良県"),
        ("  奈良 県 ", "奈良県"),
        ("おおさか", "大阪府"),
        ("大阪", "大阪府"),
        ("大阪県", "大阪府"),  # wrong suffix
        ("大阪市福島区", "大阪府"),  # another prefecture's stem inside a ward name
        ("和歌山", "和歌山県"),
        ("わかやまけん", "和歌山県"),
        ("北海道", "北海道"),
        ("ほっかいどう", "北海道"),
        ("ホッカイドウ", "北海道"),
        ("東京", "東京都"),
        ("東京都", "東京都"),
        ("とうきょう", "東京都"),
        ("とうきょうと", "東京都"),
        ("東京都庁", "東京都"),
        ("京都", "京都府"),
        ("京都府京都市", "京都府"),
        ("きょうと", "京都府"),
        ("かながわ", "神奈川県"),
        ("神奈河県", "神奈川県"),
        ("いばらぎ", "茨城県"),  # common misreading
        ("いばらぎけん", "茨城県"),
        ("かごしま", "鹿児島県"),
        ("みえ", "三重県"),
        ("Nara", "奈良県"),
        ("NARA", "奈良県"),
        ("nara-ken", "奈良県"),
        ("Nara Prefecture", "奈良県"),
        ("Osaka", "大阪府"),
        ("Ōsaka", "大阪府"),
        ("oosaka", "大阪府"),
        ("Osaka-fu", "大阪府"),
        ("Tokyo", "東京都"),
        ("toukyou", "東京都"),
        ("tokyo-to", "東京都"),
        ("Kyoto", "京都府"),
        ("Hokkaido", "北海道"),
        ("gifu", "岐阜県"),
        ("Kochi", "高知県"),
        ("kouchi", "高知県"),
        ("Hyogo", "兵庫県"),
        ("Ｎａｒａ", "奈良県"),
    ],
)
def test_prefecture_accepts(raw: str, want: str) -> None:
    assert parse_prefecture(raw) == Parsed(want, want)


@pytest.mark.parametrize(("full", "kana", "romaji"), PREFECTURES)
def test_every_prefecture_by_name_stem_kana_and_romaji(full: str, kana: str, romaji: str) -> None:
    stem = full if full == "北海道" else full[:-1]
    for form in (full, stem, kana, romaji, romaji.capitalize()):
        assert parse_prefecture(form).value == full, form


def test_there_are_47_prefectures() -> None:
    assert len({p[0] for p in PREFECTURES}) == 47


@pytest.mark.parametrize(
    ("raw", "code", "says"),
    [
        ("", "empty", "入力してください"),
        ("東北", "unknown", "例：奈良県"),
        ("関西", "unknown", "例：奈良県"),
        ("ニューヨーク", "unknown", "例：奈良県"),
        ("xyz", "unknown", "例：奈良県"),
        ("12345", "unknown", "例：奈良県"),
        ("奈良と京都", "several", "1つだけ"),
        ("奈良県と京都府", "several", "1つだけ"),
        ("大阪か兵庫", "several", "1つだけ"),
        ("栃本県", "ambiguous", "「栃木県」「熊本県」"),  # one slip from both
    ],
)
def test_prefecture_rejects(raw: str, code: str, says: str) -> None:
    err = _error(parse_prefecture, raw)
    assert err.code == code
    assert says in err.message


# --------------------------------------------------------------------------- inquiry number


@pytest.mark.parametrize(
    ("raw", "value", "display"),
    [
        ("AB12345678", "AB12345678", "AB12 3456 78"),
        ("ab12345678", "AB12345678", "AB12 3456 78"),
        ("ＡＢ１２３４５６７８", "AB12345678", "AB12 3456 78"),
        ("AB12-3456-78", "AB12345678", "AB12 3456 78"),
        ("ＡＢ１２ー３４５６ー７８", "AB12345678", "AB12 3456 78"),
        ("AB12－3456‐78", "AB12345678", "AB12 3456 78"),
        ("ab 12 34 56 78", "AB12345678", "AB12 3456 78"),
        ("AB12\u30003456\u300078", "AB12345678", "AB12 3456 78"),
        ("お問合せ番号：AB12345678", "AB12345678", "AB12 3456 78"),
        ("問い合わせ番号 AB12345678", "AB12345678", "AB12 3456 78"),
        ("123456", "123456", "1234 56"),
        ("NO123456", "NO123456", "NO12 3456"),  # letters that look like a label stay
        ("A" * 20, "A" * 20, "AAAA AAAA AAAA AAAA AAAA"),
    ],
)
def test_inquiry_number_accepts(raw: str, value: str, display: str) -> None:
    assert parse_inquiry_number(raw) == Parsed(value, display)


@pytest.mark.parametrize(
    ("raw", "code", "says"),
    [
        ("", "empty", "入力してください"),
        ("- -", "empty", "入力してください"),
        ("12345", "too_short", "桁数が足りない"),
        ("AB-12", "too_short", "桁数が足りない"),
        ("1" * 21, "too_long", "桁数が多い"),
        ("AB12-3456-7890-1234-56789", "too_long", "桁数が多い"),
        ("AB12あ345", "bad_characters", "英字と数字だけ"),
        ("AB12/3456", "bad_characters", "英字と数字だけ"),
        ("AB12_3456", "bad_characters", "英字と数字だけ"),
        ("わかりません", "bad_characters", "英字と数字だけ"),
    ],
)
def test_inquiry_number_rejects(raw: str, code: str, says: str) -> None:
    err = _error(parse_inquiry_number, raw)
    assert err.code == code
    assert says in err.message


# --------------------------------------------------------------------------- name, address, shop


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("山田太郎", "山田太郎"),
        ("  山田　太郎  ", "山田 太郎"),  # full-width space kept as one space
        ("山田\u3000\u3000太郎", "山田 太郎"),
        ("山田 \t 太郎\n", "山田 太郎"),
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ"),  # half-width kana widened
        ("Ｔａｒｏ Ｙａｍａｄａ", "Taro Yamada"),
        ("髙橋 一郎", "髙橋 一郎"),  # variant kanji untouched
        ("渡邊", "渡邊"),
        ("やまだ たろう", "やまだ たろう"),
        ("O'Brien", "O'Brien"),
        ("山", "山"),
        ("あ" * 60, "あ" * 60),
    ],
)
def test_name_accepts(raw: str, want: str) -> None:
    assert parse_name(raw) == Parsed(want, want)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        ("\u3000 \n", "empty"),
        ("12345", "digits_only"),
        ("１２３４５", "digits_only"),
        ("090-1234-5678", "digits_only"),
        ("😀😀", "no_letters"),
        ("🙏", "no_letters"),
        ("。。。", "no_letters"),
        ("yamada@example.com", "looks_like_email"),
        ("あ" * 61, "too_long"),
    ],
)
def test_name_rejects(raw: str, code: str) -> None:
    err = _error(parse_name, raw)
    assert err.code == code
    assert "例：山田 太郎" in err.message


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("奈良県奈良市登大路町30", "奈良県奈良市登大路町30"),
        ("奈良県奈良市登大路町３０", "奈良県奈良市登大路町30"),
        ("奈良県奈良市登大路町３０－１", "奈良県奈良市登大路町30-1"),
        ("奈良県奈良市登大路町1ー2ー3", "奈良県奈良市登大路町1-2-3"),
        ("  東京都千代田区  丸の内1-1-1　ビル5F ", "東京都千代田区 丸の内1-1-1 ビル5F"),
        ("奈良市登大路", "奈良市登大路"),
    ],
)
def test_address_accepts(raw: str, want: str) -> None:
    assert parse_address(raw) == Parsed(want, want)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        ("奈良", "too_short"),
        ("奈良市", "too_short"),
        ("12345", "no_letters"),
        ("1-2-3-4", "no_letters"),
        ("😀😀😀😀😀", "no_letters"),
        ("奈" + "あ" * 200, "too_long"),
    ],
)
def test_address_rejects(raw: str, code: str) -> None:
    assert _error(parse_address, raw).code == code


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("奈良ホテル", "奈良ホテル"),
        ("  奈良ホテル  ", "奈良ホテル"),
        ("ホテル　日航奈良", "ホテル 日航奈良"),
        ("ｶﾌｪ 123", "カフェ 123"),
        ("7-Eleven", "7-Eleven"),
        ("x" * 100, "x" * 100),
    ],
)
def test_shop_accepts(raw: str, want: str) -> None:
    assert parse_shop(raw) == Parsed(want, want)


@pytest.mark.parametrize(("raw", "code"), [("", "empty"), ("  ", "empty"), ("😀", "no_letters"),
                                            ("x" * 101, "too_long")])
def test_shop_rejects(raw: str, code: str) -> None:
    assert _error(parse_shop, raw).code == code


# --------------------------------------------------------------------------- yes / no


@pytest.mark.parametrize(
    "raw",
    [
        "はい", "ハイ", "ﾊｲ", "はい！", "はい。", "はい!!", "はいっ", "はいい", "はーい", "うん",
        "うんうん", "ええ", "そうです", "そうです！", "その通りです", "yes", "Yes", "YES!", "yess",
        "y", "ok", "OK", "ＯＫ", "okです", "OK です", "おけ", "おっけー", "お願いします",
        "おねがいします", "お願いします。", "大丈夫", "大丈夫です", "合ってます", "あってます",
        "はい、お願いします", "はい、大丈夫です", "はい そうです", "yes please", "おねがいしまう",
        "了解です", "いいですよ", "No problem",
    ],
)
def test_yes(raw: str) -> None:
    assert parse_yes_no(raw) is True


@pytest.mark.parametrize(
    "raw",
    [
        "いいえ", "イイエ", "いいえー", "いいえ。", "いいえええ", "いえ", "いや", "いやです",
        "違う", "違います", "違います。", "ちがう", "ちがいます", "チガイマス", "ちがいまう", "no",
        "No", "NO!", "nope", "n", "No thanks", "結構です", "けっこうです", "だめ", "ダメです",
        "間違ってます", "いいえ、違います", "違うと思います", "不要です",
    ],
)
def test_no(raw: str) -> None:
    assert parse_yes_no(raw) is False


@pytest.mark.parametrize(
    "raw",
    [
        "", "   ", "。", "🙂", "いい", "いいです",  # いいです can mean "no thanks": ask again
        "うーん", "ええと", "わからない", "たぶん", "はいいいえ", "大丈夫じゃない",
        "そうではありません", "お願いしません", "not sure", "maybe", "奈良県", "2/24",
        "x" * 5000, "はい" * 1000,
    ],
)
def test_neither(raw: str) -> None:
    assert parse_yes_no(raw) is None


# --------------------------------------------------------------------------- hostile input

HOSTILE = [
    "",
    " ",
    "\x00",
    "\x00\x01\x02\x1b[31m",
    "\ud800",  # lone surrogate
    "\u202e\u200b\ufeff",
    "😀" * 10,
    "👨‍👩‍👧‍👦",
    "a" * 5000,
    "あ" * 5000,
    "０" * 5000,
    "@" * 5000,
    "1/" * 2500,
    "-" * 5000,
    "'; DROP TABLE claims; --",
    "<script>alert(1)</script>",
    "${jndi:ldap://x}",
    "{{7*7}}",
    "%s%s%s%n",
    "\n\r\t",
    "令和令和令和",
    "9" * 300 + "年2月24日",
    "+" * 30,
    "+81",
    "@.",
    "a@b@c@d",
    "県県県",
    "ー－‐",
    "\u3000",
]


@pytest.mark.parametrize("parser", PARSERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_input_only_ever_raises_slot_error(
    parser: Callable[[str], Parsed], raw: str
) -> None:
    try:
        parsed = parser(raw)
    except SlotError as err:
        assert err.message
        assert err.code
        assert err.__cause__ is None
        assert err.__context__ is None or err.__suppress_context__
    else:
        assert isinstance(parsed, Parsed)
        assert isinstance(parsed.display, str)


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_yes_no(raw: str) -> None:
    assert parse_yes_no(raw) in (True, False, None)


def test_non_str_is_tolerated() -> None:
    for parser in PARSERS:
        with pytest.raises(SlotError):
            parser(None)  # type: ignore[arg-type]
    assert parse_yes_no(None) is None  # type: ignore[arg-type]


# --------------------------------------------------------------------------- no leaks

# Personal-looking answers that every parser rejects.
LEAKY = {
    parse_phone: [
        "鈴木花子です080-5555",
        "080-5555-777",
        "080-9876-54321",
        "suzuki.hanako@example.com",
        "+44 20 7946 0958",
        "0000000000",
    ],
    parse_email: [
        "suzuki.hanako.gmail.com",
        "suzuki.hanako@@gmail.com",
        "suzuki.hanako@gmail.con",
        "suzuki.hanako@secret-firm.con",
        "鈴木花子@example.com",
        "suzuki..hanako@gmail.com",
        "suzuki.hanako@gmail",
        "@secret-firm.co.jp",
    ],
    parse_date: ["1985年7月14日", "2/31", "14日に", "1985/7/14", "誕生日は7月"],
    parse_prefecture: ["鈴木花子", "ニューヨーク州", "栃本県", "秋田県と岩手県"],
    parse_inquiry_number: ["SEC-99", "XZ12あいう", "Q1W2E3R4T5Y6U7I8O9P0Z"],
    parse_name: ["08055557777", "suzuki.hanako@example.com"],
    parse_address: ["9-8-765", "本町通", "Z" * 201],
    parse_shop: ["\U0001f3e8\U0001f3e8", "ﾎﾃﾙ" * 40],
}


@pytest.mark.parametrize(
    ("parser", "raw"),
    [(parser, raw) for parser, raws in LEAKY.items() for raw in raws],
    ids=lambda v: getattr(v, "__name__", None) or str(v)[:20],
)
def test_error_messages_never_contain_the_input(parser: Callable[[str], Parsed], raw: str) -> None:
    err = _error(parser, raw)
    stripped = raw.strip()
    for text in (err.message, str(err), repr(err), *map(str, err.args)):
        assert stripped not in text
        # nor a recognisable piece of it (names, user part of an email, long digit runs)
        for piece in re.findall(r"[A-Za-z]{5,}|\d{4,}|[一-龥]{3,}", stripped):
            if piece not in ("example", "gmail"):
                assert piece not in text, piece


# --------------------------------------------------------------------------- message style

ALLOWED_ASCII_WORDS = {"yamada", "taro", "example", "com", "gmail", "jp", "co", "ne", "con",
                       "yahoo", "docomo", "icloud", "AB"}


def _all_messages() -> list[str]:
    messages = []
    for parser, raws in LEAKY.items():
        for raw in raws:
            messages.append(_error(parser, raw).message)
    for raw in ("", "24日", "2月", "2020/1/1", "13/1", "2/24と2/25"):
        messages.append(_error(parse_date, raw).message)
    for raw in ("", "12345", "a" * 30, "AB!12345"):
        messages.append(_error(parse_inquiry_number, raw).message)
    return messages


def test_messages_are_polite_japanese_with_no_english() -> None:
    for message in _all_messages():
        assert re.search("(ください|ます|です|ませんか)。?", message), message
        words = re.findall(r"[A-Za-z]+", message)
        assert set(words) <= ALLOWED_ASCII_WORDS, (message, words)
        assert len(message) <= 120, message


@pytest.mark.parametrize("raw", [
    "にがつにじゅうよっか",
    "にがつ にじゅうよっかです",
    "にがつにじゆうよつか",  # small kana dropped on a phone
    "にがつのにじゅうよっか",
    "れいわごねんにがつにじゅうよっか",
    "にせんにじゅうさんねん にがつ にじゅうよっか",
])
def test_date_read_out_in_hiragana(raw: str) -> None:
    assert parse_date(raw).value == FEB24


def test_hiragana_dates_other_days_and_words_left_alone() -> None:
    assert parse_date("さんがつさんじゅういちにち").value == date(2023, 3, 31)
    assert parse_date("じゅうにがつついたち").value == date(2023, 12, 1)
    assert parse_date("さんがつとおか").value == date(2023, 3, 10)
    assert kana_date_units("わたしがつかった") == "わたしがつかった"  # 私が使った, no April
    assert kana_date_units("いつかつかう") == "いつかつかう"  # someday, not the 5th
    assert kana_date_units("きげんはにじゅうよっか") == "きげんは24日"
    with pytest.raises(SlotError):
        parse_date("にじゅうよっか")  # the month is asked for


@pytest.mark.parametrize(("typed", "value"), [("大坂", "大阪府"), ("大坂府", "大阪府"),
                                              ("鹿児嶋", "鹿児島県")])
def test_a_prefecture_in_wrong_kanji_is_read_by_its_reading(typed: str, value: str) -> None:
    assert parse_prefecture(typed).value == value
