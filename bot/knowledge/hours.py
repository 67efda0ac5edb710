"""The call center's opening hours on the bot's clock (weekdays, extra periods, holidays)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.clock import JST, format_datetime, is_holiday
from bot.knowledge.facts import Hotline

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def is_open_day(hotline: Hotline, day: date) -> bool:
    """Weekdays that are not holidays, plus the days of any extra period (e.g. March 2023)."""
    holiday = is_holiday(day)
    if day.weekday() < 5 and not holiday:
        return True
    kinds = {_DAY_NAMES[day.weekday()]} | ({"holiday"} if holiday else set())
    return any(
        period.from_.at.date() <= day <= period.to.at.date() and kinds & set(period.days)
        for period in hotline.extra_periods
    )


def is_open(hotline: Hotline, moment: datetime) -> bool:
    """Whether the call center takes calls at `moment`."""
    local = moment.astimezone(JST)
    return is_open_day(hotline, local.date()) and hotline.opens <= local.time() < hotline.closes


def next_opening(hotline: Hotline, moment: datetime) -> datetime | None:
    """The next moment the call center opens after `moment` (None if not within a year)."""
    local = moment.astimezone(JST)
    for offset in range(0, 370):
        day = local.date() + timedelta(days=offset)
        start = datetime.combine(day, hotline.opens, JST)
        if start > local and is_open_day(hotline, day):
            return start
    return None


def status_line(hotline: Hotline, moment: datetime) -> str:
    """One sentence: open now (until when), or closed and when it opens next."""
    if is_open(hotline, moment):
        return f"ただいま受付時間内です（本日{hotline.closes.strftime('%H:%M')}まで）。"
    upcoming = next_opening(hotline, moment)
    if upcoming is None:
        return "ただいま受付時間外です。"
    return f"ただいま受付時間外です。次の受付は{format_datetime(upcoming)}からです。"
