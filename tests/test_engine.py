"""The engine, driven turn by turn like a person would: answers, suggestions, bad input."""

from __future__ import annotations

import re

import pytest

from bot.engine import Input, step
from tests.conftest import Talk

TODAY = "2026-11-25T12:00"


def _no_english(text: str) -> None:
    # Proper names of the notice are allowed; no other ASCII words leak to claimants.
    allowed = {"regionPAY", "Amazon", "PayPay", "Edy", "ID", "nanaco", "Ponta", "URL", "SMS",
               "https", "region", "pay", "com", "pages", "compensation", "html", "giftpad",
               "jp", "regionpay", "ml", "tel", "PAY"}
    words = set(re.findall(r"[A-Za-z]{2,}", text)) - allowed
    assert not words, f"English leaked: {words}"


def test_first_contact_gets_a_welcome_with_buttons(talk: Talk) -> None:
    talk.say("")
    assert "補償案内チャット" in talk.text()
    assert [b["label"] for b in talk.buttons()][:2] == ["補償の対象か確認する", "補償の内容"]
    assert all(len(b["label"]) <= 20 for b in talk.buttons())


def test_a_deadline_question_is_answered_with_the_date(talk: Talk) -> None:
    talk.say("特設サイトの申請っていつまで？")
    assert "2023年4月30日（日）" in talk.text()
    assert "終了しました" not in talk.text()
    _no_english(talk.text())


def test_after_the_deadline_the_bot_says_it_has_passed(talk: Talk) -> None:
    talk.at(TODAY).say("特設サイトの申請っていつまで？")
    assert "2023年4月30日（日）で終了しました" in talk.text()


def test_a_menu_button_types_its_text_and_is_answered(talk: Talk) -> None:
    talk.say("")
    talk.tap("選べるポイント")
    for brand in talk.ctx.knowledge.facts.points.brands:
        assert brand in talk.text()


def test_hotline_answers_carry_the_hours_and_a_call_button(talk: Talk) -> None:
    talk.say("コールセンターの電話番号を教えてください")
    assert "0120-479-249" in talk.text() and "10:00〜18:00" in talk.text()
    assert {"label": "コールセンターに電話", "uri": "tel:0120479249"} in talk.buttons()


@pytest.mark.parametrize("text", ["オペレーター", "電話したい", "オペレータ"])
def test_asking_for_a_person_gives_the_hotline(talk: Talk, text: str) -> None:
    talk.say("こんにちは")
    talk.say(text)
    assert "0120-479-249" in talk.text() and "受付時間" in talk.text()


def test_out_of_scope_gets_an_honest_answer_and_is_kept_for_staff(talk: Talk) -> None:
    talk.say("明日の奈良の天気を教えて")
    assert "お答えできません" in talk.text()
    assert "0120-479-249" in talk.text()
    assert talk.effects == [{"type": "unanswered", "text": "明日の奈良の天気を教えて"}]


def test_unanswered_questions_are_stored_without_personal_numbers(talk: Talk) -> None:
    talk.say("090-1234-5678 の山田です。確定申告の方法は？ mail: a.b@example.com")
    if talk.effects:
        stored = talk.effects[0]["text"]
        assert "1234" not in stored and "example.com" not in stored


def test_a_suggestion_can_be_tapped_or_refused(talk: Talk) -> None:
    talk.say("")
    # Force the suggestion path through its postback, as the buttons carry it.
    entry = talk.ctx.knowledge.entries[0]
    talk.send(Input(postback=f"faq:{entry.id}"))
    assert talk.text().startswith(talk.ctx.knowledge.entries[0].answer[:0])
    assert talk.state["last_answer"] == entry.id
    talk.state["pending_question"] = "クーポンの色は？"
    talk.send(Input(postback="none"))
    assert "お答えできません" in talk.text()
    assert talk.effects[-1] == {"type": "unanswered", "text": "クーポンの色は？"}


