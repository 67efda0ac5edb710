"""The engine's messages as LINE message objects (API JSON, built with line-bot-sdk models).

A text with buttons becomes a text message with quick replies; quick replies cannot carry a
`uri` action, so a text with a tel:/https: button becomes a flex bubble with the link buttons in
its footer (other buttons stay quick replies). A `card` becomes a flex bubble. LINE's limits are
applied here, so nothing the engine says can make the API refuse a reply.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from linebot.v3.messaging import (
    Action,
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexMessage,
    FlexText,
    Message,
    MessageAction,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
    URIAction,
)

log = logging.getLogger(__name__)

MAX_MESSAGES = 5  # per reply or push request
MAX_TEXT = 5000  # characters in a text message
MAX_LABEL = 20  # characters in an action label
MAX_QUICK_REPLIES = 13
MAX_DATA = 300  # characters of postback data
MAX_MESSAGE_TEXT = 300  # characters a message action "types"
MAX_ALT_TEXT = 400  # characters of a flex message's notification text
MAX_FOOTER_BUTTONS = 4  # more would crowd a phone screen


def label(text: str) -> str:
    """A label within LINE's 20 characters (cut with an ellipsis)."""
    text = " ".join(str(text).split()) or "…"
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def action(button: dict[str, Any]) -> Action | None:
    """A LINE action for an engine button, or None (logged) if it cannot be one."""
    name = label(button.get("label", ""))
    if "uri" in button:
        return URIAction(label=name, uri=str(button["uri"]))
    if "data" in button:
        data = str(button["data"])
        if len(data) > MAX_DATA:
            log.warning("postback data of %d characters dropped (limit %d)", len(data), MAX_DATA)
            return None
        # displayText shows the tap in the chat as if the person had said it.
        return PostbackAction(label=name, data=data, displayText=name)
    if "text" in button:
        return MessageAction(label=name, text=str(button["text"])[:MAX_MESSAGE_TEXT] or name)
    log.warning("button without text, data or uri dropped")
    return None


def _quick_reply(buttons: Iterable[dict[str, Any]]) -> QuickReply | None:
    actions = [a for a in (action(b) for b in buttons) if a is not None]
    if len(actions) > MAX_QUICK_REPLIES:
        log.warning("%d quick replies cut to %d", len(actions), MAX_QUICK_REPLIES)
        actions = actions[:MAX_QUICK_REPLIES]
    if not actions:
        return None
    return QuickReply(items=[QuickReplyItem(action=a) for a in actions])


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a long text into pieces within `limit`, at line breaks where possible."""
    text = text.strip() or "…"
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n")
    pieces.append(text)
    return pieces


def _alt(text: str) -> str:
    text = " ".join(text.split()) or "…"
    return text if len(text) <= MAX_ALT_TEXT else text[: MAX_ALT_TEXT - 1] + "…"


def _footer(buttons: list[dict[str, Any]]) -> FlexBox | None:
    items = []
    for n, button in enumerate(buttons[:MAX_FOOTER_BUTTONS]):
        act = action(button)
        if act is not None:
            items.append(FlexButton(action=act, style="primary" if n == 0 else "secondary",
                                    height="sm"))
    return FlexBox(layout="vertical", spacing="sm", contents=items) if items else None


def bubble(text: str, buttons: list[dict[str, Any]], title: str | None = None) -> FlexBubble:
    """A flex bubble: optional bold title, wrapped text, buttons in the footer."""
    body: list[Any] = []
    if title:
        body.append(FlexText(text=title, weight="bold", size="lg", wrap=True))
    body.append(FlexText(text=text.strip() or "…", wrap=True, size="md"))
    return FlexBubble(body=FlexBox(layout="vertical", spacing="md", contents=body),
                      footer=_footer(buttons))


def render_one(message: dict[str, Any]) -> list[Message]:
    """One engine message as one or more LINE messages (the last carries the quick replies)."""
    buttons = list(message.get("buttons") or [])
    if message.get("type") == "card":
        title = str(message.get("title") or "")
        text = str(message.get("text") or "")
        alt = _alt(str(message.get("altText") or title or text))
        quick = _quick_reply(buttons[MAX_FOOTER_BUTTONS:])
        return [FlexMessage(altText=alt, contents=bubble(text[:MAX_TEXT], buttons, title),
                            quickReply=quick)]
    text = str(message.get("text") or "")
    links = [b for b in buttons if "uri" in b]
    taps = [b for b in buttons if "uri" not in b]
    pieces = split_text(text)
    out: list[Message] = [TextMessage(text=p) for p in pieces[:-1]]
    quick = _quick_reply(taps)
    if links:
        out.append(FlexMessage(altText=_alt(pieces[-1]), contents=bubble(pieces[-1], links),
                               quickReply=quick))
    else:
        out.append(TextMessage(text=pieces[-1], quickReply=quick))
    return out


def render(messages: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The engine's reply as batches of at most 5 LINE messages (API JSON), in order.

    The first batch goes out with the reply token, any further batch as a push. Quick replies
    only show on the last message of a batch, so a batch keeps the last quick replies it has.
    """
    rendered: list[Message] = [m for message in messages for m in render_one(message)]
    batches: list[list[dict[str, Any]]] = []
    for start in range(0, len(rendered), MAX_MESSAGES):
        batch = [m.to_dict() for m in rendered[start:start + MAX_MESSAGES]]
        _move_quick_reply_last(batch)
        batches.append(batch)
    return batches


def _move_quick_reply_last(batch: list[dict[str, Any]]) -> None:
    """LINE shows quick replies of the last message only: keep the last set, put it there."""
    last = None
    for m in batch:
        if m.get("quickReply"):
            last = m.pop("quickReply")
    if last is not None:
        batch[-1]["quickReply"] = last
