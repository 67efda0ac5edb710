"""The eligibility dialog and intake, driven turn by turn through the engine."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.clock import parse_now
from bot.dialogs import load_flow, mermaid
from bot.engine import Input
from bot.service import Bot
from bot.store.models import Claim
from tests.conftest import CAMPAIGN_TIME, DIALOGS, Talk

AFTER_APPLY = "2023-05-10T11:00"  # the special site's deadline (4/30) has passed
TODAY = "2026-11-25T11:00"


def outcome(talk: Talk) -> str | None:
    return (talk.state.get("dlg") or {}).get("outcome")


def test_by_taps_to_a_paper(talk: Talk) -> None:
    talk.say("")
    talk.tap("補償の対象か確認する")
    assert "受け取りましたか" in talk.text()
    talk.tap("はい")
    talk.tap("期限までに使えなかった")
    talk.tap("2023年2月24日（金）")
    talk.tap("はい、残っていた")
    talk.tap("紙のまま使っていた")
    assert outcome(talk) == "a_paper"
    text = talk.text()
    for fact in ["https://region-pay.com/pages/compensation.html", "2023年4月30日（日）",
                 "2023年3月24日（金）14:00", "お問合せ番号", "宿泊施設", "2023年5月31日（水）"]:
        assert fact in text
    assert "入力しますか" in text  # the offer to take the application in the chat


def test_one_sentence_skips_what_is_known(talk: Talk) -> None:
    talk.say("現金で払ったのにクーポンも引かれた")
    assert outcome(talk) == "b1"
    text = talk.text()
    assert "0120-479-249" in text and "受付時間" in text
    for asked in ["お問合せ番号", "有効期限", "ご旅行先の都道府県", "ご利用店舗名"]:
        assert asked in text
    assert "region-pay.com" not in text  # another route's facts


def test_free_text_answers_and_a_typed_date(talk: Talk) -> None:
    talk.say("補償の対象か知りたいです")
    talk.say("そうです")
    talk.say("期限が切れて使えなかった")
    talk.say("令和5年2月24日")
    talk.say("うん、まだ残ってた")
    talk.say("アプリにチャージしてました")
    assert outcome(talk) == "a_app"
    assert "申請の手続きは不要" in talk.text() and "03-5244-9370" in talk.text()
    assert "region-pay.com" not in talk.text()


def test_another_expiry_is_explained_not_refused(talk: Talk) -> None:
    talk.say("期限切れで使えなかったクーポンがあります")
    talk.say("はい")
    talk.say("3月10日まででした")
    assert outcome(talk) == "not_a_expiry"
    text = talk.text()
    assert "2023年2月24日（金）23:59" in text and "0120-479-249" in text
    assert "対象外" not in text


def test_an_answer_repeated_after_the_outcome_is_taken_as_said(talk: Talk) -> None:
    # The first sentence settled "what happened"; the person still answers it later.
    talk.say("クーポンで払おうとしたらエラーになった。引き落としはされてないと思う")
    assert "受け取りましたか" in talk.text()
    talk.say("うん、紙のクーポン")
    assert outcome(talk) == "other"
    talk.say("それ以外です")
    assert "上のとおり" in talk.text() and outcome(talk) == "other"
    talk.say("はい")  # a bare yes is no repeated answer: yes to checking a case again
    assert "受け取りましたか" in talk.text()


def test_back_restart_and_cancel(talk: Talk) -> None:
    talk.say("補償の対象か確認する")
    talk.say("はい")
    assert "どのようなこと" in talk.text()
    talk.say("戻る")
    assert "受け取りましたか" in talk.text()
    talk.say("はい")
    talk.say("二重に決済された")
    assert outcome(talk) == "b2"
    talk.say("最初から")
    assert "受け取りましたか" in talk.text() and outcome(talk) is None
    talk.say("キャンセル")
    assert "中断" in talk.text()
    talk.say("ポイントは何が選べますか")
    assert "nanaco" in talk.text()


def test_an_faq_question_mid_dialog_then_back_to_the_question(talk: Talk) -> None:
    talk.say("補償の対象か確認する")
    talk.say("はい")
    talk.say("コールセンターの受付時間は？")
    text = talk.text()
    assert "10:00〜18:00" in text and "さきほどの質問に戻ります" in text
    assert "どのようなこと" in text
    talk.say("二重に引き落とされた")
    assert outcome(talk) == "b2"


def test_an_old_button_does_not_act_on_a_new_step(talk: Talk) -> None:
    talk.say("補償の対象か確認する")
    old = next(b["data"] for b in talk.buttons() if b["label"] == "はい")
    talk.tap("はい")
    talk.send(Input(postback=old))  # the first question's "はい", tapped again
    assert "前のご案内" in talk.text() and "どのようなこと" in talk.text()
    assert talk.state["dlg"]["slots"] == {"paper": "yes"}


def test_after_the_deadline_the_offer_is_not_made(knowledge, matcher) -> None:
    talk = Talk(knowledge, matcher, now=AFTER_APPLY)
    talk.say("紙のクーポンが期限切れで使えなかった")
    talk.say("2/24")
    talk.say("はい")
    talk.say("アプリは使っていません")
    assert outcome(talk) == "a_paper"
    text = talk.text()
    assert "2023年4月30日（日）で終了しました" in text
    assert "入力しますか" not in text
    assert talk.state["dlg"]["phase"] == "done"


def test_today_every_deadline_is_past(knowledge, matcher) -> None:
    talk = Talk(knowledge, matcher, now=TODAY)
    talk.say("期限切れで使えなかった。アプリにチャージしていた")
    talk.say("2023/2/24")
    talk.say("はい")
    assert outcome(talk) == "a_app"
    assert "2023年5月31日（水）で終了しました" in talk.text()
    assert "2023年3月31日（金）23:59で終了しました" in talk.text()


def _to_b_intake(talk: Talk) -> None:
    talk.say("決済ボタンを何回も押して二重に引かれました")
    talk.tap("入力する")
    assert "同意" in talk.text() and "http://localhost:8000/privacy" in talk.text()
    assert "保管期間" in talk.text() and "データを削除して" in talk.text()
    talk.tap("同意して入力する")


def test_intake_reprompts_corrects_and_files_once(talk: Talk) -> None:
    _to_b_intake(talk)
    talk.say("ab12 3456 ７８９０")
    talk.say("2月30日")
    assert "28日" in talk.text()  # a specific re-prompt
    talk.say("2/24")
    talk.say("ならけん")
    talk.say("奈良みやげ本舗")
    talk.say("090-12")
    assert "例" in talk.text()
    talk.say("０９０ー１２３４ー５６７８")
    assert "この内容で送信しますか" in talk.text()
    assert "AB12 3456 7890" in talk.text() and "奈良県" in talk.text()
    talk.say("お店の名前を直したい")
    talk.say("奈良みやげ本舗 三条店")
    assert "奈良みやげ本舗 三条店" in talk.text()
    send = next(b["data"] for b in talk.buttons() if b["label"] == "送信する")
    talk.tap("送信する")
    filed = [e for e in talk.effects if e["type"] == "file_claim"]
    assert len(filed) == 1 and filed[0]["route"] == "B2"
    assert filed[0]["items"]["contact"] == {"phone": "+819012345678"}
    assert "values" not in talk.state["dlg"]  # personal items leave the state once filed
    talk.send(Input(postback=send))  # a double tap
    talk.say("はい")  # and a repeated yes
    assert len([e for e in talk.effects if e["type"] == "file_claim"]) == 1
    assert "受付済み" in talk.text()


def test_three_misses_offer_the_hotline(talk: Talk) -> None:
    _to_b_intake(talk)
    for _ in range(3):
        talk.say("わかりません!!")
    assert "0120-479-249" in talk.text() and "続けて入力" in talk.text()


def test_consent_can_be_refused(talk: Talk) -> None:
    talk.say("二重決済されました")
    talk.tap("入力する")
    talk.tap("入力しない")
    assert "お預かりしません" in talk.text()
    assert talk.state["dlg"]["phase"] == "done"


def test_a_broken_flow_names_file_and_step(tmp_path: Path, facts) -> None:
    text = (DIALOGS / "eligibility.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "eligibility.yaml"
    broken.write_text(text.replace("paid_other: outcome.b1", "paid_other: outcome.b9"),
                      encoding="utf-8")
    with pytest.raises(Exception) as caught:
        load_flow(broken, facts, parse_now(CAMPAIGN_TIME))
    message = str(caught.value)
    assert "steps.happened.next" in message and "outcome.b9" in message
    assert f"{broken}:" in message


def test_the_kept_diagram_is_current(knowledge) -> None:
    kept = (DIALOGS / "eligibility.mmd").read_text(encoding="utf-8")
    assert kept == mermaid(knowledge.flow), "run `claimbot dialogs diagram`"


# ---- through the store: one claim, encrypted, per user


def _file_b_claim(bot: Bot, user: str) -> str:
    for text in ["二重に決済されてしまいました", "入力する", "同意して入力する", "AB12345678",
                 "2/24", "奈良県", "奈良みやげ本舗", "hanako.nara@example.jp", "送信する"]:
        messages = bot.handle("cli", user, Input(text=text)).messages
    done = messages[-1]["text"]
    assert "受付番号：RP-" in done
    return done.split("受付番号：")[1].split()[0]


def test_a_claim_is_filed_once_and_nothing_personal_is_in_clear(settings) -> None:
    bot = Bot(settings)
    receipt = _file_b_claim(bot, "U1")
    again = bot.handle("cli", "U1", Input(text="はい")).messages
    assert receipt in again[0]["text"]
    with bot.sessions() as session:
        claims = session.scalars(select(Claim)).all()
        assert len(claims) == 1 and claims[0].receipt == receipt
        assert claims[0].items["shop"] == "奈良みやげ本舗"
    # Another user cannot see it; the owner can.
    assert receipt not in bot.handle("cli", "U2", Input(text=f"受付番号 {receipt}")).messages[0][
        "text"]
    assert "受付済み" in bot.handle("cli", "U1", Input(text="申請状況")).messages[0]["text"]
    bot.close()
    if settings.db_url.startswith("sqlite"):
        path = Path(settings.db_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        for secret in ["hanako.nara", "AB12345678", "奈良みやげ本舗", "みやげ"]:
            assert secret.encode() not in raw and secret.encode("utf-16-le") not in raw
        with sqlite3.connect(path) as conn:
            dump = "\n".join(conn.iterdump())
        assert "hanako" not in dump and "AB12345678" not in dump


def test_deleting_personal_data_keeps_an_anonymous_record(settings) -> None:
    bot = Bot(settings)
    receipt = _file_b_claim(bot, "U1")
    assert "削除してよろしいですか" in bot.handle("cli", "U1", Input(text="データを削除して"))\
        .messages[0]["text"]
    assert "削除しました" in bot.handle("cli", "U1", Input(postback="del:yes")).messages[0]["text"]
    with bot.sessions() as session:
        claim = session.scalars(select(Claim)).one()
        assert claim.receipt == receipt and claim.items is None
        assert claim.personal_deleted_at is not None
    bot.close()


@pytest.mark.parametrize(("expiry", "expected"), [
    ("1月末まででした", "not_a_expiry"),  # the month's last day, far from 2/24
    ("3月まで有効でした", "not_a_expiry"),
    ("2月末くらい", "unsure_expiry"),  # too close to 2/24 to tell
])
def test_a_month_end_expiry(talk: Talk, expiry: str, expected: str) -> None:
    for said in ["補償の対象か確認したい", "はい", "期限までに使えなかった", expiry]:
        talk.say(said)
    assert outcome(talk) == expected


def test_an_amount_with_its_cue_anywhere_answers_the_balance(talk: Talk) -> None:
    talk.say("2月24日が期限の紙クーポンをアプリにチャージしてたけど使えなかった。残高は2000円")
    assert outcome(talk) == "a_app"


def test_an_earlier_answer_changed_before_the_outcome(talk: Talk) -> None:
    for said in ["補償の対象か確認したい", "はい", "使えなかった", "2/24", "はい"]:
        talk.say(said)
    talk.say("あ、さっきの残高の答えは間違いです。0円でした")
    assert outcome(talk) == "not_a_balance"


@pytest.mark.parametrize(("fix", "shown"), [
    ("店名が違いました。奈良パークホテルです", "奈良パークホテル"),
    ("お店の名前を奈良パークホテルに直してください", "奈良パークホテル"),
    ("店舗名、正しくは奈良パークホテル", "奈良パークホテル"),
    # a word of the value that holds a name (売店, 三条店) is the value, not the item named
    ("店の名前も間違えました。旅館やまと 売店 です", "旅館やまと 売店"),
    ("店名が違います。奈良みやげ本舗 三条店", "奈良みやげ本舗 三条店"),
    ("店の名前は奈良パークホテルです", "奈良パークホテル"),
])
def test_a_correction_at_the_read_back_with_its_value(talk: Talk, fix: str, shown: str) -> None:
    for said in ["現金で払ったのにクーポンも引かれた", "はい", "同意します", "AB12345678",
                 "2/24", "奈良", "奈良ホテル", "090-1111-2222"]:
        talk.say(said)
    talk.say(fix)
    assert f"ご利用店舗名：{shown}" in talk.text()
    talk.say("店名が違います")  # no value: the item is asked again
    assert "お店の名前を入力してください" in talk.text()


@pytest.mark.parametrize("right", [
    "はい、間違いございません", "間違いありません", "相違ございません", "はい、問題ございません"])
def test_keigo_no_mistake_at_the_read_back_sends(talk: Talk, right: str) -> None:
    """「間違いございません」 says the read-back is right (not 間違い: a correction)."""
    for said in ["現金で払ったのにクーポンも引かれた", "はい", "同意します", "AB12345678",
                 "2/24", "奈良", "奈良ホテル", "090-1111-2222"]:
        talk.say(said)
    assert "この内容で送信しますか" in talk.text()
    talk.say(right)
    assert len([e for e in talk.effects if e["type"] == "file_claim"]) == 1
    assert "どの項目を直しますか" not in talk.text()


def test_kansai_opener_starts_the_check(talk: Talk) -> None:
    # 「使われへんかってん」 is 「使えなかった」; 「補償とかあるん？」 asks about their own case
    talk.say("クーポン使われへんかってんけど、補償とかあるん？")
    assert "有効期限はいつですか" in talk.text()
    talk.say("2/24やったと思うで")
    talk.say("まだ3000円くらい残っとったわ")
    talk.say("アプリにチャージしとったで")
    assert outcome(talk) == "a_app"


def test_a_date_read_out_in_hiragana(talk: Talk) -> None:
    talk.say("ほしょうのたいしょうかしりたいです")
    talk.say("はい")
    talk.say("きげんまでにつかえませんでした")
    talk.say("にがつにじゅうよっか")
    assert "1円以上残っていましたか" in talk.text()
    assert talk.state["dlg"]["slots"]["expiry"] == "original"


def test_a_frozen_screen_with_no_double_charge_is_something_else(talk: Talk) -> None:
    talk.say("補償の対象か確認したいです")
    talk.say("はい")
    talk.say("支払いの画面が固まって、お店に断られました。残高は減ってないし二重にもなってません")
    assert outcome(talk) == "other"
    assert "0120-479-249" in talk.text()


@pytest.mark.parametrize("story", [
    "明細を見ると全然別のお店の名前で決済されていました",
    "身に覚えのない決済がありました",
])
def test_a_charge_under_another_shop_is_something_else(talk: Talk, story: str) -> None:
    talk.say("補償の対象か確認したいです")
    talk.say("はい")
    talk.say(story)
    assert outcome(talk) == "other"
    assert "0120-479-249" in talk.text()


def test_a_charge_under_another_shop_in_the_first_message_is_not_asked_again(talk: Talk) -> None:
    talk.say("24日の夜に紙のクーポンで払ったら、別のお店の名前で決済されていました")
    assert outcome(talk) == "other"  # a paper coupon used, and what happened: nothing to ask


def test_the_same_story_told_again_after_the_outcome_is_taken_as_said(talk: Talk) -> None:
    talk.say("24日の夜に紙のクーポンで払ったら、別のお店の名前で決済されていました")
    assert outcome(talk) == "other"  # a paper coupon used, and what happened: nothing to ask
    talk.say("祖母がクーポンで払ったら、明細に全然別のお店の名前で決済されていたんです")
    assert "上のとおり" in talk.text() and outcome(talk) == "other"
    talk.say("現金で払ったのにクーポンの残高も引かれていました")  # another story: checked anew
    assert "上のとおり" not in talk.text()


@pytest.mark.parametrize(("typed", "said"), [
    ("はい、削除してください", "削除しました"), ("削除する", "削除しました"),
    ("いいえ", "とりやめました"), ("削除しない", "とりやめました"),
])
def test_the_deletion_question_answered_in_words(talk: Talk, typed: str, said: str) -> None:
    """A typed answer to 「削除してよろしいですか？」 acts as its buttons do."""
    talk.say("データを削除して")
    assert "削除してよろしいですか" in talk.text()
    talk.say(typed)
    assert said in talk.text()
    deleted = [e for e in talk.effects if e["type"] == "delete_personal"]
    assert len(deleted) == (1 if said == "削除しました" else 0)
    talk.send(Input(postback="del:yes"))  # its button afterwards is stale: nothing more deleted
    assert len([e for e in talk.effects if e["type"] == "delete_personal"]) == len(deleted)


@pytest.mark.parametrize("vague", ["金曜日まででした", "きんようびです", "先週まで"])
def test_an_expiry_named_by_weekday_is_asked_again(talk: Talk, vague: str) -> None:
    talk.say("補償の対象か確認したいです")
    talk.say("はい")
    talk.say("使い切れないまま期限が来てしまいました")
    talk.say(vague)
    text = talk.text()
    assert "日付を、月と日でお送りください" in text and "例：2023年2月24日" in text
    assert "うまく読み取れませんでした" not in text
    assert "expiry" not in talk.state["dlg"]["slots"]  # not guessed
    talk.say("2月24日です")
    assert "1円以上残っていましたか" in talk.text()


def test_a_question_naming_a_day_is_still_a_detour(talk: Talk) -> None:
    talk.say("補償の対象か確認したいです")
    talk.say("はい")
    talk.say("期限までに使えなかった")
    talk.say("コールセンターは土曜日もやっていますか？")
    assert "0120-479-249" in talk.text()
    assert "月と日でお送りください" not in talk.text()


@pytest.mark.parametrize("question", [
    "クーポンなくしてお問合せ番号がわからないんですけど、どうしたらいいですか？",
    "クーポン失くしてもうてお問合せ番号わからへんねんけど、どないしたらええの？",
])
def test_not_knowing_something_else_is_a_question_not_this_answer(
        talk: Talk, question: str) -> None:
    talk.say("補償の対象か確認したい")
    talk.say("はい")
    talk.say("期限までに使えなかった")
    talk.say("2月24日")
    talk.say(question)  # asked while the balance is asked
    assert "宿泊施設" in talk.text() and "1円以上残っていましたか" in talk.text()
    assert "balance" not in talk.state["dlg"]["slots"]
    talk.say("残高わからないです")  # the question asked, not known: that answer stands
    assert outcome(talk) == "unsure_balance"


@pytest.mark.parametrize("taken_back", [
    "2月24日…あ、違いました",
    "２月２４日。いや、間違えました",
    "2/24、ちゃうわ",
])
def test_a_value_taken_back_in_the_same_answer_is_asked_again(
        talk: Talk, taken_back: str) -> None:
    talk.say("補償の対象か確認する")
    talk.say("はい")
    talk.say("期限までに使えなかった")
    talk.say(taken_back)
    assert "expiry" not in talk.state["dlg"]["slots"]  # not kept
    assert "有効期限はいつですか" in talk.text()
    assert "うまく読み取れませんでした" not in talk.text()
    talk.say("3月10日です")
    assert outcome(talk) == "not_a_expiry"


def test_a_leading_kansai_no_corrects_a_guessed_answer(talk: Talk) -> None:
    talk.say("クーポンが使えんかったんやけど補償ある？")  # read as a paper coupon, not used in time
    assert "有効期限はいつですか" in talk.text()
    talk.say("ちゃう、電子クーポンやった")
    assert outcome(talk) == "not_paper"


def test_a_fuller_account_outweighs_a_guess_from_the_first_sentence(talk: Talk) -> None:
    talk.say("couponが使えなかった件で")  # guessed: not used before the expiry
    assert "有効期限はいつですか" in talk.text()
    talk.say("errorでcouponが使えなくて、げんきんで払ったのにbalanceも減ってた")
    assert outcome(talk) == "b1"


def test_an_answer_given_to_its_question_is_not_outweighed(talk: Talk) -> None:
    talk.say("補償の対象か確認する")
    talk.say("はい")
    talk.say("期限までに使えなかった")  # answered, not guessed
    talk.say("2月24日")
    talk.say("現金で払ったのに残高も減ってました")  # while the balance is asked
    assert outcome(talk) != "b1"


@pytest.mark.parametrize(("answer", "expected"), [
    ("3000", "a_app"), ("３，０００", "a_app"), ("2000くらい", "a_app"), ("1500です", "a_app"),
    ("0", "not_a_balance"), ("０", "not_a_balance"),
])
def test_a_number_alone_answers_the_balance(talk: Talk, answer: str, expected: str) -> None:
    """「3000」 or 「0」 alone, to the balance question, is that many yen left."""
    talk.say("補償の対象か確認したい")
    talk.say("はい")
    talk.say("期限までに使えなかった")
    talk.say("2月24日")
    assert "1円以上残っていましたか" in talk.text()
    talk.say(answer)
    if expected == "a_app":
        assert "アプリにチャージしていましたか" in talk.text()
        talk.say("アプリにチャージしてました")
    assert outcome(talk) == expected


def test_a_number_with_other_words_is_not_read_as_yen(talk: Talk) -> None:
    """「3000人」 is not an amount: the balance is asked again, not guessed."""
    talk.say("補償の対象か確認したい")
    talk.say("はい")
    talk.say("期限までに使えなかった")
    talk.say("2月24日")
    talk.say("3000人")
    assert outcome(talk) is None
    assert "1円以上残っていましたか" in talk.text()


def test_a_choice_typed_as_its_number(talk: Talk) -> None:
    """「1」「2」 to a question with buttons is the button in that place (not to the balance,
    where a number alone is yen)."""
    talk.say("補償の対象か確認したい")
    talk.say("1")  # はい
    assert "どのようなことがありましたか" in talk.text()
    talk.say("３")  # 二重に決済された
    assert outcome(talk) == "b2"


@pytest.mark.parametrize("story", [
    "2/24の夜お店で紙のクーポン出したら今使えないって断られた",
    "紙のクーポンを使おうとしたら店員さんに断られました",
])
def test_a_refused_coupon_is_something_else_not_an_expiry(talk: Talk, story: str) -> None:
    talk.say(story)
    talk.say("確認したい")
    assert outcome(talk) == "other"
    assert "有効期限はいつですか" not in talk.text()


@pytest.mark.parametrize("answer", ["いや、県民割のクーポンです", "GoToイートの食事券なんだけど"])
def test_another_campaigns_coupon_is_not_this_notices(talk: Talk, answer: str) -> None:
    talk.say("補償の対象か確認したい")
    talk.say(answer)
    assert outcome(talk) == "not_paper"


def test_romaji_yes_and_keigo_answers(talk: Talk) -> None:
    talk.say("補償の対象か確認したい")
    talk.say("hai")
    assert "どのようなことがありましたか" in talk.text()
    talk.say("期限までに使えなかった")
    talk.say("2月24日")
    talk.say("延長後も残高はございました")  # ございました is ありました
    assert "チャージしていましたか" in talk.text()


def test_say_it_again_repeats_the_question_then_the_outcome(talk: Talk) -> None:
    talk.say("補償の対象か確認したい")
    talk.say("もう一回言って")
    assert "regionPAYで受け取りましたか" in talk.text()
    talk.say("現金で払ったのにクーポンも引かれた")
    assert outcome(talk) == "b1"
    talk.say("入力しない")
    talk.say("さっきのなんて？")
    assert "0120-479-249" in talk.text() and "入力しますか" not in talk.text()


def test_email_words_far_from_received_do_not_make_an_electronic_coupon(talk: Talk) -> None:
    talk.say("紙のクーポンをregionPAYで受け取りました。連絡はメールでお願いします。"
             "2/24に使えなくて、残高が残っています")
    assert outcome(talk) != "not_paper"
    talk = Talk(talk.ctx.knowledge, talk.ctx.matcher)
    talk.say("補償の対象か確認したい")
    talk.say("スマホで受け取りました")
    assert outcome(talk) == "not_paper"


def _to_a_outcome(talk: Talk, app: str) -> None:
    for said in ["補償の対象か確認する", "はい", "期限までに使えなかった", "2月24日", "はい", app]:
        talk.say(said)


def test_unsure_about_the_app_is_given_both_ways_with_the_site_url(talk: Talk) -> None:
    _to_a_outcome(talk, "家族がやったので、アプリにチャージしたかわかりません")
    assert outcome(talk) == "a_unsure"
    assert "https://region-pay.com/pages/compensation.html" in talk.text()
    assert "4月上旬" in talk.text() and "2023年4月30日（日）" in talk.text()


@pytest.mark.parametrize("again", ["やっぱり同意します。チャットで申請させてください",
                                   "気が変わりました。やっぱりお願いします"])
def test_a_change_of_mind_after_declining_asks_the_consent_again(talk: Talk, again: str) -> None:
    _to_a_outcome(talk, "紙のままです")
    talk.say("はい")
    talk.say("いいえ、やめておきます")
    assert "お預かりしません" in talk.text()
    talk.say(again)
    assert "同意して、入力をはじめますか" in talk.text()  # consent is asked, never inferred
    talk.say("同意します")
    assert "お名前" in talk.text()


def test_no_change_of_mind_without_a_yes_word(talk: Talk) -> None:
    _to_a_outcome(talk, "紙のままです")
    talk.tap("入力しない")
    talk.say("やっぱり自分でサイトから申請します")
    assert "同意して、入力をはじめますか" not in talk.text()


def test_a_problem_told_at_the_offer_gets_its_answer_then_the_offer(talk: Talk) -> None:
    _to_a_outcome(talk, "紙のままです")
    talk.say("クーポンをなくしてしまって、お問合せ番号がわかりません")
    assert "宿泊施設" in talk.text() and "入力しますか" in talk.text()
    assert "うまく読み取れませんでした" not in talk.text()


def test_two_facts_of_their_case_with_a_question_start_the_check(talk: Talk) -> None:
    talk.say("2月24日期限の紙クーポンが4000円分残ったままなんですが、補償ってありますか")
    slots = talk.state["dlg"]["slots"]
    assert slots["expiry"] == "original" and slots["balance"] == "yes"
    assert slots["happened"] == "expired"
    talk.say("はい")
    talk.say("アプリは退会しました")
    assert outcome(talk) == "a_paper"


@pytest.mark.parametrize("vague", ["支払いのときに問題があった", "なんかおかしかった",
                                   "障害のときにトラブルがありました"])
def test_a_vague_answer_to_what_happened_is_asked_to_say_more(talk: Talk, vague: str) -> None:
    talk.say("補償の対象か確認する")
    talk.say("はい")
    talk.say(vague)
    assert "もう少しくわしく" in talk.text() and "うまく読み取れませんでした" not in talk.text()
    assert "happened" not in talk.state["dlg"]["slots"]  # never guessed
    talk.say("現金で払ったのにクーポンの残高も減っていました")
    assert outcome(talk) == "b1"


@pytest.mark.parametrize("story", ["3000円の買い物で5000円引かれた",
                                   "2000円のお会計で4000円引き落とされてた"])
def test_a_wrong_amount_with_its_two_numbers_is_something_else(talk: Talk, story: str) -> None:
    talk.say(story)  # a first message: the check starts, knowing what happened
    assert talk.state["dlg"]["slots"]["happened"] == "other"
    talk.say("はい")
    assert outcome(talk) == "other" and "0120-479-249" in talk.text()


def test_two_amounts_and_the_button_pressed_twice_stay_a_double_charge(talk: Talk) -> None:
    talk.say("2000円の支払いなのに4000円減ってました。ボタンを2回押しちゃったんです")
    assert talk.state["dlg"]["slots"]["happened"] == "double"


@pytest.mark.parametrize("hedge", ["家族がアプリに入れたかもしれません", "チャージしたかもです"])
def test_a_hedged_answer_about_the_app_is_unsure(talk: Talk, hedge: str) -> None:
    _to_a_outcome(talk, hedge)
    assert outcome(talk) == "a_unsure"


def _to_paper_intake(talk: Talk) -> None:
    for said in ["補償の対象か確認する", "はい", "期限までに使えなかった", "2月24日", "はい",
                 "紙だけです", "入力する"]:  # 「紙だけです」: the app was not used
        talk.say(said)
    assert outcome(talk) == "a_paper"


def test_several_items_pasted_at_one_question_are_all_taken(talk: Talk) -> None:
    _to_paper_intake(talk)
    talk.say("同意します")
    talk.say("名前：木村 健太\n住所：奈良県奈良市三条町1-1\n電話：090-4444-5555\n"
             "メール：kenta.k@example.com\nお問合せ番号：KM 1122 3344")
    assert "内容をご確認ください" in talk.text() or "送信" in talk.text()
    for shown in ["木村 健太", "奈良県奈良市三条町1-1", "090-4444-5555", "kenta.k@example.com"]:
        assert shown in talk.text()


def test_items_given_with_the_consent_are_kept_and_the_rest_asked(talk: Talk) -> None:
    _to_paper_intake(talk)
    talk.say("同意します。井上さくら、080-6666-7777、sakura.i@example.com です")
    assert "ご住所を入力してください" in talk.text()
    talk.say("奈良県五條市本町1-2")
    assert "お問合せ番号を入力してください" in talk.text()


def test_not_knowing_whether_it_was_regionpay_stays_open(talk: Talk) -> None:
    talk.say("補償の対象か確認する")
    talk.say("紙のクーポンはもらったけど、regionPAYだったかどうかはわかりません")
    assert outcome(talk) == "unsure"


@pytest.mark.parametrize(("said", "expected"), [
    (["3/5の別の日なんだけど、アプリが落ちて払えなかった"], "other"),  # not the outage's day
    (["障害の時間にアプリにチャージしたけど、残高に反映されていません"], "other"),
    (["決済を取り消してもらったのに、残高が戻ってきません"], "other"),
    (["クレカで払ったんです", "でもクーポンも減ってて"], "b1"),  # one story in two messages
])
def test_what_happened_told_in_other_words(talk: Talk, said: list[str], expected: str) -> None:
    talk.say("補償の対象か確認する")
    talk.say("はい")
    for text in said:
        talk.say(text)
    assert outcome(talk) == expected