def test_an_old_or_forged_button_is_refused_kindly(talk: Talk) -> None:
    talk.say("")
    for data in ["faq:no-such-entry", "none", "'; DROP TABLE x;--", "x" * 300]:
        talk.send(Input(postback=data))
        assert "前のご案内" in talk.text()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "😀😀😀",
        "？？？！！",
        "\x00\x01\x1b[31m",
        "ｸｰﾎﾟﾝ ﾉ ｷｹﾞﾝ ﾊ ｲﾂﾏﾃﾞ",
        "'; DROP TABLE conversations; --",
        "<script>alert(1)</script>",
        "ポイント" * 1250,
        "a",
    ],
)
def test_bad_input_gets_a_polite_answer(talk: Talk, text: str) -> None:
    talk.say("こんにちは")
    result = talk.say(text)
    assert result.messages, "every input gets an answer"
    for message in result.messages:
        assert message["type"] == "text" and message["text"].strip()
        assert "Traceback" not in message["text"]
        assert len(message["text"]) <= 5000
    assert "<script>" not in talk.text()


def test_half_width_kana_is_understood(talk: Talk) -> None:
    talk.say("ｺｰﾙｾﾝﾀｰ ﾉ ﾃﾞﾝﾜﾊﾞﾝｺﾞｳ")
    assert "0120-479-249" in talk.text()


def test_two_users_do_not_share_state(knowledge, matcher) -> None:
    alice, bob = Talk(knowledge, matcher), Talk(knowledge, matcher)
    alice.say("申請の期限は？")
    bob.say("")
    assert "last_answer" in alice.state and "last_answer" not in bob.state


def test_the_step_is_pure(knowledge, matcher) -> None:
    talk = Talk(knowledge, matcher)
    first = step({}, Input(text="ポイントの種類は？"), talk.ctx)
    second = step({}, Input(text="ポイントの種類は？"), talk.ctx)
    assert first.messages == second.messages and first.state == second.state


@pytest.mark.parametrize("text", ["補償について", "返金してほしい", "お金返して",
                                  "クーポンについて", "補償してほしいです"])
def test_a_bare_wish_about_the_compensation_starts_the_check(talk: Talk, text: str) -> None:
    """A first message that only names the matter (「補償について」) or asks for the money back:
    the check of their case, not an FAQ answer that happens to share a word (it was tax law)."""
    talk.say(text)
    assert talk.state.get("dlg"), talk.text()
    assert "regionPAYで受け取りましたか" in talk.text()


def test_wanting_to_apply_gets_how_to_apply(talk: Talk) -> None:
    talk.say("申請したい")
    assert talk.state.get("last_answer") == "apply-how", talk.text()
    assert "申請のしかたは" in talk.text()


@pytest.mark.parametrize("text", [
    "すみません、長くなりますが説明します。2月24日の夜、奈良のお土産屋さんで紙のクーポンを使おうとしました。",
    "障害の日に旅館でもらったクーポンを持って駅前の店に行きました",
])
def test_a_story_of_the_coupon_on_the_outage_day_starts_the_check(talk: Talk, text: str) -> None:
    """Told as a statement, maybe the first of several messages: the check, not an FAQ guess."""
    talk.say(text)
    assert talk.state.get("dlg"), talk.text()


def test_a_question_about_the_outage_day_is_still_answered(talk: Talk) -> None:
    talk.say("2月24日にクーポンが使えなかった理由は何ですか？")
    assert not talk.state.get("dlg") or talk.state.get("last_answer"), talk.text()
    assert "システム障害" in talk.text()


@pytest.mark.parametrize("text", ["クーポン", "補償", "いまなら"])
def test_a_bare_word_for_the_matter_gets_the_menu(talk: Talk, text: str) -> None:
    """Not an FAQ guess that shares the word (「クーポン」 got the several-coupons answer)."""
    talk.say(text)
    assert "補償案内チャット" in talk.text()
    assert "補償の対象か確認する" in [b["label"] for b in talk.buttons()]
    assert not talk.state.get("last_answer")


def test_a_bare_word_inside_the_dialog_is_an_answer_not_the_menu(talk: Talk) -> None:
    talk.say("補償の対象か確認したい")
    talk.say("クーポン")
    assert talk.state.get("dlg") and not talk.state["dlg"].get("closed")


@pytest.mark.parametrize("text", ["孫に言われて来ました。旅行のクーポンのことです",
                                  "補償のことです", "券に2/24って書いてある"])
def test_an_opener_ending_in_desu_or_a_coupon_story_starts_the_check(talk: Talk, text: str) -> None:
    """「…のことです」 kept its 「こと」 (a dialect rule cut 「とです」 and lost the opener)."""
    talk.say(text)
    assert talk.state.get("dlg"), talk.text()


