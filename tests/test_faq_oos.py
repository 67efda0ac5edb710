"""tests/data/faq_oos.yaml: the out-of-scope question set stays independent of the FAQ."""

from __future__ import annotations

import yaml

from tests.conftest import ROOT


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
