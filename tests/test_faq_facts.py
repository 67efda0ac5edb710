"""Issue 2's Done-when, measured on the facts a person reads (every tests/data/faq_facts*.yaml:
faq_facts.yaml, faq_facts2.yaml, faq_facts3.yaml, faq_facts4.yaml, faq_facts5.yaml and
faq_facts6.yaml, six independent blind sets, each with its own floors).

Every question of the set is asked by a NEW user (one user id per question) through one real
`claimbot chat --jsonl` process per clock:
- 2023-03-15T12:00 (during the campaign): the in-scope questions must show their facts, the
  out-of-scope ones an honest answer with the hotline and none of the campaign's dates or URLs;
- 2026-11-27T12:00 (today): the deadline questions (`passed: true`) must say the deadline has
  ended, and still name it.
The reply read is every "text"/"altText" string of the reply's messages (what a person reads; a
button's label or typed text is not counted), folded with NFKC, lower case, no white space and
one kind of hyphen, so 「２０２３年４月３０日（日）」 and "2023年4月30日" match.

Figures: `.venv/bin/python tests/test_faq_facts.py [faq_facts2.yaml]` prints them per set and
split (every set, or the ones named), and with `--failures dev` the dev half's failing questions
and replies.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SET = ROOT / "tests" / "data" / "faq_facts.yaml"
SETS = sorted(SET.parent.glob("faq_facts*.yaml"))
CACHE = Path(os.environ.get("CLAIMBOT_TEST_CACHE", ROOT / "var" / "test-cache"))
CAMPAIGN_NOW = "2023-03-15T12:00:00+09:00"
TODAY_NOW = "2026-11-27T12:00:00+09:00"

HOTLINE = "0120-479-249"
# An honest "I cannot answer this" / "this is not what the secretariat handles".
HONEST = ("お答えでき", "お答えすることができ", "お答えいたしかね", "わかりかね", "分かりかね",
          "取り扱っ", "取扱", "ご案内でき", "対象外", "範囲外", "お手伝いでき",
          "対応しておりません", "のみご案内", "それぞれのサービスの窓口", "ご案内するためのもの")
# The campaign's facts that must not be given as if they answered an out-of-scope question.
CAMPAIGN_FACTS = ("2023年3月24日", "2023年3月31日", "2023年4月30日", "2023年5月31日", "4月上旬",
                  "5月初旬", "region-pay.com", "giftpad.jp", "03-5244-9370")
ENDED = ("終了", "過ぎ", "締め切", "締切")

# Floors per set, a little below what was measured (see the header of each set).
FLOORS = {
    "faq_facts.yaml": {
        "in_scope": {"dev": 0.93, "test": 0.85},
        "oos": {"dev": 0.61, "test": 0.48},
        "passed": {"dev": 0.93, "test": 0.75},
    },
    "faq_facts2.yaml": {
        "in_scope": {"dev": 0.95, "test": 0.86},
        "oos": {"dev": 0.80, "test": 0.50},
        "passed": {"dev": 0.90, "test": 0.76},
    },
    "faq_facts3.yaml": {
        "in_scope": {"dev": 0.92, "test": 0.88},
        "oos": {"dev": 0.88, "test": 0.56},
        "passed": {"dev": 0.87, "test": 0.85},
    },
    "faq_facts4.yaml": {
        "in_scope": {"dev": 0.86, "test": 0.79},
        "oos": {"dev": 0.84, "test": 0.52},
        "passed": {"dev": 0.81, "test": 0.78},
    },
    "faq_facts5.yaml": {
        "in_scope": {"dev": 0.87, "test": 0.88},
        "oos": {"dev": 0.77, "test": 0.67},
        "passed": {"dev": 0.90, "test": 0.90},
    },
    "faq_facts6.yaml": {
        "in_scope": {"dev": 0.86, "test": 0.86},
        "oos": {"dev": 0.78, "test": 0.75},
        "passed": {"dev": 0.73, "test": 0.69},
    },
}
DONE_WHEN = 0.90
ASSERT_DONE_WHEN = False  # set when the measured right-facts rate holds 0.90 on both halves

_DASHES = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2212\ufe63]")


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return _DASHES.sub("-", re.sub(r"\s+", "", text))


def load_set(path: Path = SET) -> list[dict[str, Any]]:
    questions = yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]
    for number, item in enumerate(questions, 1):
        item["id"] = f"Q{number}"
    return questions


def ask(items: Iterable[dict[str, Any]], now: str) -> dict[str, dict[str, Any]]:
    """One `claimbot chat --jsonl` process; each question from its own new user."""
    items = list(items)
    stdin = "".join(json.dumps({"user": item["id"], "text": item["q"]}, ensure_ascii=False) + "\n"
                    for item in items)
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMBOT_", "DATABASE"))}
        env.update(CLAIMBOT_DATA_DIR=str(Path(tmp) / "var"), CLAIMBOT_NOW=now,
                   CLAIMBOT_CACHE_DIR=str(CACHE))
        proc = subprocess.run([sys.executable, "-m", "bot", "chat", "--jsonl"], input=stdin,
                              capture_output=True, text=True, env=env, cwd=tmp, timeout=900)
    assert proc.returncode == 0, proc.stderr
    replies = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(replies) == len(items), proc.stderr
    return {item["id"]: reply for item, reply in zip(items, replies, strict=True)}


def reply_text(reply: dict[str, Any]) -> str:
    parts = []
    for message in reply.get("messages", []):
        parts += [message[key] for key in ("text", "altText") if isinstance(message.get(key), str)]
    return "\n".join(parts)


def starts_check(reply: dict[str, Any]) -> bool:
    """The reply asks the eligibility dialog's first question (its buttons post back `d:`)."""
    return any(str(button.get("data", "")).startswith("d:")
               for message in reply.get("messages", []) for button in message.get("buttons", []))


