"""The webhook in-process (Flask test client), on SQLite and on PostgreSQL: signatures, bad
input, every event type, exactly-once intake, and delivery through the outbox."""

from __future__ import annotations

import json
import logging
import time

from conftest import event, sign, text_event
from sqlalchemy import select

from bot.channels.line_events import GROUP_NOTICE, NOT_TEXT, TROUBLE
from bot.store.delivery import DeliveryAttempt, LineSource, OutboxMessage


def _settle(app):
    """Wait until the inbox has answered every stored event (the webhook answers before)."""
    assert app.extensions["claimbot.line"].inbox.wait_idle(20)


def _rows(app, model):
    _settle(app)
    with app.extensions["claimbot.bot"].sessions() as session:
        return list(session.scalars(select(model)))


def test_text_gets_an_answer_by_reply_with_the_loading_animation(line):
    user = line.user()
    texts = user.says("こんにちは")
    assert texts and texts[0]
    [delivery] = user.deliveries()
    assert delivery.method == "reply"
    assert user.id in line.fake.loading


def test_console_verify_request_gets_200(line):
    posted = line.post([])
    assert posted.status == 200


def test_bad_or_missing_signature_is_400_and_nothing_is_processed(line, app):
    user = line.user()
    ev = text_event(user.id, "こんにちは")
    assert line.post([ev], signature="AAAA" + sign(b"x")[4:]).status == 400
    assert line.post([ev], signature="").status == 400
    assert line.post([ev], signature="これは署名ではない").status == 400
    body = json.dumps({"events": [ev]}).encode()
    assert line.post([], body=body, signature=sign(body, "another secret")).status == 400
    time.sleep(0.3)
    assert user.deliveries() == [] and _rows(app, OutboxMessage) == []


def test_malformed_payloads_are_400_and_oversized_413(line):
    for body in (b"{not json", b"[]", b'{"events": {}}', b'"events"', b"\xff\xfe\x00",
                 b"[" * 100_000):
        assert line.post([], body=body).status == 400, body[:20]
    big = json.dumps({"events": [], "pad": "x" * (1024 * 1024)}).encode()
    assert line.post([], body=big).status == 413


def test_redelivery_and_duplicates_are_handled_once(line):
    user = line.user()
    ev = text_event(user.id, "申請の期限は？")
    user.send(ev)
    again = {**ev, "deliveryContext": {"isRedelivery": True}}
    user.send(again)
    assert line.post([ev, ev]).status == 200
    user.wait(1)
    time.sleep(0.5)
    assert len(user.deliveries()) == 1


def test_follow_greets_with_buttons_and_a_returning_user_is_welcomed_back(line):
    user = line.user()
    first = user.follows()
    assert first and user.deliveries()[-1].messages[-1].get("quickReply")
    user.says("申請の期限は？")
    back = user.follows()
    assert back and user.deliveries()[-1].messages[-1].get("quickReply")


def test_media_get_a_polite_text_with_the_menu(line):
    user = line.user()
    kinds = [("image", {}), ("video", {"duration": 1}), ("audio", {"duration": 1}),
             ("file", {"fileName": "a.txt", "fileSize": 1}),
             ("location", {"latitude": 35.0, "longitude": 135.0, "address": "奈良"}),
             ("sticker", {"packageId": "1", "stickerId": "1"})]
    for kind, extra in kinds:
        user.send(event("message", user.id, message={"id": "1" + kind, "type": kind, **extra}))
    deliveries = user.wait(len(kinds))
    assert all(d.texts() == [NOT_TEXT] for d in deliveries)
    assert all(d.messages[-1]["quickReply"]["items"] for d in deliveries)


def test_group_and_room_get_one_notice_then_silence(line):
    group = {"type": "group", "groupId": "C" + "1" * 32, "userId": "U" + "2" * 32}
    tokens = []
    for ev in (event("join", source=group),
               event("message", source=group, message={"id": "9", "type": "text", "text": "x"}),
               event("memberJoined", source=group, joined={"members": []})):
        tokens.append(ev["replyToken"])
        assert line.post([ev]).status == 200
    line.fake.wait_for(lambda: any(d.reply_token in tokens for d in line.fake.deliveries))
    time.sleep(0.5)
    got = [d for d in line.fake.deliveries if d.reply_token in tokens]
    assert len(got) == 1 and got[0].texts() == [GROUP_NOTICE]


def test_unfollow_marks_inactive_and_keeps_everything(line, app):
    user = line.user()
    user.says("こんにちは")
    assert line.post([event("unfollow", user.id, reply=False)]).status == 200
    [source] = [s for s in _rows(app, LineSource) if s.source_id == user.id]
    assert source.active is False and source.unfollowed_at is not None


