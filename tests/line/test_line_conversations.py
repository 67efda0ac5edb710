"""The held-out conversations (tests/data/conversations*.yaml), driven through signed LINE events.

Every scenario that the terminal plays is played here too (once, on SQLite or on PostgreSQL),
turn by turn, into the in-process webhook: typed texts as message events, taps as the postbacks
or texts of the quick replies and card buttons that LINE shows. The same outcome card must be
shown, with the same facts and none of another route's: the channel only translates.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from conftest import (
    FAST,
    SECRET,
    DeliveryConfig,
    LineClient,
    LineUser,
    Posted,
    actions,
    event,
    text_event,
)
from fake_line import TOKEN, Delivery

from bot.app import create_app
from bot.clock import parse_now
from bot.knowledge.render import render
from tests.conftest import CAMPAIGN_TIME
from tests.test_conversations import RECEIPT, SCENARIOS, Transcript, _turn

BY_CLOCK: dict[str, list[dict[str, Any]]] = defaultdict(list)
for _scenario in SCENARIOS:
    if not _scenario.get("xfail"):  # failed today by the bot: a strict xfail in the terminal test
        BY_CLOCK[_scenario.get("now", CAMPAIGN_TIME)].append(_scenario)


def on_postgresql(index: int) -> bool:
    """Every scenario is played through LINE once: one in three on PostgreSQL, the others on
    SQLite (the suite's time: 28 sets of 30 scenarios).

    The channel and the engine do not depend on the database; what does (events stored once and
    answered in order, a claim filed once with its receipt, state kept between turns) is met by
    a third of the scenarios on each database, claims among them, and by
    tests/line/test_line_inbox.py and tests/test_store.py on both databases."""
    return index % 3 == 0


def _seen(delivery: Delivery) -> str:
    return "\n".join(delivery.texts())


def _button(deliveries: list[Delivery], label: str, transcript: Transcript) -> dict[str, Any]:
    for delivery in reversed(deliveries):
        for action in actions(delivery):
            if action.get("label") == label:
                return action
    raise AssertionError(transcript.fail(f"no button {label!r} on LINE"))


def play(user: LineUser, scenario: dict[str, Any], knowledge: Any, now: str) -> None:
    transcript = Transcript(scenario)
    for raw in scenario["turns"]:
        turn = _turn(raw)
        if "say" in turn:
            user.send(text_event(user.id, str(turn["say"])))
        else:
            shown = user.deliveries()
            pool = shown[-1:] if "tap" in turn else shown[:-1]
            action = _button(pool, turn.get("tap") or turn.get("tap_old"), transcript)
            if action["type"] == "postback":
                user.send(event("postback", user.id, postback={"data": action["data"]}))
            else:
                user.send(text_event(user.id, action["text"]))
        transcript.add(turn, _seen(user.wait(user.seen + 1)[user.seen]))
        user.seen += 1
    title = render(knowledge.flow.outcomes[scenario["outcome"]].title, knowledge.facts,
                   parse_now(now), {}).strip()
    assert title in transcript.route_text(), transcript.fail(f"no outcome card {title!r}")
    transcript.check_route()
    receipts = {m for _, reply in transcript.rows for m in RECEIPT.findall(reply)}
    assert len(receipts) == (1 if scenario.get("claims") else 0), transcript.fail(
        f"receipts shown: {sorted(receipts)}")


@pytest.mark.parametrize("now", sorted(BY_CLOCK))
def test_held_out_conversations_reach_the_same_outcomes_on_line(
        now: str, settings: Any, fake_line: Any, knowledge: Any) -> None:
    app = create_app({"SETTINGS": settings.with_(
        now=now, line_channel_secret=SECRET, line_channel_access_token=TOKEN,
        line_api_base_url=fake_line.url), "DELIVERY": DeliveryConfig.from_env(FAST)})
    client = app.test_client()

    def post(data: bytes, headers: dict[str, str]) -> Posted:
        response = client.post("/callback", data=data, headers=headers)
        return Posted(response.status_code, response.get_json(silent=True))

    line = LineClient(post, fake_line)
    try:
        postgresql = settings.database_url.startswith("postgresql")
        for index, scenario in enumerate(BY_CLOCK[now]):
            if postgresql == on_postgresql(index):
                play(line.user(), scenario, knowledge, now)
    finally:
        channel = app.extensions.get("claimbot.line")
        if channel is not None:
            channel.stop()
        app.extensions["claimbot.bot"].close()
