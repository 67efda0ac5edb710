"""Held-out conversations: claimants with a situation, played turn by turn as a new user would.

The scenarios are data (`tests/data/conversations.yaml`), written from the secretariat's notice
and issue 3, not from how the bot happens to answer. Each one is played through the engine with
`Talk`, and some (five or more) through `claimbot chat --jsonl`. A scenario the bot
gets wrong today carries `xfail: "reason"` and is run as a strict xfail, so the day it passes the
suite says so.

A scenario:
  id, route, situation   who this is (route is the notice's route, for reading)
  now                    the bot's clock (default: a Wednesday in March, call center open)
  turns                  "typed text" | {say: text} | {tap: label} | {tap_old: label}
                         each may add expect: [phrases in this reply], expect_not: [...],
                         detour: true (an FAQ question the person asked; its reply is left out
                         of the route checks, since the person asked for that answer)
  outcome                the `outcomes:` key of dialogs/eligibility.yaml the dialog must reach
  facts                  phrases that must appear in what the person saw
  forbidden              phrases that must not appear (facts of another route)
  claims                 how many claims must be filed (default 0)
  same_receipt           every receipt number shown is the same one
  jsonl                  also played through `claimbot chat --jsonl`
  xfail                  why the bot fails it today
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.clock import parse_now
from bot.engine import Input
from bot.knowledge.render import render
from tests.conftest import CACHE, CAMPAIGN_TIME, ROOT, Talk

DATA = Path(__file__).parent / "data"
# conversations.yaml, and any further set (conversations_*.yaml) written later from the notice.
SCENARIOS: list[dict[str, Any]] = [
    scenario
    for path in sorted(DATA.glob("conversations*.yaml"))
    for scenario in yaml.safe_load(path.read_text(encoding="utf-8")) or []]
RECEIPT = re.compile(r"RP-[0-9A-Z]{4}-[0-9A-Z]{4}|［受付番号］")
CLAIMBOT = [sys.executable, "-m", "bot"]


def _param(scenario: dict[str, Any]) -> Any:
    marks = []
    if scenario.get("xfail"):
        marks.append(pytest.mark.xfail(reason=scenario["xfail"], strict=True))
    return pytest.param(scenario, id=scenario["id"], marks=marks)


def _turn(raw: Any) -> dict[str, Any]:
    return {"say": raw} if isinstance(raw, str) else dict(raw)


def _seen(messages: list[dict[str, Any]]) -> str:
    """What a person reads in one reply: every bubble's text, a card's title too."""
    parts = []
    for message in messages:
        if message.get("title"):
            parts.append(message["title"])
        parts.append(message.get("text", ""))
    return "\n".join(parts)


class Transcript:
    """The conversation so far, for checks and for a readable failure message."""

    def __init__(self, scenario: dict[str, Any]) -> None:
        self.scenario = scenario
        self.rows: list[tuple[dict[str, Any], str]] = []

    def add(self, turn: dict[str, Any], reply: str) -> None:
        self.rows.append((turn, reply))
        said = turn.get("say") or f"[tap] {turn.get('tap') or turn.get('tap_old')}"
        for phrase in turn.get("expect", []):
            assert phrase in reply, self.fail(f"turn {len(self.rows)} {said!r}: "
                                              f"expected {phrase!r} in the reply")
        for phrase in turn.get("expect_not", []):
            assert phrase not in reply, self.fail(f"turn {len(self.rows)} {said!r}: "
                                                  f"did not expect {phrase!r} in the reply")

    def route_text(self) -> str:
        return "\n".join(reply for turn, reply in self.rows if not turn.get("detour"))

    def fail(self, why: str) -> str:
        lines = [f"[{self.scenario['id']}] {why}", f"situation: {self.scenario['situation']}"]
        for index, (turn, reply) in enumerate(self.rows, 1):
            said = turn.get("say") or f"[tap] {turn.get('tap') or turn.get('tap_old')}"
            lines.append(f"--- turn {index} person: {said}")
            lines.append(reply)
        return "\n".join(lines)

    def check_route(self) -> None:
        text = self.route_text()
        for fact in self.scenario.get("facts", []):
            assert fact in text, self.fail(f"fact {fact!r} was never said")
        for phrase in self.scenario.get("forbidden", []):
            assert phrase not in text, self.fail(f"{phrase!r} belongs to another route")
        if self.scenario.get("same_receipt"):
            shown = [m for _, reply in self.rows for m in RECEIPT.findall(reply)]
            assert len(shown) >= 2 and len(set(shown)) == 1, self.fail(
                f"receipt numbers shown: {shown}")


def _find_button(buttons: list[dict[str, Any]], label: str, transcript: Transcript) -> dict:
    for button in buttons:
        if button["label"] == label:
            return button
    raise AssertionError(transcript.fail(
        f"no button {label!r} among {[b['label'] for b in buttons]}"))


# ------------------------------------------------------------------ through the engine

def play(talk: Talk, scenario: dict[str, Any]) -> Transcript:
    transcript = Transcript(scenario)
    history: list[list[dict[str, Any]]] = []  # the buttons of every reply so far
    for raw in scenario["turns"]:
        turn = _turn(raw)
        if "say" in turn:
            talk.say(str(turn["say"]))
        else:
            label = turn.get("tap") or turn.get("tap_old")
            if "tap" in turn:
                assert talk.last is not None, transcript.fail("a tap before any reply")
                _find_button(talk.buttons(), label, transcript)
                talk.tap(label)
            else:  # a button of an earlier reply, tapped again (double tap, stale button)
                earlier = [b for buttons in history[:-1] for b in buttons if b["label"] == label]
                assert earlier, transcript.fail(f"no earlier button {label!r}")
                button = earlier[-1]
                talk.send(Input(postback=button["data"]) if "data" in button
                          else Input(text=button["text"]))
        assert talk.last is not None
        history.append(talk.buttons())
        transcript.add(turn, _seen(talk.last.messages))
    return transcript


@pytest.mark.parametrize("scenario", [_param(s) for s in SCENARIOS])
def test_conversation(knowledge, matcher, scenario: dict[str, Any]) -> None:
    talk = Talk(knowledge, matcher, now=scenario.get("now", CAMPAIGN_TIME))
    transcript = play(talk, scenario)
    dlg = talk.state.get("dlg") or {}
    assert dlg.get("outcome") == scenario["outcome"], transcript.fail(
        f"outcome {dlg.get('outcome')!r}, expected {scenario['outcome']!r}")
    transcript.check_route()
    filed = [e for e in talk.effects if e["type"] == "file_claim"]
    assert len(filed) == scenario.get("claims", 0), transcript.fail(
        f"{len(filed)} claims filed, expected {scenario.get('claims', 0)}")


def test_the_scenarios_cover_every_route(knowledge) -> None:
    outcomes = {s["outcome"] for s in SCENARIOS}
    assert outcomes == set(knowledge.flow.outcomes), set(knowledge.flow.outcomes) ^ outcomes
    ids = [s["id"] for s in SCENARIOS]
    assert len(ids) == len(set(ids)), "scenario ids must be unique"
    assert len([s for s in SCENARIOS if s.get("jsonl")]) >= 5


def test_what_people_type_is_text() -> None:
    """YAML reads an unquoted 2023-02-24 as a date and 10:00 as a number: every turn, expected
    phrase and fact must stay the text a person types or reads."""
    for s in SCENARIOS:
        for turn in s["turns"]:
            said = turn if isinstance(turn, str) else next(
                (turn[k] for k in ("say", "tap", "tap_old") if k in turn), None)
            assert isinstance(said, str), (s["id"], turn)
            for key in ("expect", "expect_not"):
                if isinstance(turn, dict):
                    assert all(isinstance(x, str) for x in turn.get(key, [])), (s["id"], turn)
        for key in ("facts", "forbidden"):
            assert all(isinstance(x, str) for x in s.get(key) or []), (s["id"], key)


# ------------------------------------------------------------------ through the real process

class Process:
    """`claimbot chat --jsonl` as a new user meets it: one line in, one line out."""

    def __init__(self, tmp_path: Path, now: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMBOT_", "DATABASE"))}
        env.update(CLAIMBOT_DATA_DIR=str(tmp_path / "var"), CLAIMBOT_NOW=now,
                   CLAIMBOT_CACHE_DIR=str(CACHE))
        self.log = tmp_path / "stderr.log"
        with self.log.open("w") as stderr:  # a file: a chatty stderr can never block the bot
            self.proc = subprocess.Popen([*CLAIMBOT, "chat", "--jsonl"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=stderr, text=True,
                                         encoding="utf-8", env=env, cwd=ROOT)
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put("")

    def send(self, obj: dict[str, str]) -> list[dict[str, Any]]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.proc.stdin.flush()
        line = self.lines.get(timeout=120)
        assert line, "claimbot exited before answering"
        reply = json.loads(line)
        assert "error" not in reply, reply
        return reply["messages"]

    def close(self) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.reader.join(timeout=10)
            self.proc.stdout.close()
        return self.log.read_text(encoding="utf-8")


JSONL = [_param(s) for s in SCENARIOS if s.get("jsonl")]


@pytest.fixture(scope="module")
def bots(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One `claimbot chat --jsonl` per clock, shared by the scenarios (each its own user, as
    people share one bot); none may have written a traceback when they end."""
    running: dict[str, Process] = {}

    def bot(now: str) -> Process:
        if now not in running:
            running[now] = Process(tmp_path_factory.mktemp("jsonl"), now)
        return running[now]

    yield bot
    errors = [stderr for stderr in (b.close() for b in running.values()) if "Traceback" in stderr]
    assert not errors, errors[0]


