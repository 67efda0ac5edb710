"""Handling stored webhook events after LINE has its 200: a few threads, one chat at a time.

The webhook stores events and answers at once (LINE asks webhooks to answer quickly and to
handle events asynchronously: a slow webhook delays the next events and is redelivered). The
inbox then answers them: `kick` names the chats (queues) that got an event; a thread takes a
chat and answers its waiting events oldest first until none is left, handing each answer to
the sender. A chat is held by at most one thread of this process; across processes and hosts
the database keeps one chat's events in order (see LineEvents.next_queued). A poller picks up
events that waited too long, those of a worker that died after storing them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import random
import sys
import threading
import time

from bot.channels.line_events import LineEvents, Retryable
from bot.outbox import DeliveryConfig, Sender

log = logging.getLogger(__name__)

RETRY_AFTER = 2.0  # seconds before a chat whose database write failed is tried again
# The webhook must answer LINE quickly however busy answering is: the threads that answer
# events run at a lower CPU priority than the threads that take requests (Linux schedules
# threads one by one), and hold the interpreter for shorter turns.
NICE = 19
SWITCH_INTERVAL = 0.001  # seconds (Python's default is 0.005)


def _lower_priority() -> None:
    """Lower this thread's CPU priority (Linux; elsewhere a no-op)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)


class Inbox:
    """Answers the stored events of each chat in order, after the webhook's response."""

    def __init__(self, events: LineEvents, sender: Sender, config: DeliveryConfig,
                 poll_all: bool = False) -> None:
        """`poll_all`: this process is not told of new events (`claimbot worker`); it looks
        for every waiting event each `inbox_poll` seconds instead of orphans only."""
        self.events = events
        self.poll_all = poll_all
        self.sender = sender
        self.config = config
        self.queue: queue.Queue[str | None] = queue.Queue()
        # Chats queued or being drained here, and whether one was kicked again meanwhile.
        self._active: dict[str, bool] = {}
        self._later: dict[str, float] = {}  # chats to try again (monotonic time)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    # -- running -----------------------------------------------------------------------------
    def start(self) -> Inbox:
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        for n in range(self.config.inbox_threads):
            t = threading.Thread(target=self._work, name=f"inbox-{n}", daemon=True)
            t.start()
            self.threads.append(t)
        poller = threading.Thread(target=self._poll_forever, name="inbox-poll", daemon=True)
        poller.start()
        self.threads.append(poller)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Let the threads finish the event they hold, then stop (the rest stays stored)."""
        self.stopping.set()
        for _ in range(self.config.inbox_threads):
            self.queue.put(None)
        for t in self.threads:
            t.join(timeout)
        self.threads.clear()

    def kick(self, keys: list[str]) -> None:
        """These chats have new events: answer them as soon as a thread is free."""
        if not self.threads or self.stopping.is_set():
            return  # not answering here (another process does): the events wait stored
        for key in keys:
            with self._lock:
                if key in self._active:
                    self._active[key] = True  # the thread draining it looks once more
                    continue
                self._active[key] = False
            self.queue.put(key)

    def wait_idle(self, timeout: float) -> bool:
        """Block until no chat is queued or being answered here (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._active:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def _work(self) -> None:
        _lower_priority()
        while True:
            key = self.queue.get()
            if key is None:
                return
            while True:
                self.drain(key)
                with self._lock:
                    if self._active.get(key) and not self.stopping.is_set():
                        self._active[key] = False
                        continue
                    self._active.pop(key, None)
                    self._idle.notify_all()
                    break

    def drain(self, key: str) -> int:
        """Answer the chat's waiting events, oldest first; how many were answered."""
        done = 0
        while not self.stopping.is_set():
            try:
                found = self.events.next_queued(key)
                if found is None:
                    return done
                ids = self.events.handle(*found)
            except Retryable:
                self._retry_later(key)
                return done
            except Exception as exc:  # noqa: BLE001 - the database may be away for a while
                log.error("inbox: a chat's events could not be read: %s", type(exc).__name__)
                self._retry_later(key)
                return done
            self.sender.kick(ids)
            done += 1
        return done

    def _retry_later(self, key: str) -> None:
        with self._lock:
            self._later[key] = time.monotonic() + RETRY_AFTER

    def _poll_forever(self) -> None:
        every = self.config.inbox_poll if self.poll_all else self.config.poll
        older_than = 0.0 if self.poll_all else self.config.inbox_orphan_after
        while not self.stopping.wait(every * random.uniform(0.8, 1.2)):
            now = time.monotonic()
            with self._lock:
                due = [k for k, at in self._later.items() if at <= now]
                for k in due:
                    del self._later[k]
            try:
                due += self.events.waiting(older_than)
            except Exception as exc:  # noqa: BLE001 - the database may be away for a while
                log.warning("inbox poll failed: %s", type(exc).__name__)
            self.kick(list(dict.fromkeys(due)))
