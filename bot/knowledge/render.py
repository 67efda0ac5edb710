"""Answer templates: `{dotted.key}` and `{key|filter}` filled from the facts, on the clock."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.knowledge.facts import CampaignFacts, Deadline, Hotline, Moment, Period
from bot.knowledge.hours import status_line

PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_.]*)(?:\|([a-z_]+))?\}")
FILTERS = ("bullets", "list", "status", "date")


class TemplateError(ValueError):
    """A template names an unknown fact or filter."""


def hotline_block(hotline: Hotline, now: datetime) -> str:
    """The call center: name, number, hours, and whether it is open right now."""
    free = "（通話料無料）" if hotline.toll_free else ""
    return (
        f"{hotline.name}\n"
        f"電話：{hotline.tel}{free}\n"
        f"受付時間：{hotline.hours_text}\n"
        f"{status_line(hotline, now)}"
    )


def deadline_status(deadline: Deadline, now: datetime) -> str:
    """Before the deadline: when it is; after: that it has ended."""
    at = deadline.at
    if now > at.at:
        return f"{deadline.label}は{at.render()}で終了しました。"
    return f"{deadline.label}の期限は{at.render()}です。"


def opening_status(moment: Moment, now: datetime) -> str:
    """Before the opening: planned; after: opened."""
    if now >= moment.at:
        return f"{moment.render()}に開設されました。"
    return f"{moment.render()}に開設予定です。"


def render_value(value: Any, flt: str | None, now: datetime, key: str) -> str:
    """One fact as text, through an optional filter."""
    if flt == "bullets":
        if not isinstance(value, list):
            raise TemplateError(f"{{{key}|bullets}}: {key} is not a list")
        return "\n".join(f"・{item}" for item in value)
    if flt == "list":
        if not isinstance(value, list):
            raise TemplateError(f"{{{key}|list}}: {key} is not a list")
        return "、".join(str(item) for item in value)
    if flt == "status":
        if isinstance(value, Deadline):
            return deadline_status(value, now)
        if isinstance(value, Moment):
            return opening_status(value, now)
        raise TemplateError(f"{{{key}|status}}: {key} is not a deadline or a moment")
    if flt == "date":
        moment = value.at if isinstance(value, Deadline) else value
        if not isinstance(moment, Moment):
            raise TemplateError(f"{{{key}|date}}: {key} is not a date")
        return Moment(moment.at, True).render()
    if flt is not None:
        raise TemplateError(f"unknown filter {flt!r} in {{{key}|{flt}}} (known: {FILTERS})")
    if isinstance(value, Hotline):
        return hotline_block(value, now)
    if isinstance(value, Deadline):
        return value.at.render()
    if isinstance(value, Period):
        return value.text
    if isinstance(value, Moment):
        return value.render()
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    if isinstance(value, bool | int | str):
        return str(value)
    raise TemplateError(f"{{{key}}} names a whole section; name one of its keys")


def render(template: str, facts: CampaignFacts, now: datetime,
           extra: Mapping[str, str] | None = None) -> str:
    """Fill every placeholder; TemplateError names the first unknown key or filter.

    `extra` supplies plain names ({receipt}, {items}) that are not campaign facts.
    """

    def fill(match: re.Match[str]) -> str:
        key, flt = match.group(1), match.group(2)
        if extra is not None and key in extra and flt is None:
            return extra[key]
        try:
            value = facts.lookup(key)
        except KeyError:
            raise TemplateError(f"unknown fact {{{key}}}") from None
        return render_value(value, flt, now, key)

    return PLACEHOLDER.sub(fill, template)


def check_template(template: str, facts: CampaignFacts, now: datetime,
                   names: Sequence[str] = ()) -> list[str]:
    """Problems in a template (empty list when it renders); for `faq check` and load time."""
    problems: list[str] = []
    extra = {name: "" for name in names}
    for match in PLACEHOLDER.finditer(template):
        try:
            render(match.group(0), facts, now, extra)
        except TemplateError as exc:
            problems.append(str(exc))
    stray = PLACEHOLDER.sub("", template)
    if "{" in stray or "}" in stray:
        problems.append("a brace that is not a {fact.key} placeholder")
    return problems