def test_a_problem_told_mid_dialog_is_answered_then_the_question_again(talk: Talk) -> None:
    """「番号がわからないんですが」 at the balance question: not 「わからない」 to the balance, but
    the FAQ's answer (ask the lodging), then the balance question again."""
    for text in ("補償の対象か確認する", "はい", "期限までに使えなかった", "2月24日"):
        talk.say(text)
    talk.say("クーポンをなくしてお問合せ番号がわからないんですが")
    assert "宿泊施設" in talk.text()
    assert "1円以上残っていましたか" in talk.text()
    assert talk.state["dlg"].get("outcome") is None


@pytest.mark.parametrize("text", ["楽天ペイで二重に引き落とされた", "d払いの障害で払えなかった",
                                  "コンビニでクレジットカードが使えなかった"])
def test_another_companys_trouble_is_not_this_notices(talk: Talk, text: str) -> None:
    """Another service named, no coupon nor compensation: an honest answer, not (B)'s facts."""
    talk.say(text)
    assert not talk.state.get("dlg")
    assert "0120-479-249" in talk.text()
    assert "（B）" not in talk.text() and "2023年5月31日" not in talk.text()


@pytest.mark.parametrize(("text", "route"), [
    ("クレカで払ったのにクーポンも引かれた", "b1"),
    ("PayPayで払ったのに紙のクーポンの残高も減ってた", "b1"),
])
def test_another_service_with_the_coupon_is_still_the_story(talk: Talk, text: str,
                                                            route: str) -> None:
    talk.say(text)
    assert (talk.state.get("dlg") or {}).get("outcome") == route


def test_a_long_message_ending_in_a_wish_to_call_gets_the_hotline(talk: Talk) -> None:
    talk.say("えっと、障害で使えなかったクーポンの補償の件で電話したいんですけど番号は")
    assert "0120-479-249" in talk.text() and "受付時間" in talk.text()
    assert not talk.state.get("dlg")


def test_a_supposition_gets_the_rule_when_the_faq_is_sure(talk: Talk) -> None:
    """「…なかったらどうなるの？」 asks the rule: the FAQ's answer when it is sure, else the
    check (a situation asked about as their own case)."""
    talk.say("3月末までに使いきれなかったらどうなるの？")
    assert not talk.state.get("dlg")
    assert "2023年3月31日" in talk.text()


def test_a_question_ending_in_nani_is_a_question(talk: Talk) -> None:
    talk.say("2月26日までの延長って何")
    assert not talk.state.get("dlg")
    assert "2023年2月26日" in talk.text()


@pytest.mark.parametrize("text", ["担当の方お願いします", "担当者につないでください",
                                  "お電話でお問い合わせすることも可能でしょうか"])
def test_asking_for_staff_in_other_words_gives_the_hotline(talk: Talk, text: str) -> None:
    talk.say("補償の対象か確認したい")
    talk.say(text)
    assert "0120-479-249" in talk.text()
    assert "regionPAYで受け取りましたか" in talk.text()  # and the question again


@pytest.mark.parametrize("text", ["2月に奈良に泊まった者ですが", "regionPAYの件",
                                  "金曜の夜に土産物屋で決済できなかった件"])
def test_a_story_begun_starts_the_check(talk: Talk, text: str) -> None:
    talk.say(text)
    assert "regionPAYで受け取りましたか" in talk.text()


def test_a_question_ending_in_ka_is_a_question(talk: Talk) -> None:
    talk.say("2/24の夜は決済できましたか")
    assert not talk.state.get("dlg")
    assert "夕刻" in talk.text()


@pytest.mark.parametrize(("text", "fact"), [
    ("お忙しいところ恐れ入ります。紙のクーポンの補償の申請はいつまで受け付けていただけますでしょうか。",
     "2023年4月30日"),
    ("アプリ退会済みの者ですが申請方法とURLを教えてください", "region-pay.com"),
])
def test_a_fact_asked_with_a_situation_gets_the_fact_and_the_way_to_check(
        talk: Talk, text: str, fact: str) -> None:
    talk.say(text)
    assert not talk.state.get("dlg")
    assert fact in talk.text()
    assert "補償の対象か確認する" in [b["label"] for b in talk.buttons()]


def test_a_whole_story_asking_what_happens_is_still_checked(talk: Talk) -> None:
    talk.say("紙のクーポンを使おうとしたら使えないって言われて現金で払ったのに、"
             "クーポンの残高まで減ってるんですけど、どうなってるんですか")
    assert (talk.state.get("dlg") or {}).get("outcome") == "b1"


