"""The inbox: the webhook stores events and answers 200 at once; they are answered after, in
order, once each, even when the worker that stored them died (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

from conftest import FAST, text_event
from sqlalchemy import select, text

from bot.app import create_app
from bot.outbox import DeliveryConfig
from bot.store.delivery import LineEvent


def _events(app) -> list[LineEvent]:
    with app.extensions["claimbot.bot"].sessions() as session:
        return list(session.scalars(select(LineEvent).order_by(LineEvent.id)))


def test_the_webhook_answers_before_the_event_is_handled_and_keeps_it_encrypted(
        line, app, monkeypatch):
    bot = app.extensions["claimbot.bot"]
    release, entered = threading.Event(), threading.Event()
    real = bot.prepare

    def slow_prepare(*args, **kwargs):
        entered.set()
        assert release.wait(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(bot, "prepare", slow_prepare)
    user = line.user()
    said = "電話番号は09012345678です、期限はいつまで？"
    user.send(text_event(user.id, said))  # 200 although the bot has not answered yet
    assert entered.wait(20)
    assert user.deliveries() == []
    [stored] = [e for e in _events(app) if e.source_id == user.id]
    assert stored.outcome in ("queued", "taking")
    with bot.engine.connect() as conn:
        raw = " ".join(str(v) for row in conn.execute(text("SELECT * FROM line_events"))
                       for v in row)
    assert "09012345678" not in raw and "期限" not in raw  # the stored event is encrypted

    release.set()
    assert user.wait(1)[0].texts()
    assert app.extensions["claimbot.line"].inbox.wait_idle(20)
    [done] = [e for e in _events(app) if e.source_id == user.id]
    assert done.outcome == "answered" and done.payload is None  # nothing kept once answered


def test_one_persons_quick_messages_are_answered_in_order_while_others_go_on(line, app):
    alice, bob = line.user(), line.user()
    sent = []
    for n, word in enumerate(["こんにちは", "申請の期限は？", "ポイントの種類は？",
                              "コールセンターの電話番号は？", "ありがとう"]):
        ev = text_event(alice.id, word)
        sent.append(ev["replyToken"])
        alice.send(ev)
        if n == 2:
            bob.send(text_event(bob.id, "問い合わせ番号がわからない"))
    answers = [d.texts() for d in alice.wait(5)]
    assert len(answers) == 5 and len(bob.wait(1)) == 1
    joined = ["".join(a) for a in answers]
    assert "2023年" in joined[1] and "0120-479-249" in joined[3]
    assert [d.reply_token for d in alice.deliveries()] == sent  # each answer to its message
    ids = [e.id for e in _events(app) if e.source_id == alice.id]
    assert ids == sorted(ids)


def test_events_left_by_a_dead_worker_are_answered_by_another(app_config, fake_line, line):
    """A worker stores events and dies before answering: another process answers them."""
    dead = create_app(app_config)
    dead.extensions["claimbot.line"].inbox.stop()  # it stores, but nobody answers there
    user = line.user()
    first, second = text_event(user.id, "こんにちは"), text_event(user.id, "申請の期限は？")
    user.tokens.update({first["replyToken"], second["replyToken"]})
    keys = dead.extensions["claimbot.line"].events.accept([first, second])
    assert keys == [user.id]
    assert user.deliveries() == []

    alive_config = {**app_config, "DELIVERY": DeliveryConfig.from_env(
        {**FAST, "CLAIMBOT_INBOX_ORPHAN_AFTER": "0.5"})}
    alive = create_app(alive_config)
    try:
        got = user.wait(2)
        assert len(got) == 2
        assert "2023年" in "".join(got[1].texts())
        again = alive.extensions["claimbot.line"].events.accept([first])  # a late redelivery
        assert again == []
    finally:
        for a in (dead, alive):
            a.extensions["claimbot.line"].stop()
            a.extensions["claimbot.bot"].close()


def test_an_event_that_waited_its_turn_shows_the_loading_animation_at_once(
        app_config, fake_line, line):
    """The animation is for the person's wait, counted from when they sent the message."""
    config = {**app_config, "DELIVERY": DeliveryConfig.from_env(
        {**FAST, "CLAIMBOT_LOADING_AFTER": "20"})}
    slow = create_app(config)
    try:
        channel = slow.extensions["claimbot.line"]
        fresh_user, waited_user = line.user(), line.user()
        fresh = text_event(fresh_user.id, "こんにちは")
        waited = {**text_event(waited_user.id, "こんにちは")}
        waited["timestamp"] -= 30_000  # sent half a minute ago, still waiting
        for user, ev in ((fresh_user, fresh), (waited_user, waited)):
            user.tokens.add(ev["replyToken"])
            channel.inbox.kick(channel.events.accept([ev]))
            assert user.wait(1)
        assert waited_user.id in fake_line.loading
        assert fresh_user.id not in fake_line.loading  # answered well within 20 s
    finally:
        slow.extensions["claimbot.line"].stop()
        slow.extensions["claimbot.bot"].close()
