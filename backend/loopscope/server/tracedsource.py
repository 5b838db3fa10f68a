"""A TraceSource for the event loop: commands only send, events only go to `on_event`.

TraceSource's blocking methods read the events from a queue; the web layer has every
event delivered to the loop instead, so here nothing is queued (a script printing without
end cannot grow a queue nobody reads) and no command waits for the child's answer: the
answer comes as events.  `stop()` waits for the end in a thread of its own (it may have to
kill a child that does not answer).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from ..trace.source import Event, TraceSource

# Output lines a second the page is sent (the terminal gets them all); past it, a notice
# counts what was left out.  A script printing gigabytes must not become gigabytes of frames.
OUTPUT_LINES_PER_S = 2000


class LiveSource(TraceSource):
    """TraceSource whose commands return at once; events reach `deliver` (reader thread)."""

    def __init__(
        self,
        script: str,
        args: Sequence[str],
        deliver: Callable[[Event], None],
        *,
        echo: bool = True,
        lines_per_s: int = OUTPUT_LINES_PER_S,
    ) -> None:
        super().__init__(script, args, on_event=None, echo=echo)
        self._deliver = deliver
        self._ended = threading.Event()
        self._lines_per_s = lines_per_s
        self._window = 0.0
        self._line_count = 0
        self.dropped = 0  # output lines not sent to the page since the last notice

    def start(self) -> list[Event]:
        self._ended.clear()
        return super().start()

    def _until_gate(self) -> list[Event]:
        return []  # the gate arrives as an event like the others

    def wait_end(self, timeout: float | None = None, *, keep: bool = True) -> list[Event]:
        self._ended.wait(timeout)
        return []

    def _emit(self, event: Event) -> None:
        kind = event["type"]
        if kind == "output" and not self._take_line():
            return
        self._track(event)
        if kind != "output" and self.dropped:
            self._deliver(self._dropped_notice())
        self._deliver(event)
        if kind == "end":
            self._ended.set()

    def _take_line(self) -> bool:
        """Whether this second's budget of lines for the page has room for one more."""
        now = time.monotonic()
        if now - self._window >= 1.0:
            self._window, self._line_count = now, 0
            if self.dropped:  # a script that only prints still hears about what was left out
                self._deliver(self._dropped_notice())
        self._line_count += 1
        if self._line_count <= self._lines_per_s:
            return True
        self.dropped += 1
        return False

    def _dropped_notice(self) -> Event:
        count, self.dropped = self.dropped, 0
        return {
            "type": "notice",
            "iteration": self.iteration,
            "code": "output_dropped",
            "message": f"{count} output lines were printed faster than the page is sent "
            f"them ({self._lines_per_s} a second) and are only in the terminal",
            "location": None,
        }