def test_an_expiry_still_to_come_is_not_the_coupons_story(talk: Talk) -> None:
    talk.say("パスポートの有効期限が切れそうなんですが")
    assert not talk.state.get("dlg")
    assert "0120-479-249" in talk.text()


@pytest.mark.parametrize("text", ["英検の申込期限はいつ", "JALのマイルの有効期限",
                                  "大学の履修登録の締め切りっていつやったっけ",
                                  "ホットペッパーのクーポンの使い方"])
def test_another_organisations_deadline_is_not_answered_with_ours(talk: Talk, text: str) -> None:
    talk.say(text)
    assert "お答えできません" in talk.text() and "0120-479-249" in talk.text()
    for fact in ("2023年4月30日", "2023年3月31日", "region-pay.com"):
        assert fact not in talk.text()


@pytest.mark.parametrize(("text", "fact"), [("母のクーポンの期限", "2023年3月31日"),
                                            ("保障の申請期限はいつ", "2023年4月30日"),
                                            ("特説サイトの申請って何日まで", "2023年4月30日"),
                                            ("regionPAYの紙クーポンの申請期限", "2023年4月30日")])
def test_our_own_deadline_with_an_owner_is_still_answered(talk: Talk, text: str,
                                                          fact: str) -> None:
    talk.say(text)
    assert fact in talk.text()


def test_the_vocabulary_spells_and_reads_its_words(knowledge) -> None:
    vocabulary = knowledge.vocabulary
    assert vocabulary.knows("補償申請")  # two of its words
    assert vocabulary.knows("保障")  # read ほしょう, as 補償
    assert vocabulary.knows("3月24日")
    assert not vocabulary.knows("英検")
    words = knowledge.messages.check_words
    assert vocabulary.foreign_owner("英検の申込期限", words.owned, words.neutral) == "英検"
    assert vocabulary.foreign_owner("他県で使う予定のクーポン", words.owned, words.neutral) is None
    assert vocabulary.foreign_owner("英検の会場", words.owned, words.neutral) is None


@pytest.mark.parametrize(("text", "fact"), [
    ("If I miss the April 30 deadline can I still apply?", "2023年4月30日"),
    ("I lost my paper coupon and don't know the inquiry number", "宿泊施設"),
    ("which points can I choose?", "nanaco"),
])
def test_a_question_in_english_is_answered_in_japanese(talk: Talk, text: str, fact: str) -> None:
    talk.say(text)
    assert fact in talk.text()


def test_english_with_nothing_of_this_matter_gets_an_honest_answer(talk: Talk) -> None:
    talk.say("Hello, what's the weather in Tokyo tomorrow?")
    assert "お答えできません" in talk.text() and "0120-479-249" in talk.text()
    assert "2023年3月31日" not in talk.text()


@pytest.mark.parametrize(("text", "facts"), [
    ("ポイントは何が選べて、いつまでに受け取ればいいの？", ["nanaco", "2023年5月31日"]),
    ("メールの送信元とSMSの番号、両方教えてください", ["giftpad.jp", "03-5244-9370"]),
    ("延長したクーポンはどこの県のお店で使えますか？期限もあわせて教えてください",
     ["奈良県", "2023年3月31日（金）23:59"]),
])
def test_two_questions_in_one_message_are_both_answered(talk: Talk, text: str,
                                                        facts: list[str]) -> None:
    talk.say(text)
    for fact in facts:
        assert fact in talk.text()


def test_a_single_question_gets_a_single_answer(talk: Talk) -> None:
    talk.say("申請はいつまでですか")
    assert len(talk.last.messages) == 1


@pytest.mark.parametrize(("text", "fact"), [
    ("拝啓 時下ますますご清栄のこととお慶び申し上げます。さて、補償の申請期限をご教示いただけますと"
     "幸いです。敬具", "2023年4月30日"),
    ("申請期限　4月末", "2023年4月30日"),
    ("恐れ入りますが、キャッシュレスポイントの受取期限と、選べるポイントの種類を教えてください",
     "nanaco"),
])
def test_a_letter_or_keywords_get_the_fact_asked(talk: Talk, text: str, fact: str) -> None:
    talk.say(text)
    assert fact in talk.text()
