"""The LINE webhook: verify the signature, parse, store the events, answer 200; the inbox
answers the events right after (bot/channels/line_inbox.py)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from linebot.v3.webhook import SignatureValidator

from bot.channels.line_events import LineEvents, Retryable
from bot.channels.line_inbox import Inbox
from bot.outbox import LineApi, Sender

log = logging.getLogger(__name__)

bp = Blueprint("line", __name__)
EXTENSION = "claimbot.line"


@dataclass
class LineChannel:
    """What the webhook needs: the signature check, the events' store, the inbox that
    answers them and the sender that delivers the answers."""

    validator: SignatureValidator
    events: LineEvents
    inbox: Inbox
    sender: Sender
    api: LineApi

    def verify(self, body: bytes, signature: str | None) -> bool:
        """Whether X-Line-Signature is the channel secret's HMAC of exactly this body."""
        if not signature:
            return False
        try:
            return bool(self.validator.validate(body.decode("utf-8"), signature))
        except (UnicodeError, ValueError):
            return False

    def take_all(self, events: list[Any]) -> bool:
        """Store the request's events and have them answered; False if LINE must send the
        request again (nothing was stored)."""
        try:
            keys = self.events.accept(events)
        except Retryable:
            return False
        self.inbox.kick(keys)
        return True

    def stop(self) -> None:
        """Stop answering and sending (what is stored stays for the next start)."""
        self.inbox.stop()
        self.sender.stop()
        self.api.close()


def _events(body: bytes) -> list[Any] | None:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        return None
    return payload["events"]


@bp.post("/callback")
def callback() -> ResponseReturnValue:
    """LINE's webhook (the console's "Verify" posts no events and gets 200 too)."""
    channel: LineChannel | None = current_app.extensions.get(EXTENSION)
    if channel is None:
        return jsonify(error="LINE is not configured on this server"), 503
    body = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH: 413 before we get here
    if not channel.verify(body, request.headers.get("X-Line-Signature")):
        return jsonify(error="bad signature"), 400
    events = _events(body)
    if events is None:
        return jsonify(error="body is not a webhook payload"), 400
    if not channel.take_all(events):
        # The events could not be stored: LINE redelivers the request.
        return jsonify(error="try again"), 503
    return jsonify({}), 200
