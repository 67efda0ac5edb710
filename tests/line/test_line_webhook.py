"""The webhook in-process (Flask test client), on SQLite and PostgreSQL: signatures, bad input,
every event type, exactly-once, and delivery through the outbox to the fake LINE API."""

from __future__ import annotations

import json

from conftest import event, sign, text_event


def test_text_gets_an_answer_by_reply(line):
    user = line.user()
    texts = user.says("こんにちは")
    assert texts and texts[0]
    [delivery] = user.deliveries()
    assert delivery.method == "reply"
    assert user.id in line.fake.loading  # the loading animation was asked for
