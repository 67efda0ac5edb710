"""End to end: the app under gunicorn (2 workers), signed events over HTTP, the real SDK client
talking to the fake LINE API; on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import time

import requests
from conftest import event, text_event


def _fixture_like(user: str) -> list[dict]:
    """Every event type of line-bot-sdk's webhook fixture, with fresh ids, for one user."""
    group = {"type": "group", "groupId": "C" + user[1:], "userId": user}
    room = {"type": "room", "roomId": "R" + user[1:], "userId": user}
    msg = lambda kind, **f: {"id": str(abs(hash((kind, user, tuple(f)))))[:12],  # noqa: E731
                             "type": kind, "quoteToken": "q", **f}
    content = {"type": "external", "originalContentUrl": "https://example.com",
               "previewImageUrl": "https://example.com"}
    return [
        event("message", user, message=msg("text", text="Hello, world")),
        event("message", source=room, message=msg("image", contentProvider=content)),
        event("message", user, message=msg("video", duration=60000, contentProvider=content)),
        event("message", user, message=msg("audio", duration=60000, contentProvider=content)),
        event("message", user, message=msg("location", title="my location", address="Tokyo",
                                           latitude=35.6, longitude=139.7)),
        event("message", user, message=msg("sticker", packageId="1", stickerId="1")),
        event("follow", user, follow={"isUnblocked": True}),
        event("unfollow", user, reply=False),
        event("join", source=group),
        event("leave", source=group, reply=False),
        event("postback", user, postback={"data": "action=buyItem", "params": {
            "datetime": "2017-12-25T01:00"}}),
        event("beacon", user, beacon={"hwid": "d41d8cd98f", "type": "enter"}),
        event("beacon", user, beacon={"hwid": "d41d8cd98f", "type": "enter", "dm": "1234"}),
        event("accountLink", user, link={"result": "ok", "nonce": "n"}),
        event("message", source=group, message=msg("text", text="Hello, world")),
        event("message", source=room, message=msg("text", text="Hello, world")),
        event("postback", user, postback={"data": "a", "params": {"date": "2013-04-01"}}),
        event("postback", user, postback={"data": "a", "params": {"time": "10:00"}}),
        event("postback", user, postback={"data": "a", "params": {"datetime": "2013-04-01T10:00"}}),
        event("things", user, things={"deviceId": "t", "type": "link"}),
        event("memberJoined", source=group, joined={"members": [{"type": "user", "userId": user}]}),
        event("memberLeft", source=group, reply=False,
              left={"members": [{"type": "user", "userId": user}]}),
        event("things", user, things={"deviceId": "t", "type": "unlink"}),
        event("message", user, message=msg("file", fileName="file.txt", fileSize=2138)),
        event("unsend", source=group, reply=False, unsend={"messageId": "325708"}),
        event("videoPlayComplete", user, videoPlayComplete={"trackingId": "track_id"}),
        event("message", user, message=msg("image", contentProvider={"type": "line"},
                                           imageSet={"id": "E0", "index": 2, "total": 2})),
        event("undefined", user, undefinedField={"1": 1}),
    ]


def test_every_event_type_in_one_request(served):
    user = served.user()
    events = _fixture_like(user.id)
    assert len(events) == 28
    for ev in events:
        if ev.get("replyToken") and ev["source"]["type"] == "user":
            user.tokens.add(ev["replyToken"])
    assert served.post(events).status == 200
    # text, video, audio, location, sticker, follow, 4 postbacks, file, image (+ the room's and
    # group's single notices, which go to their own tokens)
    deliveries = user.wait(12)
    time.sleep(1.0)
    assert len(user.deliveries()) == 12
    assert all(d.method == "reply" for d in deliveries)


def test_bad_input_never_500(server, http):
    url = server.url + "/callback"
    assert http.post(url, data=b'{"events": []}').status_code == 400
    assert http.post(url, data=b'{"events": []}',
                     headers={"X-Line-Signature": "bad"}).status_code == 400
    assert http.post(url, data=b"x" * (1024 * 1024 + 1),
                     headers={"X-Line-Signature": "bad"}).status_code == 413
    assert http.get(server.url + "/healthz").status_code == 200
    assert "claimbot_outbox_depth" in http.get(server.url + "/metrics").text


