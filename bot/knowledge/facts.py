"""The campaign facts (knowledge/campaign.yaml): schema, loading and lookup by dotted key."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from bot.clock import JST, format_date, format_datetime
from bot.yamlsrc import DataFileError, load_yaml, validate


@dataclass(frozen=True)
class Moment:
    """A point in Japan time; `date_only` when the notice gives a day (it then ends at 23:59)."""

    at: datetime
    date_only: bool

    def render(self) -> str:
        """2023年4月30日（日） or 2023年3月31日（金）23:59."""
        return format_date(self.at.date()) if self.date_only else format_datetime(self.at)


_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2})?$")


def _moment(value: Any) -> Moment:
    if isinstance(value, Moment):
        return value
    text = str(value).strip()
    if not _MOMENT.match(text):
        raise ValueError("expected a date 2023-04-30 or a date and time 2023-03-31T23:59")
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return Moment(datetime.combine(day, time(23, 59, 59), JST), True)
        return Moment(datetime.fromisoformat(text.replace(" ", "T")).replace(tzinfo=JST), False)
    except ValueError as exc:
        raise ValueError(f"not a real date or time: {exc}") from None


def _clock_time(value: Any) -> time:
    text = str(value).strip()
    if not re.fullmatch(r"\d{1,2}:\d{2}", text):
        raise ValueError("expected a time of day such as 10:00")
    hour, minute = (int(part) for part in text.split(":"))
    return time(hour, minute)


MomentField = Annotated[Moment, BeforeValidator(_moment)]
DayField = Annotated[Moment, BeforeValidator(_moment)]
ClockTime = Annotated[time, BeforeValidator(_clock_time)]
Text = Annotated[str, Field(min_length=1)]
Url = Annotated[str, Field(pattern=r"^https://\S+$")]
Phone = Annotated[str, Field(pattern=r"^0\d{1,4}-\d{1,4}-\d{3,4}$")]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Notice(_Strict):
    title: Text
    sender: Text
    on_behalf_of: Text


class Campaign(_Strict):
    name: Text
    program: Text
    coupon: Text
    paper_coupon: Text
    system: Text
    prefecture: Text


class Outage(_Strict):
    date: DayField
    time_of_day: Text
    effects: Text


class Expiry(_Strict):
    original: MomentField
    first_extension: MomentField
    extended: MomentField
    extended_where: Text
    minimum_balance_yen: int


class Points(_Strict):
    balance_at: MomentField
    brands: list[Text] = Field(min_length=1)


class Site(_Strict):
    name: Text
    where: Text
    url: Url
    opens: MomentField
    required_items: list[Text] = Field(min_length=1)
    lost_coupon: Text


class Deadline(_Strict):
    label: Text
    at: MomentField


class Deadlines(_Strict):
    apply: Deadline
    claim: Deadline
    extended_use: Deadline


class Period(_Strict):
    text: Text
    from_: DayField = Field(alias="from")


class Delivery(_Strict):
    app: Period
    site: Period
    email_sender: Email
    sms_sender: Phone
    sms_note: Text


class CallCenter(_Strict):
    asks: list[Text] = Field(min_length=1)


DayKind = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday"]


class ExtraPeriod(_Strict):
    from_: DayField = Field(alias="from")
    to: DayField
    days: list[DayKind] = Field(min_length=1)


class Hotline(_Strict):
    name: Text
    tel: Phone
    toll_free: bool
    hours_text: Text
    opens: ClockTime
    closes: ClockTime
    extra_periods: list[ExtraPeriod] = []

    @property
    def tel_uri(self) -> str:
        """tel:0120479249"""
        return "tel:" + self.tel.replace("-", "")


class Privacy(_Strict):
    retention: Text
    page_path: Annotated[str, Field(pattern=r"^/[\w/.-]*$")]


class CampaignFacts(_Strict):
    notice: Notice
    campaign: Campaign
    outage: Outage
    expiry: Expiry
    points: Points
    site: Site
    deadline: Deadlines
    delivery: Delivery
    call_center: CallCenter
    hotline: Hotline
    privacy: Privacy

    def lookup(self, key: str) -> Any:
        """The value at a dotted key (`deadline.apply`); KeyError naming the key if absent."""
        node: Any = self
        for part in key.split("."):
            name = "from_" if part == "from" else part
            if isinstance(node, BaseModel) and name in type(node).model_fields:
                node = getattr(node, name)
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise KeyError(key)
        return node

    def keys(self) -> list[str]:
        """Every dotted key that can be named in an answer."""
        found: list[str] = []

        def walk(node: Any, prefix: str) -> None:
            if isinstance(node, BaseModel) and not isinstance(node, Deadline | Period):
                for name in type(node).model_fields:
                    walk(getattr(node, name), f"{prefix}{name.rstrip('_')}.")
            found.append(prefix.rstrip("."))
            if isinstance(node, Deadline | Period):
                for name in type(node).model_fields:
                    found.append(f"{prefix}{name.rstrip('_')}")

        walk(self, "")
        return [key for key in found if key]


def load_facts(path: Path) -> CampaignFacts:
    """Load and check campaign.yaml; a broken file raises DataFileError with file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(path, None, f"cannot read: {exc.strerror}") from None
    data, lines = load_yaml(text, path)
    return validate(CampaignFacts, data, lines, path,
                    "a mapping of sections (notice, campaign, ...)")
