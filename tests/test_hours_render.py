"""The clock, the call center's hours and answer templates, around every boundary."""

from __future__ import annotations

import pytest

from bot.clock import Clock, format_date, parse_now
from bot.knowledge.hours import is_open, next_opening, status_line
from bot.knowledge.render import TemplateError, check_template, render
from tests.conftest import at


def test_claimbot_now_pins_the_clock_in_japan_time() -> None:
    clock = Clock.from_setting("2023-03-15T10:00")
    assert clock.now().isoformat() == "2023-03-15T10:00:00+09:00"
    assert Clock.from_setting("2023-03-15T01:00:00+00:00").now().hour == 10
    with pytest.raises(ValueError, match="CLAIMBOT_NOW"):
        parse_now("next tuesday")
    assert Clock().now().utcoffset().total_seconds() == 9 * 3600


def test_dates_are_written_the_japanese_way() -> None:
    assert format_date(at("2023-04-30").date()) == "2023年4月30日（日）"


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        ("2023-04-05T10:00", True),   # weekday, opening minute
        ("2023-04-05T17:59", True),
        ("2023-04-05T18:00", False),  # weekday evening
        ("2023-04-05T09:59", False),
        ("2023-03-18T11:00", True),   # a Saturday in March
        ("2023-03-21T11:00", True),   # a national holiday in March (春分の日)
        ("2023-04-08T11:00", False),  # a Saturday in April
        ("2023-05-03T11:00", False),  # a national holiday on a weekday (憲法記念日)
        ("2023-02-25T11:00", False),  # a Saturday before March
    ],
)
def test_hotline_hours(facts, moment, open_) -> None:
    assert is_open(facts.hotline, at(moment)) is open_


def test_next_opening_skips_weekends_and_holidays(facts) -> None:
    assert next_opening(facts.hotline, at("2023-05-02T19:00")) == at("2023-05-08T10:00")
    assert next_opening(facts.hotline, at("2023-03-31T18:30")) == at("2023-04-03T10:00")
    assert "次の受付は2023年5月8日（月）10:00から" in status_line(facts.hotline,
                                                              at("2023-05-03T12:00"))
    assert "本日18:00まで" in status_line(facts.hotline, at("2023-03-18T12:00"))


def test_deadline_status_before_and_after(facts) -> None:
    template = "{deadline.apply|status}"
    assert render(template, facts, at("2023-04-30T23:00")) == (
        "補償対応特設サイトでの申請の期限は2023年4月30日（日）です。")
    assert render(template, facts, at("2023-05-01T00:00")) == (
        "補償対応特設サイトでの申請は2023年4月30日（日）で終了しました。")
    assert "開設予定" in render("{site.opens|status}", facts, at("2023-03-24T13:59"))
    assert "開設されました" in render("{site.opens|status}", facts, at("2023-03-24T14:00"))


def test_lists_and_the_hotline_block(facts) -> None:
    bullets = render("{points.brands|bullets}", facts, at("2023-03-15"))
    assert bullets.splitlines() == [f"・{b}" for b in facts.points.brands]
    assert render("{site.required_items|list}", facts, at("2023-03-15")).count("、") == 4
    block = render("{hotline}", facts, at("2023-03-15T11:00"))
    assert "0120-479-249" in block and "平日 10:00〜18:00" in block and "受付時間内" in block


def test_template_errors_are_named(facts) -> None:
    with pytest.raises(TemplateError, match="unknown fact"):
        render("{deadline.aply}", facts, at("2023-03-15"))
    with pytest.raises(TemplateError, match="unknown filter"):
        render("{deadline.apply|loud}", facts, at("2023-03-15"))
    assert check_template("期限は {deadline.apply} です", facts, at("2023-03-15")) == []
    assert check_template("期限は {deadline} です", facts, at("2023-03-15"))
    assert check_template("閉じ忘れ {deadline.apply", facts, at("2023-03-15"))
