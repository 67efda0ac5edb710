"""The Flask application factory: `gunicorn 'bot.app:create_app()'`."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from linebot.v3.webhook import SignatureValidator
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from bot import metrics
from bot.channels import line
from bot.channels.line_events import LineEvents
from bot.channels.line_inbox import Inbox
from bot.config import Settings, load_settings
from bot.outbox import DeliveryConfig, LineApi, Sender, outbox_depth
from bot.service import Bot

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # LINE's events are small; anything larger is refused with 413


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings from the environment unless `config` gives SETTINGS/DELIVERY."""
    app = Flask(__name__)
    app.config.from_mapping(MAX_CONTENT_LENGTH=MAX_BODY)
    if config:
        app.config.update(config)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings: Settings = app.config.get("SETTINGS") or load_settings()
    delivery: DeliveryConfig = app.config.get("DELIVERY") or DeliveryConfig.from_env()
    bot = Bot(settings)  # a broken setting or knowledge file stops start-up, named
    app.extensions["claimbot.bot"] = bot
    app.extensions[line.EXTENSION] = _line_channel(bot, settings, delivery)

    app.register_blueprint(line.bp)
    _register_ops(app)
    _register_errors(app)
    return app


def _line_channel(bot: Bot, settings: Settings, delivery: DeliveryConfig
                  ) -> line.LineChannel | None:
    secret, token = settings.line_channel_secret, settings.line_channel_access_token
    if not (secret and token):
        log.warning("LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN are not both set: "
                    "the LINE webhook answers 503 until they are")
        return None
    api = LineApi(token, settings.line_api_base_url, delivery.api_timeout)
    sender = Sender(bot.sessions, api, delivery, bot.read_sessions)
    if delivery.in_app:
        sender.start()
    events = LineEvents(bot, delivery, show_loading=api.show_loading)
    inbox = Inbox(events, sender, delivery)
    if delivery.inbox_in_app:  # by default the app answers its events itself
        inbox.start()
    return line.LineChannel(SignatureValidator(secret), events, inbox, sender, api)


def _register_ops(app: Flask) -> None:
    @app.get("/healthz")
    def healthz() -> ResponseReturnValue:
        """200 when the database answers."""
        bot: Bot = current_app.extensions["claimbot.bot"]
        try:
            with bot.read_sessions() as session:
                session.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
            log.warning("health check: database unavailable (%s)", type(exc).__name__)
            return jsonify(status="database unavailable"), 503
        return jsonify(status="ok"), 200

    @app.get("/metrics")
    def prometheus() -> ResponseReturnValue:
        """Prometheus text format."""
        bot: Bot = current_app.extensions["claimbot.bot"]

        def depth() -> int:
            with bot.read_sessions() as session:
                return outbox_depth(session)

        return Response(metrics.exposition(depth),
                        content_type="text/plain; version=0.0.4; charset=utf-8")

    @app.before_request
    def _start_timer() -> None:
        request.environ["claimbot.started"] = metrics.now()

    @app.after_request
    def _observe(response: Response) -> Response:
        if request.path == "/callback":
            started = request.environ.get("claimbot.started")
            if started is not None:
                metrics.WEBHOOK_SECONDS.observe(metrics.now() - started)
            metrics.REQUESTS.labels(status=str(response.status_code)).inc()
        return response


def _register_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        return jsonify(error=exc.name), exc.code or 500

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> ResponseReturnValue:
        # Only the type: a message may quote what a person wrote.
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.path)
        return jsonify(error="internal error"), 500