def test_standby_unknown_and_other_events_get_no_reply(line):
    user = line.user()
    events = [
        {**text_event(user.id, "こんにちは"), "mode": "standby"},
        event("somethingNew", user.id, undefinedField={"1": 1}),
        event("beacon", user.id, beacon={"hwid": "d41d8cd98f", "type": "enter"}),
        event("accountLink", user.id, link={"result": "ok", "nonce": "n"}),
        event("videoPlayComplete", user.id, videoPlayComplete={"trackingId": "t"}),
        event("things", user.id, things={"deviceId": "t", "type": "link"}),
        event("leave", source={"type": "group", "groupId": "C9"}, reply=False),
        event("memberLeft", source={"type": "group", "groupId": "C9"}, reply=False),
        {"no": "type"}, "not an event", 42,
    ]
    assert line.post(events).status == 200
    time.sleep(0.5)
    assert user.deliveries() == []


def test_unsend_drops_the_held_question(line, app):
    user = line.user()
    ev = text_event(user.id, "ポイントについて教えて")
    user.send(ev)
    user.wait(1)
    unsend = event("unsend", user.id, reply=False, unsend={"messageId": ev["message"]["id"]})
    assert line.post([unsend]).status == 200
    _settle(app)
    with app.extensions["claimbot.bot"].sessions() as session:
        from bot.store.models import Conversation
        conv = session.scalar(select(Conversation).where(Conversation.user_key == user.id))
        assert "pending_question" not in (conv.state or {})


def test_unsend_before_the_message_arrives_skips_it(line):
    user = line.user()
    ev = text_event(user.id, "この質問は取り消します")
    unsend = event("unsend", user.id, reply=False, unsend={"messageId": ev["message"]["id"]})
    assert line.post([unsend]).status == 200
    user.send(ev)
    time.sleep(0.5)
    assert user.deliveries() == []


def test_a_failing_event_does_not_drop_the_others_nor_leak_into_the_log(line, app, caplog,
                                                                        monkeypatch):
    bot = app.extensions["claimbot.bot"]
    real = bot.step_in
    secret = "秘密の住所 奈良県奈良市1-2-3"

    def step_in(session, channel, user_key, inp, **kwargs):
        if inp.text == secret:
            raise ValueError(f"cannot handle {inp.text}")
        return real(session, channel, user_key, inp, **kwargs)

    monkeypatch.setattr(bot, "step_in", step_in)
    alice, bob = line.user(), line.user()
    first, second = text_event(alice.id, secret), text_event(bob.id, "こんにちは")
    alice.tokens.add(first["replyToken"])
    bob.tokens.add(second["replyToken"])
    with caplog.at_level(logging.INFO):
        posted = line.post([first, second])
    assert posted.status == 200
    assert alice.wait(1)[0].texts()[0] == TROUBLE
    assert bob.wait(1)[0].texts()[0] != TROUBLE
    assert secret not in caplog.text and "奈良市" not in caplog.text
    assert alice.id not in caplog.text and "ValueError" in caplog.text


def test_line_api_errors_are_retried_then_delivered_once(line, app):
    user = line.user()
    line.fake.fail(3, status=500)
    user.send(text_event(user.id, "こんにちは"))
    [delivery] = user.wait(1)
    time.sleep(0.5)
    assert len(user.deliveries()) == 1
    attempts = _rows(app, DeliveryAttempt)
    assert [a.result for a in attempts][:4] == ["retry", "retry", "retry", "ok"]


def test_expired_reply_token_falls_back_to_push(line, app):
    user = line.user()
    ev = text_event(user.id, "こんにちは")
    line.fake.expire(ev["replyToken"])
    user.send(ev)
    [delivery] = user.wait(1)
    assert delivery.method == "push" and delivery.to == user.id
    line.fake.wait_for(lambda: _rows(app, OutboxMessage)[0].status == "sent")
    [row] = _rows(app, OutboxMessage)
    assert row.messages == []  # nothing lingers once delivered


def test_a_refusal_that_cannot_succeed_is_not_retried(line, app):
    user = line.user()
    line.fake.fail(1, status=403)
    user.send(text_event(user.id, "こんにちは"))
    line.fake.wait_for(lambda: any(r.status == "failed" for r in _rows(app, OutboxMessage)))
    time.sleep(0.6)
    assert [a.status_code for a in _rows(app, DeliveryAttempt)] == [403]
    assert user.deliveries() == []


def test_health_and_metrics(client, line):
    line.user().says("こんにちは")
    assert client.get("/healthz").status_code == 200
    text = client.get("/metrics").get_data(as_text=True)
    for name in ("claimbot_line_events_total", "claimbot_line_deliveries_total",
                 "claimbot_outbox_depth", "claimbot_webhook_seconds_bucket"):
        assert name in text


def test_unknown_paths_and_methods_answer_json(client):
    assert client.get("/callback").status_code == 405
    assert client.get("/nope").get_json() == {"error": "Not Found"}


def test_ids_longer_than_lines_are_no_ids_and_break_nothing(line):
    """A signed event with ids no LINE id has (too long to store) is taken as sourceless;
    the other events of the request are answered."""
    user = line.user()
    odd = text_event("U" + "x" * 500, "こんにちは")
    odd["message"]["id"] = "9" * 200
    odd["webhookEventId"] = "01" + "Z" * 24
    good = text_event(user.id, "こんにちは")
    user.tokens.add(good["replyToken"])
    assert line.post([odd, good]).status == 200
    assert user.wait(1)[0].texts()
