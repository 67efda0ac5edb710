"""The `claimbot` command: chat, FAQ workflow for staff, database."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import click

from bot.clock import Clock, parse_now
from bot.config import ConfigError, Settings, load_settings
from bot.knowledge.render import TemplateError, render
from bot.yamlsrc import DataFileError


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _bot(settings: Settings):  # type: ignore[no-untyped-def]
    from bot.service import Bot

    try:
        return Bot(settings)
    except (DataFileError, ConfigError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log more to standard error.")
def main(verbose: bool) -> None:
    """claimbot: the regionPAY outage compensation assistant."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@main.command()
@click.option("--jsonl", is_flag=True, help="Scripted: one JSON input per line on stdin.")
@click.option("--user", default=None, help="User id for the interactive chat.")
def chat(jsonl: bool, user: str | None) -> None:
    """Chat with the bot in the terminal."""
    bot = _bot(_settings())
    try:
        if jsonl:
            from bot.chat import run_jsonl

            run_jsonl(bot, sys.stdin, sys.stdout)
        else:
            from bot.chat import run_interactive

            try:
                run_interactive(bot, sys.stdin, sys.stdout, user)
            except KeyboardInterrupt:
                click.echo("\nご利用ありがとうございました。")
    finally:
        bot.close()


@main.group()
def dialogs() -> None:
    """The dialog flows (dialogs/*.yaml)."""


@dialogs.command("diagram")
@click.option("--check", is_flag=True, help="Fail if the kept diagram is not current.")
def dialogs_diagram(check: bool) -> None:
    """Write dialogs/eligibility.mmd (Mermaid) from the flow, or check that it is current."""
    from bot.dialogs import mermaid
    from bot.knowledge import load_dialog
    from bot.knowledge.facts import load_facts

    settings = _settings()
    now = Clock.from_setting(settings.now).now()
    try:
        flow = load_dialog(settings.dialogs_dir, load_facts(settings.knowledge_dir /
                                                            "campaign.yaml"), now)
    except DataFileError as exc:
        raise click.ClickException(str(exc)) from None
    target = settings.dialogs_dir / f"{flow.id}.mmd"
    text = mermaid(flow)
    if check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            raise click.ClickException(f"{target} is out of date: run `claimbot dialogs diagram`")
        click.echo(f"{target} is current")
        return
    target.write_text(text, encoding="utf-8")
    click.echo(f"wrote {target}")


@main.group()
def db() -> None:
    """The database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations (also done at every start)."""
    from bot.store.db import make_engine, upgrade

    settings = _settings()
    engine = make_engine(settings.db_url)
    upgrade(engine)
    engine.dispose()
    click.echo("database is up to date")


@main.group()
def faq() -> None:
    """The FAQ: check, import, export, rank, and what the bot could not answer."""


def _check_moments(clock: Clock) -> list[datetime]:
    """Render answers during the campaign and after every deadline: both must work."""
    return [clock.now(), parse_now("2023-03-15T12:00"), parse_now("2023-06-01T12:00")]


def _checked(path: Path, settings: Settings, importing: bool = False):  # type: ignore[no-untyped-def]
    from bot.faq.check import check_entries
    from bot.faq.entries import parse_faq_lines, read_text
    from bot.knowledge.facts import load_facts

    try:
        facts = load_facts(settings.knowledge_dir / "campaign.yaml")
        entries, lines = parse_faq_lines(read_text(path), path)
    except DataFileError as exc:
        raise click.ClickException(str(exc) + ("; nothing changed" if importing else "")) from None
    clock = Clock.from_setting(settings.now)
    problems = check_entries(entries, lines, facts, _check_moments(clock),
                             semantic=settings.semantic, cache_dir=settings.cache_dir)
    for problem in problems:
        click.echo(problem.format(path), err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) in {path}; nothing changed")
    if not importing:
        click.echo(f"{path}: {len(entries)} entries, all good")
    return entries


@faq.command("check")
@click.argument("file", type=click.Path(path_type=Path))
def faq_check(file: Path) -> None:
    """Check an FAQ file: schema, unique ids, fact keys, each example finds its own entry."""
    _checked(file, _settings())


@faq.command("import")
@click.argument("file", type=click.Path(path_type=Path))
def faq_import(file: Path) -> None:
    """Check FILE, then make it the live FAQ (all or nothing)."""
    from bot.store import repo

    settings = _settings()
    entries = _checked(file, settings, importing=True)
    bot = _bot(settings)
    try:
        with bot.sessions.begin() as session:
            before = {e.id for e in repo.load_entries(session)}
            repo.replace_entries(session, entries)
    finally:
        bot.close()
    after = {e.id for e in entries}
    click.echo(f"imported {len(entries)} entries ({len(after - before)} new, "
               f"{len(before - after)} removed)")


@faq.command("export")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Write to this file instead of standard output.")
def faq_export(output: Path | None) -> None:
    """Write the live FAQ as YAML (the same format `faq import` reads)."""
    from bot.faq.entries import dump_faq
    from bot.store import repo

    bot = _bot(_settings())
    try:
        with bot.sessions() as session:
            text = dump_faq(repo.load_entries(session))
    finally:
        bot.close()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


