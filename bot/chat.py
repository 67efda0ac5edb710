"""The terminal channel: an interactive chat, and the scripted JSON-lines form."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from typing import IO, Any

from bot.engine import Input, Message
from bot.service import Bot

log = logging.getLogger(__name__)

CHANNEL = "cli"
MAX_LINE = 64 * 1024


def _parse_line(line: str) -> tuple[str, Input]:
    """One JSON line → (user, input); ValueError with a short reason if malformed."""
    if len(line) > MAX_LINE:
        raise ValueError(f"line longer than {MAX_LINE} characters")
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise ValueError('expected an object such as {"user": "U1", "text": "..."}')
    user = obj.get("user")
    if not isinstance(user, str) or not user.strip() or len(user) > 100:
        raise ValueError('"user" must be a non-empty string of at most 100 characters')
    text, postback = obj.get("text"), obj.get("postback")
    if (text is None) == (postback is None):
        raise ValueError('give exactly one of "text" or "postback"')
    value = text if text is not None else postback
    if not isinstance(value, str):
        raise ValueError('"text" and "postback" must be strings')
    return user.strip(), Input(text=text) if text is not None else Input(postback=postback)


def run_jsonl(bot: Bot, lines: Iterable[str], out: IO[str]) -> int:
    """Answer each input line with exactly one JSON line; returns how many lines failed."""
    failures = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        reply: dict[str, Any]
        try:
            user, inp = _parse_line(line)
        except ValueError as exc:
            failures += 1
            reply = {"error": f"line {number}: {exc}", "messages": []}
        else:
            try:
                reply = {"messages": bot.handle(CHANNEL, user, inp).messages}
            except Exception:  # noqa: BLE001 - one bad input must not stop the others
                failures += 1
                log.exception("input on line %d failed", number)
                reply = {"error": f"line {number}: internal error", "messages": []}
        out.write(json.dumps(reply, ensure_ascii=False) + "\n")
        out.flush()
    return failures


def _show(messages: list[Message], out: IO[str]) -> list[dict[str, str]]:
    """Print bubbles; buttons as numbered choices. Returns the buttons in number order."""
    buttons: list[dict[str, str]] = []
    for message in messages:
        text = message["text"]
        if message.get("title"):
            text = f"【{message['title']}】\n{text}"
        out.write("\n" + "\n".join("  " + row for row in text.splitlines()) + "\n")
        for button in message.get("buttons", []):
            buttons.append(button)
            out.write(f"   [{len(buttons)}] {button['label']}\n")
    return buttons


def run_interactive(bot: Bot, inp: IO[str], out: IO[str], user: str | None = None) -> None:
    """A chat in the terminal: type a question, or a choice's number to tap it."""
    user = user or f"terminal-{os.getuid() if hasattr(os, 'getuid') else 0}"
    out.write("claimbot（終了は Ctrl-D、または「終了」と入力）\n")
    buttons = _show(bot.handle(CHANNEL, user, Input(text="")).messages, out)
    while True:
        out.write("\nあなた> ")
        out.flush()
        line = inp.readline()
        if not line:
            out.write("\n")
            return
        text = line.strip()
        if text in {"終了", "exit", "quit"}:
            out.write("ご利用ありがとうございました。\n")
            return
        event = Input(text=text)
        choice = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
        if choice.isdigit() and 1 <= int(choice) <= len(buttons):
            button = buttons[int(choice) - 1]
            if "uri" in button:
                number = button["uri"].removeprefix("tel:")
                hotline = bot.facts.hotline.tel
                if number == hotline.replace("-", ""):
                    number = hotline
                out.write(f"\n  お電話は {number} へおかけください。\n")
                continue
            event = Input(postback=button["data"]) if "data" in button else Input(
                text=button["text"])
        try:
            buttons = _show(bot.handle(CHANNEL, user, event).messages, out)
        except Exception:  # noqa: BLE001 - keep the chat alive, say so politely
            log.exception("turn failed")
            out.write("\n  申し訳ありません。エラーが起きました。もう一度お送りください。\n")
