"""Many calls in one process on a simulated clock: a discrete-event loop over threads.

Each call runs on a thread of its own, but only one runs at a time: a call that
lets time pass (a prompt playing, an agent talking, a round in the queue) calls
:meth:`Timeline.sleep`, which parks its thread until the loop has moved the
clock to its wake-up time. Calls therefore overlap as real ones do (agents stay
busy while other callers arrive and wait) without any real waiting, and every
webhook sees the simulated time through ``move(moment)`` (time-machine's
``move_to``: ``datetime.now``, ``time.time`` and the rest).
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from datetime import datetime, timedelta


class Timeline:
    def __init__(self, start: datetime, move: Callable[[datetime], None]) -> None:
        self.now = start
        self._move = move
        self._due: list[tuple[datetime, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._turn = threading.Semaphore(0)  # released when the running call parks or ends
        self.errors: list[tuple[str, BaseException]] = []

    def spawn(self, at: datetime, name: str, run: Callable[[], None]) -> None:
        """Start ``run`` on a thread of its own at ``at`` (simulated)."""

        def body() -> None:
            try:
                run()
            except BaseException as exc:  # noqa: BLE001 - reported by run_all
                self.errors.append((name, exc))
            finally:
                self._turn.release()

        start = threading.Thread(target=body, name=name, daemon=True).start
        heapq.heappush(self._due, (at, next(self._order), start))

    def sleep(self, seconds: float) -> None:
        """On a call's thread: let ``seconds`` of simulated time pass for this call."""
        wake = threading.Semaphore(0)
        at = self.now + timedelta(seconds=max(0.0, seconds))
        heapq.heappush(self._due, (at, next(self._order), wake.release))
        self._turn.release()
        wake.acquire()

    def run_all(self, progress: Callable[[datetime], None] | None = None) -> None:
        """Run every call to its end, in simulated time order."""
        while self._due:
            at, _, go = heapq.heappop(self._due)
            if at > self.now:
                self.now = at
                self._move(at)
            go()
            self._turn.acquire()  # until that call parks again or ends
            if progress is not None:
                progress(self.now)
