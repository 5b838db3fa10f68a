"""One websocket connection: receiver, command and sender tasks, a play task, a worker thread.

Torch runs only in this connection's single worker thread, so the event loop stays
free and a run's commands execute strictly in order.  The receiver reads messages
while a command runs, validates each one (parse_command) and queues the command, or
the `error` event refusing it, for the command task, which runs or sends them in
arrival order; the run is only touched by a command that passed validation, and a
session method either completes or changes nothing.

A long command can be cut short: when a valid `pause` or `reset` arrives while a `step`
(or play's step) is running or waiting, that step finishes the iteration it is in,
runs one more iteration captured and returns (see Session.step); then the `pause` or
`reset` runs as usual, in order.

What waits to be sent stays within the connection's byte budget (Outbox): past it the
socket closes with CLOSE_SEND_BUDGET and the run parks for `resume`, as after a drop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from ..config import Settings
from ..protocol import (
    PlayCommand,
    ResumeCommand,
    RewindCommand,
    SentCommand,
    SetCommand,
    ShownCommand,
    StartCommand,
    StepCommand,
    TensorCommand,
    UpdateCommand,
)
from ..training.errors import CommandError
from ..training.session import Session
from .messages import admit, error_event
from .outbox import Outbox
from .protocols import TokenBucket
from .runs import RunRegistry
from .work import Work

INBOX_SIZE = 64  # messages received but not yet run; beyond, they are refused
CLOSE_SEND_BUDGET = 4008  # more than send_budget_bytes waited to be sent
CLOSE_EVICTED = 4013  # the server was full and this connection the longest idle
CLOSE_WAIT_S = 1.0  # a close frame waits this long behind unsent frames, then the socket goes
log = logging.getLogger(__name__)


class Connection:
    """A learner's connection and the run it owns."""

    def __init__(
        self, websocket: WebSocket, settings: Settings, stats: RunRegistry, work: Work
    ) -> None:
        self.websocket = websocket
        self.settings = settings
        self.stats = stats
        self.work = work
        self.outbox = Outbox(settings.send_budget_bytes)
        self.session: Session | None = None
        self.play_task: asyncio.Task[None] | None = None
        self._play_stop = asyncio.Event()
        self._play_options: tuple[str, float] | None = None  # unit and rate while playing
        # Paced play: set when the client says it has drawn what it received (`shown`).
        self._shown = asyncio.Event()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="loopscope-run")
        self._commands = TokenBucket(settings.commands_per_second, settings.commands_per_second)
        self._last_message = time.monotonic()
        # Commands (or error events refusing messages) waiting their turn, numbered in order.
        self._inbox: asyncio.Queue[tuple[int, Any]] = asyncio.Queue(maxsize=INBOX_SIZE)
        self._received = 0  # messages queued so far (their sequence numbers)
        self._running = -1  # sequence number of the command now running
        self._interrupted = -1  # sequence number of the newest interrupting message
        self._in_flight = False  # a command is running now
        self._closing = asyncio.Event()
        self._close_with = (1000, "")

    async def serve(self) -> None:
        """Run receiver, commands, sender and the close watch until one ends; release after."""
        self.stats.connections += 1
        self.stats.workers += 1
        tasks = {
            asyncio.create_task(self._receive_loop()),
            asyncio.create_task(self._command_loop()),
            asyncio.create_task(self._send_loop()),
            asyncio.create_task(self._close_when_asked()),
        }
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            # The release runs as its own task: when the server cancels this one (Starlette
            # does on close), the shield lets the bookkeeping finish all the same.
            release = asyncio.create_task(self._release(*tasks))
            await asyncio.shield(release)

    async def _release(self, *tasks: asyncio.Task[None]) -> None:
        """Stop play and the loops, wait for the worker, park the run, update the counts."""
        try:
            self._interrupted = self._received + 1  # a step in flight stops early
            for task in tasks:
                task.cancel()
            await self._stop_play(announce=False)
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            # Let a step already running in the worker finish before the run changes hands.
            await asyncio.to_thread(self.executor.shutdown, True, cancel_futures=True)
        finally:
            session = self._drop_session()
            if session is not None:
                self.stats.park(session)
            self.stats.workers -= 1
            self.stats.connections -= 1

    # ------------------------------------------------------------------ admission

    def idle_s(self) -> float:
        """Seconds since the last message from the client."""
        return time.monotonic() - self._last_message

    def busy(self) -> bool:
        """Whether play is running or a command is running or waiting its turn."""
        playing = self.play_task is not None and not self.play_task.done()
        return playing or self._in_flight or not self._inbox.empty()

    def evict(self) -> None:
        """Close to make room for a new connection; the run parks for `resume`."""
        self._ask_close(CLOSE_EVICTED, "closed to make room: idle")

    def _ask_close(self, code: int, reason: str) -> None:
        if not self._closing.is_set():
            self._close_with = (code, reason)
            self._closing.set()

    async def _close_when_asked(self) -> None:
        await self._closing.wait()
        code, reason = self._close_with
        # A client that does not read keeps the close frame queued behind its frames: after
        # CLOSE_WAIT_S the connection ends all the same (the transport is then dropped).
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.websocket.close(code=code, reason=reason), CLOSE_WAIT_S)

    # ------------------------------------------------------------------ loops

    def _emit(self, events: list[dict[str, Any]]) -> None:
        """Queue events for the client; past the byte budget, the connection closes."""
        self.outbox.put(events)
        if self.outbox.overflow.is_set():
            self._ask_close(CLOSE_SEND_BUDGET, "send budget exceeded: read faster")

    async def _send_loop(self) -> None:
        while True:
            frame = await self.outbox.get()
            await self.websocket.send_text(frame.decode())

    async def _receive_loop(self) -> None:
        while True:
            try:
                message = await asyncio.wait_for(
                    self.websocket.receive(), self.settings.idle_timeout_s
                )
            except TimeoutError:
                if self.busy():
                    continue  # silent but not idle: play or a command is still running
                await self.websocket.close(code=1000, reason="idle timeout")
                return
            except WebSocketDisconnect:
                return
            item = await admit(
                self.websocket, message, self.settings.max_message_bytes, self._commands
            )
            if item is None:
                return
            self._last_message = time.monotonic()
            self._queue(item)

    def _queue(self, item: Any) -> None:
        """Queue a validated command (or the error event refusing a message) for the command
        task, which answers in the order they came; a `pause` or `reset` also cuts short the
        step before it."""
        if self._inbox.full():  # overloaded: this refusal cannot wait its turn
            self._emit([error_event("rate_limited", "too many commands waiting; slow down")])
            return
        if isinstance(item, ShownCommand):  # not a command to run: it only releases play
            self._shown.set()
            return
        self._received += 1
        if not isinstance(item, dict) and item.type in ("pause", "reset"):
            self._interrupted = self._received
        self._inbox.put_nowait((self._received, item))

    async def _command_loop(self) -> None:
        while True:
            number, item = await self._inbox.get()
            self._running = number
            if isinstance(item, dict):
                self._emit([item])
            else:
                self._in_flight = True
                try:
                    await self._run(item)
                finally:
                    self._in_flight = False

    def _cut_short(self) -> bool:
        """Whether an interrupting message arrived after the running command (called from
        the worker thread between iterations: it only reads two ints)."""
        return self._interrupted > self._running

    # ------------------------------------------------------------------ commands

    async def _run(self, command: Any) -> None:
        """Run a validated command; a refusal (or a bug) becomes an error event."""
        try:
            await self._dispatch(command)
        except CommandError as exc:
            self._emit([error_event(exc.code, exc.message, exc.field)])
        except Exception as exc:  # a bug must not take the connection down: report it
            log.exception("command %s failed", command.type)
            self._emit([error_event("internal", f"internal error: {type(exc).__name__}: {exc}")])

    async def _in_worker(self, fn: Any, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, fn, *args)

    async def _call(self, fn: Any, *args: Any) -> Any:
        """Run `fn` in this connection's worker as short work (long slices make way)."""
        return await self.work.short(self._in_worker, fn, *args)

    def _require_session(self) -> Session:
        if self.session is None:
            raise CommandError("wrong_state", "no run yet: send a 'start' command first", "type")
        return self.session

    async def _dispatch(self, command: Any) -> None:
        if isinstance(command, StartCommand):
            await self._start(command)
        elif isinstance(command, ResumeCommand):
            parked = self.stats.claim(command.token)
            if parked is None:
                raise CommandError(
                    "not_found",
                    "token: no run to resume (unknown, or its grace period ended)",
                    "token",
                )
            parked.token = secrets.token_urlsafe(24)  # the token that was sent is spent
            await self._adopt(parked)
        elif isinstance(command, StepCommand):
            session = self._require_session()
            self.work.check_step(session, command.unit, command.count)
            await self._stop_play()
            await self.work.step(
                self._in_worker, session, command.unit, command.count, self._cut_short, self._emit
            )
        elif isinstance(command, PlayCommand):
            session = self._require_session()
            if command.rate > self.settings.max_play_rate:
                raise CommandError(
                    "out_of_range",
                    f"rate: at most {self.settings.max_play_rate:g} per second",
                    "rate",
                )
            self.work.check_step(session, command.unit, 1)
            await self._stop_play(announce=False)
            self._play_stop = asyncio.Event()
            self._play_options = (command.unit, command.rate)
            self.play_task = asyncio.create_task(
                self._play(session, command.unit, command.rate, self._play_stop, command.paced)
            )
            self._emit([self._play_state("started")])
        elif command.type == "pause":
            await self._stop_play()
        elif command.type == "reset":
            session = self._require_session()
            await self._stop_play()
            self._emit(await self._call(session.reset))
        elif isinstance(command, RewindCommand):
            session = self._require_session()
            session.check_rewind(command.iteration)  # a refused rewind leaves play running
            await self._stop_play()
            self._emit(await self._call(session.rewind, command.iteration))
        elif isinstance(command, TensorCommand):
            # Answered between phases, while playing too: the run as it is then.
            session = self._require_session()
            self._emit(await self._call(session.tensor, command.name, command.kind, command.key))
        elif isinstance(command, UpdateCommand):
            session = self._require_session()
            self._emit(await self._call(session.update, command.name))
        elif isinstance(command, SentCommand):
            session = self._require_session()
            self._emit(await self._call(session.sent_grads, command.node))
        elif isinstance(command, SetCommand):
            session = self._require_session()
            changes = command.model_dump(exclude_none=True, exclude={"type"})
            if not changes:  # no one field is at fault: the command names none of them
                names = ", ".join(k for k in SetCommand.model_fields if k != "type")
                raise CommandError("invalid_message", f"set: give at least one of {names}")
            self._emit(await self._call(session.set, changes))

    async def _start(self, command: StartCommand) -> None:
        """Build a new run, its slot reserved first so that concurrent starts cannot pass
        max_runs together (the previous run of this connection gives its slot up)."""
        reserved = self.session is None
        if reserved and not self.stats.reserve(self.settings.max_runs):
            raise CommandError(
                "too_many_runs", f"server busy: {self.settings.max_runs} runs already", "type"
            )
        try:
            async with self.work.builds:
                session = await self._call(self._new_session, command.scenario, command.config)
        finally:
            if reserved:
                self.stats.unreserve()
        await self._adopt(session)

    def _new_session(self, scenario: str, config: dict[str, Any]) -> Session:
        return Session(
            scenario,
            config,
            default_device=self.settings.device,
            cap=self.settings.tensor_cap,
            history_bytes=self.settings.history_bytes,
            max_iterations=self.settings.max_iterations_per_command,
        )

    async def _adopt(self, session: Session) -> None:
        """Make `session` this connection's run (the previous one is released)."""
        self.stats.live_runs += 1  # counted before any await: its slot is taken now
        await self._stop_play()
        self._drop_session()
        self.session = session
        self._emit([session.session_event()])

    def _drop_session(self) -> Session | None:
        session, self.session = self.session, None
        if session is not None:
            self.stats.live_runs -= 1
        return session

    # ------------------------------------------------------------------ play

    def _play_state(self, reason: str) -> dict[str, Any]:
        """The PlayStateEvent dict: whether play runs now, and why that changed."""
        playing = self.play_task is not None and not self.play_task.done()
        unit, rate = self._play_options if playing and self._play_options else (None, None)
        return {
            "type": "play_state",
            "playing": playing,
            "unit": unit,
            "rate": rate,
            "reason": reason,
        }

    async def _play(
        self, session: Session, unit: str, rate: float, stop: asyncio.Event, paced: bool = False
    ) -> None:
        """Step at `rate` per second on a fixed schedule (a late tick is not made up in a burst)
        until `stop` is set; a step already running when it is set still sends its events.
        Paced: no step starts until the client has drawn the previous one (`shown`); a page
        that draws slower than `rate` gets steps of several units, so the run keeps its rate
        while what the learner sees is never more than one step behind it."""
        period = 1.0 / rate
        next_tick = last = time.monotonic()
        self.stats.play_tasks += 1
        try:
            while not stop.is_set():
                self._shown.clear()
                count = 1
                if paced:
                    count, last = self._units_due(session, unit, rate, last)
                try:
                    await self.work.step(
                        self._in_worker, session, unit, count, stop.is_set, self._emit
                    )
                except Exception as exc:
                    if isinstance(exc, CommandError):
                        self._emit([error_event(exc.code, exc.message, exc.field)])
                    else:
                        log.exception("play failed")
                        message = f"internal error: {type(exc).__name__}: {exc}"
                        self._emit([error_event("internal", message)])
                    self.play_task = None
                    self._emit([self._play_state("error")])
                    return
                if paced:
                    await self._until_shown(stop)
                next_tick = max(next_tick + period, time.monotonic())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), next_tick - time.monotonic())
        finally:
            self.stats.play_tasks -= 1

    def _units_due(
        self, session: Session, unit: str, rate: float, since: float
    ) -> tuple[int, float]:
        """Units of play due since `since` (at least one, at most a second's worth, within
        the step budget), and now."""
        now = time.monotonic()
        count = max(1, min(int(rate * (now - since)), int(rate)))
        try:
            self.work.check_step(session, unit, count)
        except CommandError:
            count = 1  # one unit is always allowed (play checked it when it started)
        return count, now

    async def _until_shown(self, stop: asyncio.Event) -> None:
        """Wait until the client has drawn the frame just sent, or play is stopped."""
        shown = asyncio.ensure_future(self._shown.wait())
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({shown, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            shown.cancel()
            stopped.cancel()

    async def _stop_play(self, announce: bool = True) -> None:
        """Stop play after the step in flight (whose events are kept), then return; say so
        in a play_state event unless `announce` is off."""
        task, self.play_task = self.play_task, None
        if task is not None and not task.done():
            self._play_stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if announce:
                self._emit([self._play_state("paused")])
