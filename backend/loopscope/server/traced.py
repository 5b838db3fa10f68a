"""The one traced script a `loopscope trace` server shows, shared by every tab.

Every tab sees the same run and any tab drives it.  Events of the child are translated
(TraceView) on the event loop and handed to each open tab's outbox (whose byte budget
bounds what a slow tab holds); a tab that connects later first gets what was captured so
far (Replay).  Commands: `step` runs phases or iterations (the last one captured) and
returns when the child waits at its gate again (or ended); `play` steps at a rate;
`pause` stops play, and a long step at the next iteration's end; `reset` stops the child
and runs the script again from the top, in a fresh process.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from ..training.errors import CommandError
from .outbox import encode
from .tracedsource import LiveSource
from .traceview import TraceView

Event = dict[str, Any]
Subscriber = Callable[[list[Event]], None]
REPLAY_BYTES = 8 << 20  # events a late tab is sent (besides session, graph and losses)
REPLAY_LOSSES = 200_000
# A phase event waits this long for the phase the child announces next (its gate, or the
# next phase event); a script busy longer than that between phases has it sent without.
NEXT_PHASE_WAIT_S = 0.2


class Replay:
    """What a tab that connects now is sent: the session, the latest graph, every loss (up to
    REPLAY_LOSSES), then the latest events up to REPLAY_BYTES, in order."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.session: Event | None = None
        self.graph: Event | None = None
        self.losses: Event | None = None
        self.tail: deque[tuple[Event, int]] = deque()
        self.nbytes = 0

    def add(self, event: Event) -> None:
        kind = event["type"]
        if kind == "session":
            self.session = event
        elif kind == "graph":
            self.graph = event
        elif kind == "losses":
            self._add_losses(event)
        elif kind != "play_state":
            size = len(encode(event))
            self.tail.append((event, size))
            self.nbytes += size
            while self.nbytes > REPLAY_BYTES and len(self.tail) > 1:
                self.nbytes -= self.tail.popleft()[1]

    def _add_losses(self, event: Event) -> None:
        held = self.losses
        if held is None or held["first"] + len(held["values"]) != event["first"]:
            held = {**event, "values": list(event["values"])}
        else:
            held["values"].extend(event["values"])
        over = len(held["values"]) - REPLAY_LOSSES
        if over > 0:
            del held["values"][:over]
            held["first"] += over
        self.losses = held

    def since_session(self) -> list[Event]:
        """The graph, the losses and the phase events of the latest iteration shown."""
        phases = [e for e, _ in self.tail if e["type"] == "phase"]
        latest = [e for e in phases if e["iteration"] == phases[-1]["iteration"]] if phases else []
        head = [e for e in (self.graph, self.losses) if e is not None]
        return head + latest

    def events(self) -> list[Event]:
        head = [e for e in (self.session, self.graph, self.losses) if e is not None]
        return head + [event for event, _ in self.tail]


