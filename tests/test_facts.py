"""The campaign facts: what the notice says, and clear errors for a broken file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.facts import load_facts
from bot.yamlsrc import DataFileError
from tests.conftest import KNOWLEDGE


def test_facts_match_the_notice(facts) -> None:
    assert facts.outage.date.render() == "2023年2月24日（金）"
    assert facts.expiry.original.render() == "2023年2月24日（金）23:59"
    assert facts.expiry.first_extension.render() == "2023年2月26日（日）23:59"
    assert facts.expiry.extended.render() == "2023年3月31日（金）23:59"
    assert facts.site.opens.render() == "2023年3月24日（金）14:00"
    assert facts.deadline.apply.at.render() == "2023年4月30日（日）"
    assert facts.deadline.claim.at.render() == "2023年5月31日（水）"
    assert facts.hotline.tel == "0120-479-249"
    assert facts.hotline.tel_uri == "tel:0120479249"
    assert facts.delivery.sms_sender == "03-5244-9370"
    assert facts.delivery.email_sender == "regionpay_compensation_ml@giftpad.jp"
    assert facts.site.url == "https://region-pay.com/pages/compensation.html"
    assert len(facts.points.brands) == 5
    assert len(facts.site.required_items) == 5
    assert len(facts.call_center.asks) == 4


def test_a_date_only_deadline_lasts_the_whole_day(facts) -> None:
    at = facts.deadline.apply.at.at
    assert (at.hour, at.minute, at.utcoffset().total_seconds()) == (23, 59, 9 * 3600)


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = (KNOWLEDGE / "campaign.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "campaign.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "needle", "said"),
    [
        ("  extended: 2023-03-31T23:59", "  extended: 2023-02-30T23:59", "2023-02-30",
         "not a real date"),
        ("  extended: 2023-03-31T23:59", "  extendd: 2023-03-31T23:59", "extendd",
         "unknown key 'expiry.extendd'"),
        ("    at: 2023-04-30", "    at: 30 April", "30 April", "expected a date"),
        ('  opens: "10:00"', '  opens: "ten"', '"ten"', "time of day"),
        ("  tel: 0120-479-249", "  tel: 0120 479 249", "0120 479 249", "hotline.tel"),
    ],
)
def test_a_typo_is_an_error_naming_file_and_line(tmp_path, old, new, needle, said) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(DataFileError) as caught:
        load_facts(path)
    assert caught.value.line == _line_of(path, needle)
    assert said in caught.value.message
    assert str(caught.value).startswith(f"{path}:{caught.value.line}: ")


def test_a_missing_key_and_bad_yaml_are_named(tmp_path) -> None:
    path = _broken(tmp_path, "  sms_sender: 03-5244-9370\n", "")
    with pytest.raises(DataFileError, match="missing key 'delivery.sms_sender'"):
        load_facts(path)
    path = _broken(tmp_path, "  coupon: いまなら。地域クーポン", "  coupon: [いまなら")
    with pytest.raises(DataFileError, match="not valid YAML") as caught:
        load_facts(path)
    assert caught.value.line is not None


def test_lookup_by_dotted_key(facts) -> None:
    assert facts.lookup("hotline.tel") == "0120-479-249"
    assert facts.lookup("points.brands.0") == facts.points.brands[0]
    with pytest.raises(KeyError):
        facts.lookup("hotline.fax")
