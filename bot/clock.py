"""The one clock: Japan time, fixed by CLAIMBOT_NOW for rehearsals and tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import jpholiday

JST = ZoneInfo("Asia/Tokyo")
WEEKDAYS_JA = "月火水木金土日"


def parse_now(text: str) -> datetime:
    """Parse an ISO 8601 moment; a naive one is Japan time. Raises ValueError with the text."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(
            f"CLAIMBOT_NOW={text!r} is not an ISO 8601 date or time (e.g. 2023-03-15T10:00)"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=JST)
    return moment.astimezone(JST)


@dataclass(frozen=True)
class Clock:
    """Tells the time in Japan; `fixed` pins it (CLAIMBOT_NOW)."""

    fixed: datetime | None = None

    @classmethod
    def from_setting(cls, now: str | None) -> Clock:
        """A real clock, or one pinned to the ISO 8601 `now`."""
        return cls(parse_now(now) if now else None)

    def now(self) -> datetime:
        """The current aware datetime in Asia/Tokyo."""
        if self.fixed is not None:
            return self.fixed
        return datetime.now(UTC).astimezone(JST)

    def today(self) -> date:
        """Today's date in Japan."""
        return self.now().date()


def is_holiday(day: date) -> bool:
    """Whether `day` is a Japanese national holiday (jpholiday)."""
    return jpholiday.is_holiday(day)


def format_date(day: date) -> str:
    """2023年4月30日（日）"""
    return f"{day.year}年{day.month}月{day.day}日（{WEEKDAYS_JA[day.weekday()]}）"


def format_datetime(moment: datetime) -> str:
    """2023年3月31日（金）23:59"""
    return f"{format_date(moment.date())}{moment.hour}:{moment.minute:02d}"
