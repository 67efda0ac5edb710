"""claimbot: a chatbot for the regionPAY paper-coupon outage of 2023-02-24 (Nara)."""

import os

# The semantic FAQ matcher's OpenMP threads must sleep when idle: spinning, they cost
# 100-400 ms of CPU per query on a busy 2-core machine instead of ~15 ms (bench/webhook.py).
# Set before any native library loads; an operator's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")
# One thread per query is the fastest on 2 cores (claimbot faq rank at 1,800 entries: 18.6 ms
# a query against 20.8 ms with two); a cold index build takes about twice as long, once.
os.environ.setdefault("OMP_NUM_THREADS", "1")

__version__ = "0.1.0"
