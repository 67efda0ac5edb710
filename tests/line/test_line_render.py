"""Rendering the engine's messages as LINE messages, within LINE's limits (no database)."""

from __future__ import annotations

from fake_line import check_messages

from bot.channels.line_render import MAX_TEXT, render


def _batch(messages):
    [batch] = render(messages)
    assert check_messages(batch) is None, check_messages(batch)
    return batch


def test_text_with_buttons_is_quick_replies():
    [m] = _batch([{"type": "text", "text": "ご用件は？", "buttons": [
        {"label": "メニュー", "text": "メニュー"}, {"label": "対象", "data": "faq:who"}]}])
    assert m["type"] == "text" and m["text"] == "ご用件は？"
    a, b = (i["action"] for i in m["quickReply"]["items"])
    assert a == {"type": "message", "label": "メニュー", "text": "メニュー"}
    assert b["type"] == "postback" and b["data"] == "faq:who" and b["displayText"] == "対象"


def test_tel_button_goes_on_a_flex_bubble_and_the_rest_stay_quick_replies():
    [m] = _batch([{"type": "text", "text": "お電話ください。", "buttons": [
        {"label": "電話する", "uri": "tel:0120479249"},
        {"label": "メニュー", "text": "メニュー"}]}])
    assert m["type"] == "flex" and m["altText"] == "お電話ください。"
    [button] = m["contents"]["footer"]["contents"]
    assert button["action"] == {"type": "uri", "label": "電話する", "uri": "tel:0120479249"}
    assert [i["action"]["type"] for i in m["quickReply"]["items"]] == ["message"]


def test_card_is_a_flex_bubble_with_title_text_and_buttons():
    [m] = _batch([{"type": "card", "altText": "受付しました", "title": "受付番号 A-123",
                   "text": "申請期限: 2023年4月30日", "buttons": [
                       {"label": "電話する", "uri": "tel:0120479249"},
                       {"label": "メニューへ", "text": "メニュー"}]}])
    assert m["type"] == "flex" and m["altText"] == "受付しました"
    title, body = m["contents"]["body"]["contents"]
    assert title["text"] == "受付番号 A-123" and title["weight"] == "bold"
    assert body["text"] == "申請期限: 2023年4月30日"
    kinds = [c["action"]["type"] for c in m["contents"]["footer"]["contents"]]
    assert kinds == ["uri", "message"]


def test_limits_labels_quick_replies_postback_data_and_long_text():
    buttons = [{"label": f"とても長いボタンの名前です番号{n:02d}", "text": str(n)}
               for n in range(20)]
    buttons.append({"label": "長すぎる", "data": "x" * 301})
    messages = [{"type": "text", "text": "あ" * (MAX_TEXT * 2 + 10), "buttons": buttons}]
    batch = _batch(messages)
    assert [len(m["text"]) for m in batch] == [MAX_TEXT, MAX_TEXT, 10]
    items = batch[-1]["quickReply"]["items"]
    assert len(items) == 13 and all(len(i["action"]["label"]) <= 20 for i in items)
    assert all(i["action"]["type"] == "message" for i in items)  # the 301-char postback dropped
    assert "quickReply" not in batch[0]


def test_more_than_five_messages_become_a_second_batch_in_order():
    messages = [{"type": "text", "text": f"{n}番目"} for n in range(7)]
    first, second = render(messages)
    assert [m["text"] for m in first + second] == [f"{n}番目" for n in range(7)]
    assert len(first) == 5 and len(second) == 2


def test_quick_replies_move_to_the_last_message_of_a_batch():
    first, = render([{"type": "text", "text": "答え", "buttons": [{"label": "次", "text": "次"}]},
                     {"type": "text", "text": "補足"}])
    assert "quickReply" not in first[0] and first[1]["quickReply"]["items"]