def facts_ok(item: dict[str, Any], text: str) -> bool:
    said = fold(text)
    return (all(fold(fact) in said for fact in item.get("facts", []))
            and all(any(fold(alt) in said for alt in group) for group in item.get("any", []))
            and not any(fold(wrong) in said for wrong in item.get("forbidden", [])))


def right_in_scope(item: dict[str, Any], reply: dict[str, Any]) -> bool:
    return facts_ok(item, reply_text(reply)) or (bool(item.get("dialog")) and starts_check(reply))


def right_oos(reply: dict[str, Any]) -> bool:
    said = fold(reply_text(reply))
    return (any(fold(word) in said for word in HONEST) and fold(HOTLINE) in said
            and not any(fold(fact) in said for fact in CAMPAIGN_FACTS))


def right_passed(item: dict[str, Any], reply: dict[str, Any]) -> bool:
    said = fold(reply_text(reply))
    return any(word in said for word in ENDED) and facts_ok(item, reply_text(reply))


def measure(path: Path = SET) -> dict[str, Any]:
    """Ask the whole set on both clocks; per question: (kind, split, right, reply)."""
    questions = load_set(path)
    campaign = ask(questions, CAMPAIGN_NOW)
    passed = [item for item in questions if item.get("passed")]
    today = ask(passed, TODAY_NOW)
    rows = []
    for item in questions:
        reply = campaign[item["id"]]
        if item.get("oos"):
            rows.append(("oos", item, right_oos(reply), reply))
        else:
            rows.append(("in_scope", item, right_in_scope(item, reply), reply))
        if item.get("passed"):
            rows.append(("passed", item, right_passed(item, today[item["id"]]),
                         today[item["id"]]))
    return {"rows": rows, "figures": figures(rows)}


def figures(rows: list[tuple[str, dict[str, Any], bool, dict[str, Any]]]
            ) -> dict[str, dict[str, tuple[int, int]]]:
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for kind, item, right, _reply in rows:
        for split in (item["split"], "all"):
            good, total = out.setdefault(kind, {}).get(split, (0, 0))
            out[kind][split] = (good + right, total + 1)
    return out


def report(result: dict[str, Any]) -> str:
    lines = []
    for kind in ("in_scope", "oos", "passed"):
        cells = []
        for split in ("dev", "test", "all"):
            good, total = result["figures"].get(kind, {}).get(split, (0, 0))
            cells.append(f"{split} {good}/{total} = {good / total if total else 0:.3f}")
        lines.append(f"{kind:9s} " + "   ".join(cells))
    return "\n".join(lines)


@pytest.fixture(scope="module", params=SETS, ids=lambda path: path.name)
def result(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"name": request.param.name, **measure(request.param)}


@pytest.mark.parametrize("path", SETS, ids=lambda path: path.name)
def test_the_set_is_well_formed(path: Path) -> None:
    assert path.name in FLOORS, "a new set needs its floors"
    questions = load_set(path)
    assert len({item["q"] for item in questions}) == len(questions)
    for item in questions:
        assert item["split"] in ("dev", "test"), item
        assert set(item) <= {"id", "q", "facts", "any", "forbidden", "oos", "dialog", "passed",
                             "split"}, item
        if item.get("oos"):
            assert not (item.keys() & {"facts", "any", "passed", "dialog"}), item
        else:
            assert item.get("facts") or item.get("any"), item


def test_right_facts_during_the_campaign_and_after(result: dict[str, Any],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\n{result['name']} (right / asked):\n" + report(result))
    measured = result["figures"]
    for kind, floors in FLOORS[result["name"]].items():
        for split, floor in floors.items():
            good, total = measured[kind][split]
            assert total and good / total >= floor, (kind, split, good, total)
    if ASSERT_DONE_WHEN:
        for split in ("dev", "test"):
            good, total = measured["in_scope"][split]
            assert good / total >= DONE_WHEN, (split, good, total)


def main(argv: list[str]) -> None:
    named = [arg for arg in argv if arg.endswith(".yaml")]
    for path in [SET.parent / Path(arg).name for arg in named] or SETS:
        result = measure(path)
        print(f"{path.name} (right / asked):\n" + report(result))
        if "--failures" in argv:
            split = argv[argv.index("--failures") + 1]
            for kind, item, right, reply in result["rows"]:
                if not right and item["split"] == split:
                    print(f"\n[{kind}] {item['id']} {item['q']}  "
                          f"facts={item.get('facts')} any={item.get('any')}")
                    print("  -> " + reply_text(reply).replace("\n", " / ")[:400])
        print()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main(sys.argv[1:])