def test_four_concurrent_copies_of_one_event_are_answered_once(served):
    user = served.user()
    ev = text_event(user.id, "申請の期限は？")
    user.tokens.add(ev["replyToken"])
    barrier = threading.Barrier(4)
    statuses = []

    def post():
        barrier.wait()
        statuses.append(served.post([ev]).status)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 4
    user.wait(1)
    time.sleep(1.0)
    assert len(user.deliveries()) == 1


def test_five_quick_messages_are_answered_in_order(served):
    user = served.user()
    events = [text_event(user.id, q) for q in
              ("こんにちは", "申請の期限は？", "補償の内容", "ありがとう", "メニュー")]
    for ev in events:
        user.send(ev)
    deliveries = user.wait(5)
    assert [d.reply_token for d in deliveries] == [ev["replyToken"] for ev in events]


def test_line_api_down_then_back_every_answer_delivered_exactly_once(served, fake_line):
    users = [served.user() for _ in range(3)]
    fake_line.down()
    try:
        for n in range(2):
            for user in users:
                user.send(text_event(user.id, ["こんにちは", "申請の期限は？"][n]))
        time.sleep(2.5)
        assert all(user.deliveries() == [] for user in users)
    finally:
        fake_line.up()
    for user in users:
        user.wait(2, timeout=30)
    time.sleep(1.5)
    assert [len(user.deliveries()) for user in users] == [2, 2, 2]


def test_slow_line_api_does_not_slow_the_webhook(served, fake_line):
    user = served.user()
    fake_line.slow(2.5)
    try:
        started = time.monotonic()
        user.send(text_event(user.id, "こんにちは"))
        assert time.monotonic() - started < 2.0
    finally:
        fake_line.slow(0)
    user.wait(1)


def test_a_conversation_by_taps_and_by_text(served):
    user = served.user()
    greeting = user.follows()
    assert greeting
    labels = [i["action"]["label"] for i in
              user.deliveries()[-1].messages[-1]["quickReply"]["items"]]
    answer = user.taps(labels[0])
    assert answer
    typed = user.says("申請の期限はいつですか")
    assert typed and typed != answer


def test_access_log_has_no_personal_data(served, server):
    user = served.user()
    user.says("私の電話番号は090-1234-5678です")
    log = server.log_text()
    assert '"POST /callback" 200' in log
    assert user.id not in log and "090-1234-5678" not in log


def test_a_dead_answerer_is_replaced_and_what_waited_is_answered(served, server):
    """The answerer dies: the webhook still takes events (200), gunicorn's master starts
    another answerer, and every stored event is answered once, in order."""
    import os
    import re
    import signal

    [pid] = re.findall(r"claimbot answerer started \(pid (\d+)\)", server.log_text())[-1:]
    os.kill(int(pid), signal.SIGKILL)
    user = served.user()
    for word in ("こんにちは", "申請の期限は？"):
        user.send(text_event(user.id, word))  # stored while nobody answers
    got = user.wait(2, timeout=90)
    assert len(got) == 2 and "2023年" in "".join(got[1].texts())
    time.sleep(1.0)
    assert len(user.deliveries()) == 2
    assert server.log_text().count("claimbot answerer started") >= 2


def test_without_credentials_the_webhook_answers_503(served_db, fake_line, tmp_path):
    from conftest import start_gunicorn, stop_gunicorn

    srv = start_gunicorn(served_db, fake_line.url, tmp_path, workers=1,
                         extra={"LINE_CHANNEL_SECRET": "", "LINE_CHANNEL_ACCESS_TOKEN": ""})
    try:
        assert requests.post(srv.url + "/callback", data=b"{}", timeout=5).status_code == 503
        assert srv.log_text().count("LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN") == 1
    finally:
        stop_gunicorn(srv)
