"""claimbot: a chatbot for the regionPAY paper-coupon outage of 2023-02-24 (Nara)."""

import os

# The semantic FAQ matcher's OpenMP threads must sleep when idle: spinning, they cost
# 100-400 ms of CPU per query on a busy 2-core machine instead of ~15 ms (bench/webhook.py).
# Set before any native library loads; an operator's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")
# One thread per query is the fastest for questions embedded one at a time, as the bot does (on
# 2 cores: 30 ms a question against 37 ms with two threads). Batches (an index build,
# `claimbot faq rank`) use every core instead: see omp_threads_for_batches().
OMP_THREADS_FROM_OPERATOR = "OMP_NUM_THREADS" in os.environ
os.environ.setdefault("OMP_NUM_THREADS", "1")


def omp_threads_for_batches() -> None:
    """Give the embedding model one OpenMP thread per usable core, unless the operator chose.

    For a process that embeds in batches (`claimbot faq rank`); it must run before the model's
    native library loads. On 2 cores a batch costs about half the wall time with 2 threads."""
    if not OMP_THREADS_FROM_OPERATOR:
        os.environ["OMP_NUM_THREADS"] = str(max(1, len(os.sched_getaffinity(0))))

__version__ = "0.1.0"