@pytest.mark.parametrize("scenario", JSONL)
def test_conversation_through_claimbot_chat_jsonl(knowledge, scenario: dict[str, Any],
                                                  bots: Any) -> None:
    now = scenario.get("now", CAMPAIGN_TIME)
    user = f"held-out-{scenario['id']}"
    bot = bots(now)
    transcript = Transcript(scenario)
    messages: list[dict[str, Any]] = []
    history: list[list[dict[str, Any]]] = []
    for raw in scenario["turns"]:
        turn = _turn(raw)
        if "say" in turn:
            obj = {"user": user, "text": str(turn["say"])}
        else:
            label = turn.get("tap") or turn.get("tap_old")
            pool = ([b for m in messages for b in m.get("buttons", [])] if "tap" in turn
                    else [b for buttons in history[:-1] for b in buttons][::-1])
            button = _find_button(pool, label, transcript)
            obj = ({"user": user, "postback": button["data"]} if "data" in button
                   else {"user": user, "text": button["text"]})
        messages = bot.send(obj)
        history.append([b for m in messages for b in m.get("buttons", [])])
        transcript.add(turn, _seen(messages))
    # The outcome, as the person sees it: the card with the outcome's title.
    title = render(knowledge.flow.outcomes[scenario["outcome"]].title, knowledge.facts,
                   parse_now(now), {}).strip()
    assert title in transcript.route_text(), transcript.fail(
        f"the outcome card {title!r} was never shown")
    transcript.check_route()
    # The claims this person has, as the bot itself reports them.
    status = _seen(bot.send({"user": user, "text": "申請状況"}))
    receipts = set(RECEIPT.findall(status))
    assert len(receipts) == scenario.get("claims", 0), transcript.fail(
        f"申請状況 shows {sorted(receipts)}, expected {scenario.get('claims', 0)} claim(s)")
    if scenario.get("claims"):
        shown = {m for _, reply in transcript.rows for m in RECEIPT.findall(reply)}
        assert shown == receipts, transcript.fail(f"shown {shown}, filed {receipts}")
