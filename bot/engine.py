"""The conversation engine: a pure step from (state, input) to (state, replies, effects).

No network, no database, no clock reads: the caller passes `now`, the knowledge and the
matcher, and carries out the effects (store an unanswered question, ...) in its transaction.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz

from bot.faq.matcher import Matcher
from bot.knowledge import Knowledge
from bot.knowledge.render import render
from bot.privacy import redact
from bot.textnorm import normalize

MAX_TEXT = 400  # characters read from one message; the rest is not needed to find an answer
LABEL_MAX = 20  # LINE's limit for a button label
OUT_OF_SCOPE_TAG = "範囲外"  # FAQ entries that say honestly what the bot does not cover

Message = dict[str, Any]


@dataclass(frozen=True)
class Input:
    """One thing a person did: typed `text`, or tapped a button that sent `postback` data."""

    text: str | None = None
    postback: str | None = None


@dataclass(frozen=True)
class Context:
    """What a step may read: the time, the knowledge and the FAQ matcher."""

    now: datetime
    knowledge: Knowledge
    matcher: Matcher


@dataclass
class Step:
    """The result of one step."""

    state: dict[str, Any]
    messages: list[Message] = field(default_factory=list)
    effects: list[dict[str, Any]] = field(default_factory=list)


def text_message(text: str, buttons: list[dict[str, str]] | None = None) -> Message:
    """A text bubble, with buttons if any."""
    message: Message = {"type": "text", "text": text.strip()}
    if buttons:
        message["buttons"] = buttons
    return message


def short_label(text: str) -> str:
    """A button label within LINE's 20 characters."""
    text = " ".join(text.split())
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


class _Turn:
    """Helpers bound to one step's context."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.k = ctx.knowledge

    def say(self, template: str) -> str:
        return render(template, self.k.facts, self.ctx.now)

    def call_button(self) -> dict[str, str]:
        return {"label": self.k.messages.labels.call, "uri": self.k.facts.hotline.tel_uri}

    def menu_buttons(self) -> list[dict[str, str]]:
        return [{"label": label, "text": label} for label in self.k.messages.menu]

    def menu(self, template: str) -> Message:
        return text_message(self.say(template), self.menu_buttons())

    def hotline(self) -> Message:
        labels = self.k.messages.labels
        return text_message(self.say(self.k.messages.texts.hotline),
                            [self.call_button(), {"label": labels.other, "text": "メニュー"}])

    def no_answer(self) -> Message:
        labels = self.k.messages.labels
        return text_message(self.say(self.k.messages.texts.no_answer),
                            [self.call_button(), {"label": labels.other, "text": "メニュー"}])

    def answer(self, entry_id: str) -> Message | None:
        entry = self.k.entry(entry_id)
        if entry is None:
            return None
        text = self.say(entry.answer)
        buttons = [{"label": self.k.messages.labels.other, "text": "メニュー"}]
        if self.k.facts.hotline.tel in text:
            buttons.insert(0, self.call_button())
        return text_message(text, buttons)

    def suggest(self, ids: list[str]) -> Message | None:
        """Not sure: the likeliest entry's answer under "もしかして", the others as buttons."""
        entries = [e for e in (self.k.entry(i) for i in ids) if e is not None]
        if not entries:
            return None
        best, others = entries[0], entries[1:]
        header = self.say(self.k.messages.texts.suggest).strip()
        text = f"{header}\n「{best.question}」\n\n{self.say(best.answer)}"
        buttons = [{"label": short_label(e.question), "data": f"faq:{e.id}"} for e in others]
        buttons.append({"label": self.k.messages.labels.none_of_these, "data": "none"})
        if self.k.facts.hotline.tel in text:
            buttons.append(self.call_button())
        return text_message(text, buttons)


def _meaningful(normalized: str) -> bool:
    """Whether any letter or digit is left (emoji and symbols alone are not a question)."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in normalized)


def _intent(knowledge: Knowledge, normalized: str) -> str | None:
    """A whole-message command (menu, hotline, thanks, greeting), near misses accepted."""
    compact = normalized.replace(" ", "")
    for name, phrases in knowledge.messages.intents.model_dump().items():
        for phrase in phrases:
            target = normalize(phrase).replace(" ", "")
            if compact == target or (
                len(target) >= 4 and fuzz.ratio(compact, target) >= 88
            ):
                return name
    return None


def step(state: dict[str, Any], inp: Input, ctx: Context) -> Step:
    """Answer one input; the state is never mutated in place."""
    new_state = {**state, "turn": int(state.get("turn", 0)) + 1}
    turn = _Turn(ctx)
    texts = ctx.knowledge.messages.texts
    out = Step(new_state)
    first_contact = not state

    if inp.postback is not None:
        return _postback(inp.postback, state, out, turn)

    raw = (inp.text or "").strip()
    if not raw:
        out.messages.append(turn.menu(texts.welcome if first_contact else texts.empty))
        return out
    notes: list[Message] = []
    if len(raw) > MAX_TEXT:
        raw = raw[:MAX_TEXT]
        notes.append(text_message(turn.say(texts.too_long)))
    normalized = normalize(raw)
    if not _meaningful(normalized):
        out.messages.append(turn.menu(texts.welcome if first_contact else texts.no_text))
        return out

    intent = _intent(ctx.knowledge, normalized)
    if intent == "menu":
        out.messages.append(turn.menu(texts.menu))
        return out
    if intent == "hotline":
        out.messages.append(turn.hotline())
        return out
    if intent in ("thanks", "greeting"):
        template = texts.welcome if first_contact else getattr(texts, intent)
        out.messages.append(turn.menu(template))
        return out

    found = ctx.matcher.match(raw)
    out.messages.extend(notes)
    entry = ctx.knowledge.entry(found.best) if found.best else None
    if entry is not None and OUT_OF_SCOPE_TAG in entry.tags:
        # An honest "not here" answer; staff still see what people wanted.
        out.effects.append({"type": "unanswered", "text": redact(raw)})
    if found.outcome == "answer" and entry is not None:
        message = turn.answer(entry.id)
        if message is not None:
            new_state["last_answer"] = entry.id
            out.messages.append(message)
            return out
    if found.outcome == "suggest":
        message = turn.suggest([entry_id for entry_id, _ in found.ranking[:3]])
        if message is not None:
            new_state["last_answer"] = found.ranking[0][0]
            new_state["pending_question"] = redact(raw)
            out.messages.append(message)
            return out
    if not out.effects:
        out.effects.append({"type": "unanswered", "text": redact(raw)})
    out.messages.append(turn.no_answer())
    return out


def _postback(data: str, state: dict[str, Any], out: Step, turn: _Turn) -> Step:
    """A tapped button: an FAQ entry, or "none of these" after a suggestion."""
    texts = turn.k.messages.texts
    if data.startswith("faq:"):
        message = turn.answer(data.removeprefix("faq:"))
        if message is not None:
            out.state.pop("pending_question", None)
            out.state["last_answer"] = data.removeprefix("faq:")
            out.messages.append(message)
            return out
    elif data == "none":
        pending = out.state.pop("pending_question", None)
        if pending:
            out.effects.append({"type": "unanswered", "text": pending})
            out.messages.append(turn.no_answer())
            return out
    elif data == "hotline":
        out.messages.append(turn.hotline())
        return out
    elif data == "menu":
        out.messages.append(turn.menu(texts.menu))
        return out
    # An unknown or outdated button: say so kindly and offer the menu.
    out.messages.append(turn.menu(texts.stale))
    return out