class TracedRun:
    """The traced script: its child process, its page state, the tabs watching it."""

    def __init__(
        self,
        script: str,
        args: Sequence[str] = (),
        *,
        echo: bool = True,
        on_end: Callable[[Event], None] | None = None,
    ) -> None:
        self.view = TraceView(script)
        self.replay = Replay()
        self.subscribers: set[Subscriber] = set()
        self.source = LiveSource(script, args, self._from_reader, echo=echo)
        self.on_end = on_end
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting = asyncio.Event()  # the child waits at its gate, or has ended
        self._steps = asyncio.Lock()
        self._play: asyncio.Task[None] | None = None
        self._play_options: tuple[str, float] | None = None
        # A phase event and the events after it, until the next phase is known; None in it
        # marks where the phases shown so far are sent again (after a re-sent session).
        self._held: list[Event | None] = []
        self._held_timer: asyncio.TimerHandle | None = None

    # ------------------------------------------------------------------ lifecycle

    async def open(self) -> None:
        """Start the script (it waits at its first gate)."""
        self._loop = asyncio.get_running_loop()
        await asyncio.to_thread(self.source.start)

    async def close(self) -> None:
        await self._stop_play(announce=False)
        await asyncio.to_thread(self.source.close)

    @property
    def ended(self) -> Event | None:
        return self.source.end

    # ------------------------------------------------------------------ tabs

    def subscribe(self, subscriber: Subscriber) -> list[Event]:
        """Add a tab; what it must be sent first (the run so far)."""
        self.subscribers.add(subscriber)
        return [*self.replay.events(), self._play_state("started" if self.playing else "paused")]

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    def _broadcast(self, events: list[Event]) -> None:
        for event in events:
            self.replay.add(event)
        for subscriber in list(self.subscribers):
            subscriber(events)

    def _from_reader(self, event: Event) -> None:
        """Called in the source's reader thread: on to the event loop."""
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self._loop.call_soon_threadsafe(self._on_event, event)

    def _on_event(self, event: Event) -> None:
        kind = event["type"]
        if kind == "started":
            self.replay.clear()
        if kind in ("gate", "phase", "end"):  # the phase that runs next is known now
            self._release(event.get("next", event.get("phase")))
        page: list[Event | None] = [*self.view.page(event)]
        if kind == "model" and page:
            # A new session starts the page's frame afresh: what this iteration showed so
            # far (and the losses) follow it again, so that finding the model loses nothing.
            page.append(None)
        if kind == "phase":
            self._held = page
            assert self._loop is not None
            self._held_timer = self._loop.call_later(NEXT_PHASE_WAIT_S, self._release, None)
        elif self._held:
            self._held.extend(page)
        else:
            self._send_out(page)
        if kind in ("gate", "end"):
            self._waiting.set()
        if kind == "end":
            if self._play is not None:
                self._play.cancel()
                self._play = None
                self._broadcast([self._play_state("ended")])
            if self.on_end is not None:
                self.on_end(event)

    def _release(self, next_phase: str | None) -> None:
        """Send the held phase event with the phase that runs next (left out when unknown)."""
        if self._held_timer is not None:
            self._held_timer.cancel()
            self._held_timer = None
        held, self._held = self._held, []
        if held:
            if next_phase is not None:
                assert held[0] is not None
                held[0]["next_phase"] = next_phase
            self._send_out(held)

    def _send_out(self, events: list[Event | None]) -> None:
        batch: list[Event] = []
        for event in events:
            if event is not None:
                batch.append(event)
                continue
            self._broadcast(batch)
            batch = []
            for subscriber in list(self.subscribers):
                subscriber(self.replay.since_session())
        self._broadcast(batch)

    # ------------------------------------------------------------------ commands

    def _check_running(self) -> None:
        if self.source.end is not None:
            end = self.source.end
            how = f"{end['status']}, exit status {end['exit_code']}"
            raise CommandError(
                "wrong_state", f"type: the script has ended ({how}); reset runs it again", "type"
            )

    async def step(self, unit: str, count: int) -> None:
        """Run `count` phases or iterations; return once the child waits again (or ended)."""
        if unit not in ("phase", "iteration"):
            raise CommandError(
                "invalid_message", "unit: a script steps by 'phase' or 'iteration'", "unit"
            )
        await self._stop_play()
        await self._step(unit, count)

    async def _step(self, unit: str, count: int) -> None:
        async with self._steps:
            self._check_running()
            self._waiting.clear()
            self.source.step(unit, count)
            await self._waiting.wait()

    @property
    def playing(self) -> bool:
        return self._play is not None and not self._play.done()

    async def play(self, unit: str, rate: float) -> None:
        """Step one `unit` at a time, `rate` times a second, until paused or the end."""
        if unit not in ("phase", "iteration"):
            raise CommandError(
                "invalid_message", "unit: a script plays by 'phase' or 'iteration'", "unit"
            )
        self._check_running()
        await self._stop_play(announce=False)
        self._play_options = (unit, rate)
        self._play = asyncio.create_task(self._play_loop(unit, rate))
        self._broadcast([self._play_state("started")])

    async def _play_loop(self, unit: str, rate: float) -> None:
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        while self.source.end is None:
            await self._step(unit, 1)
            next_tick = max(next_tick + 1.0 / rate, loop.time())
            await asyncio.sleep(next_tick - loop.time())

    async def pause(self) -> None:
        """Stop play; a long step stops at the next iteration's end."""
        await self._stop_play()
        if self._steps.locked() and self.source.end is None:
            self.source.pause()

    async def reset(self) -> None:
        """Stop the child and run the script again from the top."""
        await self._stop_play()
        await asyncio.to_thread(self.source.restart)

    async def _stop_play(self, announce: bool = True) -> None:
        task, self._play = self._play, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if announce:
                self._broadcast([self._play_state("paused")])

    def _play_state(self, reason: str) -> Event:
        unit, rate = self._play_options if self.playing and self._play_options else (None, None)
        return {
            "type": "play_state",
            "playing": self.playing,
            "unit": unit,
            "rate": rate,
            "reason": reason,
        }