@faq.command("unanswered")
@click.option("--limit", default=50, show_default=True)
def faq_unanswered(limit: int) -> None:
    """Questions the bot could not answer, most asked first (personal data redacted)."""
    from bot.store import repo

    bot = _bot(_settings())
    try:
        with bot.sessions() as session:
            for row in repo.unanswered(session, limit):
                click.echo(json.dumps({"count": row.count, "text": row.text,
                                       "last_seen": row.last_seen.isoformat()},
                                      ensure_ascii=False))
    finally:
        bot.close()


@faq.command("rank")
@click.option("--faq", "faq_file", required=True, type=click.Path(path_type=Path))
@click.option("--queries", required=True, type=click.Path(path_type=Path),
              help="One question per line.")
@click.option("--top", default=5, show_default=True, type=click.IntRange(1, 100))
def faq_rank(faq_file: Path, queries: Path, top: int) -> None:
    """Rank any FAQ file's entries for each question: one JSON line per question."""
    from bot import omp_threads_for_batches
    from bot.faq.entries import load_faq_to_rank, read_text
    from bot.faq.ranker import Doc, Ranker
    from bot.knowledge.facts import load_facts

    settings = _settings()
    try:
        entries = load_faq_to_rank(faq_file)
        questions = [q.strip() for q in read_text(queries).splitlines() if q.strip()]
    except DataFileError as exc:
        raise click.ClickException(str(exc)) from None
    facts = load_facts(settings.knowledge_dir / "campaign.yaml")
    now = Clock.from_setting(settings.now).now()

    def answer_text(template: str) -> str:
        try:  # our own FAQ names facts; any other FAQ's braces are just text
            return render(template, facts, now)
        except TemplateError:
            return template

    omp_threads_for_batches()  # all questions are known: embed them in batches on every core
    started = time.perf_counter()
    ranker = Ranker([Doc(e.id, e.question, answer_text(e.answer), tuple(e.examples))
                     for e in entries], semantic=settings.semantic, cache_dir=settings.cache_dir)
    built = time.perf_counter()
    for question, ranking in zip(questions, ranker.rank_many(questions, top_k=top),
                                 strict=True):
        click.echo(json.dumps({"query": question, "ranking": [
            {"id": entry_id, "score": round(float(score), 4)} for entry_id, score in ranking
        ]}, ensure_ascii=False))
    done = time.perf_counter()
    per_query = (done - built) / max(len(questions), 1) * 1000
    click.echo(f"{len(entries)} entries indexed in {built - started:.1f} s "
               f"(semantic={'on' if ranker.semantic else 'off'}); {len(questions)} queries, "
               f"{per_query:.1f} ms per query", err=True)


@main.command()
@click.option("--answer/--no-answer", default=True, show_default=True,
              help="Answer the LINE events the web processes stored.")
def worker(answer: bool) -> None:
    """Answer stored LINE events and deliver the outbox (replies, pushes) until stopped.

    gunicorn.conf.py starts one beside the web workers (CLAIMBOT_ANSWERERS); larger
    deployments run more on their own hosts. Without --answer it only delivers the outbox.
    """
    import signal
    import threading

    from bot.outbox import DeliveryConfig, LineApi, Sender

    settings = _settings()
    if not (settings.line_channel_access_token and settings.line_channel_secret):
        raise click.ClickException("LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN are not set")
    config = DeliveryConfig.from_env()
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    bot = _bot(settings)
    api = LineApi(settings.line_channel_access_token, settings.line_api_base_url,
                  config.api_timeout)
    sender = Sender(bot.sessions, api, config, bot.read_sessions)
    sender.start()
    inbox = None
    if answer:
        from bot.channels.line_events import LineEvents
        from bot.channels.line_inbox import Inbox

        events = LineEvents(bot, config, show_loading=api.show_loading)
        inbox = Inbox(events, sender, config, poll_all=True).start()
    click.echo(f"claimbot answerer ready (pid {os.getpid()}): "
               f"{'answering stored events and ' if answer else ''}delivering the outbox; "
               "Ctrl-C or SIGTERM stops", err=True)
    try:
        while not stopping.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if inbox is not None:
            inbox.stop()
        sender.stop()
        api.close()
        bot.close()


@main.command()
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option("--workers", default=2, show_default=True)
def serve(bind: str, workers: int) -> None:
    """Run the web app (LINE webhook, /healthz, /metrics) under gunicorn."""
    import os

    os.environ["CLAIMBOT_BIND"] = bind
    os.environ["WEB_CONCURRENCY"] = str(workers)
    conf = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
    args = ["gunicorn", "--bind", bind, "--workers", str(workers), "bot.app:create_app()"]
    if conf.is_file():
        args[1:1] = ["-c", str(conf)]
    os.execvp(sys.executable, [sys.executable, "-m", *args])
