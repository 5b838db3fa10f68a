"""One tab watching (and driving) the traced script: /ws when the server runs `loopscope trace`.

The tab gets the run so far as soon as it connects, without a `start`.  A command runs as
its own task so that `pause` or `reset` reach the run while a long `step` is waiting for
the child; `start`, `rewind`, `set` and `resume` are refused (the script comes only from
the command line, and cannot be taken back to an earlier point).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from ..config import Settings
from ..protocol import PlayCommand, StepCommand
from ..training.errors import CommandError
from .connection import CLOSE_SEND_BUDGET, CLOSE_WAIT_S
from .messages import admit, error_event
from .outbox import Outbox
from .protocols import TokenBucket
from .traced import Event, TracedRun

REFUSED = {
    "start": "a traced run is the script given on the command line; reset runs it again",
    "rewind": "a script cannot be taken back; the timeline shows what was captured",
    "set": "a script's hyperparameters are in its own code",
    "resume": "every tab watches the same traced run; nothing to resume",
    "tensor": "a traced script's tensors stay in its own process; its frames carry them",
    "update": "a traced script's frames carry every update they have",
    "sent": "a traced script's backward frames carry every gradient they have",
}
log = logging.getLogger(__name__)


class TraceConnection:
    """A tab of the traced run."""

    def __init__(self, websocket: WebSocket, settings: Settings, run: TracedRun) -> None:
        self.websocket = websocket
        self.settings = settings
        self.run = run
        self.outbox = Outbox(settings.send_budget_bytes)
        self._commands = TokenBucket(settings.commands_per_second, settings.commands_per_second)
        self._last_message = time.monotonic()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = asyncio.Event()
        self._close_with = (1000, "")

    # ------------------------------------------------------------------ admission

    def idle_s(self) -> float:
        return time.monotonic() - self._last_message

    def busy(self) -> bool:
        return bool(self._tasks) or self.run.playing

    def evict(self) -> None:
        self._ask_close(4013, "closed to make room: idle")

    def _ask_close(self, code: int, reason: str) -> None:
        if not self._closing.is_set():
            self._close_with = (code, reason)
            self._closing.set()

    # ------------------------------------------------------------------ loops

    def _emit(self, events: list[Event]) -> None:
        self.outbox.put(events)
        if self.outbox.overflow.is_set():
            self._ask_close(CLOSE_SEND_BUDGET, "send budget exceeded: read faster")

    async def serve(self) -> None:
        self._emit(self.run.subscribe(self._emit))
        tasks = {
            asyncio.create_task(self._receive_loop()),
            asyncio.create_task(self._send_loop()),
            asyncio.create_task(self._close_when_asked()),
        }
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.run.unsubscribe(self._emit)
            for task in tasks | self._tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _close_when_asked(self) -> None:
        await self._closing.wait()
        code, reason = self._close_with
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.websocket.close(code=code, reason=reason), CLOSE_WAIT_S)

    async def _send_loop(self) -> None:
        while True:
            frame = await self.outbox.get()
            await self.websocket.send_text(frame.decode())

    async def _receive_loop(self) -> None:
        while True:
            try:
                message = await self.websocket.receive()
            except WebSocketDisconnect:
                return
            item = await admit(
                self.websocket, message, self.settings.max_message_bytes, self._commands
            )
            if item is None:
                return
            self._last_message = time.monotonic()
            self._handle(item)

    # ------------------------------------------------------------------ commands

    def _handle(self, item: Any) -> None:
        if isinstance(item, dict):  # the error event refusing the message
            self._emit([item])
            return
        reason = REFUSED.get(item.type)
        if reason is not None:
            self._emit([error_event("wrong_state", f"type: '{item.type}': {reason}", "type")])
            return
        task = asyncio.create_task(self._run(item))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, command: Any) -> None:
        try:
            if isinstance(command, StepCommand):
                await self.run.step(command.unit, command.count)
            elif isinstance(command, PlayCommand):
                if command.rate > self.settings.max_play_rate:
                    limit = self.settings.max_play_rate
                    raise CommandError(
                        "out_of_range", f"rate: at most {limit:g} per second", "rate"
                    )
                await self.run.play(command.unit, command.rate)
            elif command.type == "pause":
                await self.run.pause()
            elif command.type == "reset":
                await self.run.reset()
        except CommandError as exc:
            self._emit([error_event(exc.code, exc.message, exc.field)])
        except Exception as exc:  # a bug must not take the tab down: report it
            log.exception("trace command %s failed", command.type)
            self._emit([error_event("internal", f"internal error: {type(exc).__name__}: {exc}")])
