"""CPU fairness: this machine's measured speed, the work a command may ask for, and long
work run in slices that take turns.

Every thread that runs Python competes for the GIL with the event loop, so a hundred long
commands at once would starve `/api/health` and every short command. A command estimated
to take longer than one slice runs as several `Session.step` calls of about SLICE_S each,
cut short by the time (its `cut_short` callback), and each slice waits its turn at a
server-wide gate; short commands (a phase, an iteration, a play tick) never wait there.

Short work also goes first within a slice: torch releases the GIL around each op, and a
thread that gives it up that often waits up to the switch interval (5 ms) to get it back
from a busy one, for every op. So while short work runs, a slice sleeps between its
iterations (up to YIELD_MAX_S each time), leaving the GIL to it.
"""

from __future__ import annotations

import asyncio
import functools
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ..config import Settings
from ..protocol import CompareRequest
from ..training.compare import estimated_us
from ..training.errors import CommandError
from ..training.session import Session
from ..training.source import N_PHASES
from .outbox import Outbox

SLICE_S = 0.05
YIELD_S = 0.0005
YIELD_MAX_S = 0.05
CALIBRATION_S = 0.2  # time spent measuring this machine at start-up

Call = Callable[..., Awaitable[Any]]
Emit = Callable[[list[dict[str, Any]]], None]


@functools.cache
def measure_speed(device: str) -> float:
    """This machine's measured time of an uncaptured iteration over the estimate's
    (1.0: as fast as the machine the estimate was fitted on; 2.0: half as fast).
    Measured once per process: the machine does not change while it runs."""
    try:
        session = Session("mlp", {}, default_device=device, history_bytes=0)
    except CommandError:  # that device is not here: the first `start` will say so
        return 1.0
    session.step("iteration", 4, capture=False)  # first calls build caches: not measured
    # CPU time of this thread, the least of several batches: what an iteration costs here,
    # not how busy the machine happens to be while the server starts.
    fastest, begin = float("inf"), time.perf_counter()
    while time.perf_counter() - begin < CALIBRATION_S:
        cpu = time.thread_time()
        session.step("iteration", 16, capture=False)
        fastest = min(fastest, (time.thread_time() - cpu) / 16)
    return max(0.1, fastest * 1e6 / estimated_us(session))


def _slice(work: Work, session: Session, unit: str, count: int, stop: Callable[[], bool]) -> Any:
    """One slice of a long step: it runs until SLICE_S has passed or `stop` says so, and
    makes way for short work between iterations."""
    deadline = time.monotonic() + SLICE_S

    def cut_short() -> bool:
        waited = 0.0
        while work.short_running and waited < YIELD_MAX_S:
            time.sleep(YIELD_S)
            waited += YIELD_S
        return stop() or time.monotonic() >= deadline

    return session.step(unit, count, True, cut_short)


class Work:
    """Server-wide: the measured speed, the gate long slices pass, the compares running."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.speed = 1.0
        self.gate = asyncio.Semaphore(max(1, (os.cpu_count() or 2) - 1))
        # Runs are built one at a time (tens of ms each): a crowd of `start`s at once
        # would otherwise share the GIL with, and slow, everyone's short commands.
        self.builds = asyncio.Semaphore(1)
        self.compares = 0
        self.short_running = 0  # short calls in the workers now (read by slices' threads)

    async def short(self, call: Call, fn: Any, *args: Any) -> Any:
        """Run `fn` through `call` as short work: long slices make way while it runs."""
        self.short_running += 1
        try:
            return await call(fn, *args)
        finally:
            self.short_running -= 1

    def estimate_s(self, session: Session, iterations: int) -> float:
        """Seconds `iterations` uncaptured iterations of `session` take on this machine."""
        return iterations * estimated_us(session) * self.speed / 1e6

    def check_step(self, session: Session, unit: str, count: int) -> float:
        """The estimated seconds of a step; CommandError when past max_command_seconds."""
        iterations = -(-(session.target_position(unit, count) - session.position()) // N_PHASES)
        if iterations > session.max_iterations:
            return 0.0  # Session.step refuses it, naming its own bound
        seconds = self.estimate_s(session, iterations)
        limit = self.settings.max_command_seconds
        if seconds > limit:
            raise CommandError(
                "out_of_range",
                f"count: about {seconds:.0f} s of training in one command; at most {limit:g} s"
                " on this server (fewer iterations, or a smaller run)",
                "count",
            )
        return seconds

    async def step(
        self,
        call: Call,
        session: Session,
        unit: str,
        count: int,
        stop: Callable[[], bool],
        emit: Emit,
    ) -> None:
        """Run a step, in slices taking turns at the gate when it is long; each slice's
        events go to `emit`. A refused step raises CommandError before anything ran."""
        seconds = self.check_step(session, unit, count)
        if seconds <= SLICE_S:
            emit(await self.short(call, session.step, unit, count, True, stop))
            return
        target = session.target_position(unit, count)
        start, first_iteration = session.position(), session.stepper.iteration
        total = -(-(target - start) // N_PHASES)
        # The slices' events coalesce as a slow reader's would: the client gets one answer,
        # and a `progress` event after each slice but the last (a long run shows how far it is).
        answer = Outbox(self.settings.send_budget_bytes)
        first = True
        while first or (not stop() and session.position() < target):
            if not first:
                done = (session.position() - start) // N_PHASES
                emit([{"type": "progress", "first": first_iteration, "done": done, "total": total}])
            async with self.gate:
                answer.put(await call(_slice, self, session, unit, count, stop))
            first = False
            unit, count = "phase", target - session.position()
        emit(answer.take_all())

    def check_compare(self, request: CompareRequest) -> None:
        """Refuse a compare whose estimated time on this machine passes max_compare_seconds."""
        sessions = []
        for variant in request.variants:
            config = {**request.config, **variant}
            try:
                sessions.append(Session(request.scenario, config, history_bytes=0))
            except CommandError:
                return  # compare_runs names the field at fault
        iterations_us = sum(s.stepper.n_batches * estimated_us(s) for s in sessions)
        seconds = request.epochs * iterations_us * self.speed / 1e6
        limit = self.settings.max_compare_seconds
        if seconds > limit:
            raise CommandError(
                "out_of_range",
                f"epochs: about {seconds:.1f} s of training asked for; at most {limit:g} s on"
                " this server (fewer epochs or variants, or a smaller run)",
                "epochs",
            )
