"""The parent's side of a traced script: spawn it, drive its gate, collect its events.

    source = TraceSource("train.py", ["--epochs", "3"])
    events = source.start()                 # up to the gate before the first phase
    events = source.step("phase", 1)        # one phase, captured
    events = source.step("iteration", 100)  # 99 at full speed, the 100th captured
    source.play(); ...; source.pause()      # run free until paused
    source.stop(); source.restart()

A reader thread reads the child's stdout and stderr (tee'd to this process's own
streams) and its channel, in order: output that the child wrote before an event is
reported before that event, with the iteration it was printed in (the child says at which
byte offset of each stream an iteration's output starts).  Every event goes
to `on_event` (from the reader thread) and to the queue that `step()` and friends read.
"""

from __future__ import annotations

import os
import queue
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import IO, Any

from .channel import Channel, FrameBuffer, channel_pair

MAX_LINE = 16_384  # a longer line (a progress bar without newlines) is cut into pieces
LINE_WAIT = 0.1  # seconds a line waits for the child to say which iteration printed it
REDRAW_WAIT = 0.1  # a line redrawn with "\r" (a progress bar) is passed on this often at most
MAX_HELD = 10_000  # lines held at most: a script printing without pause cannot grow the list
STOP_GRACE = 3.0  # seconds a child that is not at its gate gets after `stop`, then SIGTERM
GATE_STOP_WAIT = 20.0  # seconds a child waiting at its gate gets to unwind after `stop`
Event = dict[str, Any]


class TraceError(RuntimeError):
    """A command the traced run cannot take now (it has ended, or was never started)."""


class TraceSource:
    """One traced script, run in a fresh child process on start() and restart()."""

    def __init__(
        self,
        script: str,
        args: Sequence[str] = (),
        *,
        on_event: Callable[[Event], None] | None = None,
        echo: bool = True,
        stdin: int | IO[Any] | None = None,
        python: str = sys.executable,
    ) -> None:
        if not os.path.isfile(script):
            raise FileNotFoundError(f"script: no such file {script!r}")
        self.script = script
        self.args = list(args)
        self.on_event = on_event
        self.echo = echo
        self.stdin = stdin
        self.python = python
        self.process: subprocess.Popen[bytes] | None = None
        self._channel: Channel | None = None
        self._queue: queue.Queue[Event] = queue.Queue()
        self._reader: threading.Thread | None = None
        self.iteration = 0
        self.end: Event | None = None
        # lines read but not yet sent: stream, text, the byte offset where the line ends
        self._held: list[tuple[str, str, int]] = []
        self._read_bytes = {"stdout": 0, "stderr": 0}
        self.print_iteration = 0  # the iteration that the output read now belongs to
        self._held_since = 0.0  # when the oldest held line was read
        self._redrawn_at = {"stdout": 0.0, "stderr": 0.0}  # when a redrawn line was passed on
        self._stopping = False  # stop() asked for the end: a signal then is ours, not a crash
        self._at_gate = False  # the child waits at its gate: it reads `stop` at once

    # ------------------------------------------------------------------ commands

    def start(self) -> list[Event]:
        """Spawn the script's process; its events up to the first gate (or its end)."""
        if self.process is not None and self.end is None:
            raise TraceError("start: the script is already running; stop() or restart()")
        self._release()
        channel, child = channel_pair()
        command = [self.python, "-m", "loopscope.trace.runner", "--fd", str(child.fileno())]
        self.process = subprocess.Popen(
            [*command, self.script, *self.args],
            stdin=self.stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(child.fileno(),),
        )
        child.close()
        self._channel = channel
        self._queue = queue.Queue()
        self.iteration = self.print_iteration = 0
        self._read_bytes = {"stdout": 0, "stderr": 0}
        self.end = None
        self._stopping = False
        self._reader = threading.Thread(target=self._read, name="trace-reader", daemon=True)
        self._reader.start()
        return self._until_gate()

    def step(self, unit: str = "phase", count: int = 1) -> list[Event]:
        """Run `count` phases or iterations (the last one captured); events up to the next
        gate or the end."""
        if unit not in ("phase", "iteration"):
            raise ValueError(f"unit: expected 'phase' or 'iteration', got {unit!r}")
        if count < 1:
            raise ValueError(f"count: expected a positive integer, got {count!r}")
        self._send({"cmd": "go", "unit": unit, "count": count})
        return self._until_gate()

    def play(self) -> None:
        """Run uncaptured until pause(); events arrive through on_event and events()."""
        self._send({"cmd": "go", "unit": "iteration", "count": None})

    def pause(self) -> list[Event]:
        """Stop a play at the next iteration's end; events up to that gate."""
        self._send({"cmd": "pause"})
        return self._until_gate()

    def stop(self, grace: float = STOP_GRACE) -> list[Event]:
        """End the script: at its next gate; a script that does not come to one within
        `grace` seconds (busy outside the loop, blocked reading) gets SIGTERM, and `grace`
        seconds later SIGKILL, which it cannot ignore."""
        if self.process is None or self.end is not None:
            return []
        self._stopping = True
        try:
            self._send({"cmd": "stop"})
        except (TraceError, OSError):
            pass
        # A child at its gate unwinds the script (finally blocks run) and reports; give it
        # time on a loaded machine.  One running elsewhere may never read the command.
        first = GATE_STOP_WAIT if self._at_gate else grace
        for wait, sig in ((first, signal.SIGTERM), (grace, signal.SIGKILL), (grace, None)):
            try:
                self.process.wait(wait)
                break
            except subprocess.TimeoutExpired:
                if sig is None:
                    self.process.wait()  # SIGKILL always ends a process, if not at once
                else:
                    self.process.send_signal(sig)
        return self.wait_end(GATE_STOP_WAIT)

    def restart(self) -> list[Event]:
        """Stop this run and start the script again from the top, in a fresh process."""
        self.stop()
        return self.start()

    def wait_end(self, timeout: float | None = None, *, keep: bool = True) -> list[Event]:
        """Every event until the end event (the script runs on as it was told); with
        `keep=False` they are taken and dropped (a script printing without end must not
        fill this process's memory)."""
        events: list[Event] = []
        while self.end is None or not self._queue.empty():
            try:
                event = self._queue.get(timeout=timeout)
            except queue.Empty:
                break
            if keep:
                events.append(event)
            if event["type"] == "end":
                break
        return events

    def events(self) -> list[Event]:
        """The events that arrived and were not yet taken (does not wait)."""
        out: list[Event] = []
        while True:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> None:
        """Stop the child if it runs, and free the channel."""
        self.stop()
        self._release()

    def _release(self) -> None:
        """Free what a finished run held: its reader thread and its channel."""
        if self._reader is not None:
            self._reader.join(30)
            self._reader = None
        if self._channel is not None:
            self._channel.close()
            self._channel = None

    # ------------------------------------------------------------------ internals

    def _send(self, message: Event) -> None:
        if self.process is None or self._channel is None:
            raise TraceError(f"{message['cmd']}: the script was not started")
        if self.end is not None:
            raise TraceError(f"{message['cmd']}: the script has ended ({self.end['status']})")
        self._at_gate = self._at_gate and message["cmd"] != "go"
        self._channel.send(message)

    def _until_gate(self) -> list[Event]:
        events: list[Event] = []
        while True:
            event = self._queue.get()
            events.append(event)
            if event["type"] in ("gate", "end"):
                return events

    def _track(self, event: Event) -> None:
        """Keep the iteration the child is in, and its end."""
        kind = event["type"]
        self._at_gate = kind == "gate" or (self._at_gate and kind == "output")
        if kind == "phase" or kind == "gate":
            self.iteration = event["iteration"]
        elif kind == "trace_losses":
            self.iteration = max(self.iteration, event["first"] + len(event["values"]))
        elif kind == "end":
            self.end = event

    def _emit(self, event: Event) -> None:
        self._track(event)
        if self.on_event is not None:
            self.on_event(event)
        self._queue.put(event)

    def _read(self) -> None:
        """The reader thread: pipes and channel in one selector, pipes drained first."""
        process, channel = self.process, self._channel
        assert process is not None and channel is not None
        assert process.stdout is not None and process.stderr is not None
        pipes = {process.stdout.fileno(): "stdout", process.stderr.fileno(): "stderr"}
        partial = {"stdout": b"", "stderr": b""}
        echo = {"stdout": sys.stdout, "stderr": sys.stderr}
        for fd in pipes:
            os.set_blocking(fd, False)
        frames = FrameBuffer()
        selector = selectors.DefaultSelector()
        for fd in pipes:
            selector.register(fd, selectors.EVENT_READ)
        selector.register(channel.fileno(), selectors.EVENT_READ)
        open_fds = set(pipes) | {channel.fileno()}

        def drain() -> None:
            for fd, stream in pipes.items():
                while fd in open_fds:
                    try:
                        data = os.read(fd, 65536)
                    except BlockingIOError:
                        break
                    if not data:
                        open_fds.discard(fd)
                        selector.unregister(fd)
                        if partial[stream]:
                            self._line(stream, partial[stream])
                            partial[stream] = b""
                        break
                    if self.echo:
                        echo[stream].buffer.write(data)
                        echo[stream].flush()
                    self._lines(stream, partial, data)

        redrawing = False
        while open_fds:
            ready = selector.select(LINE_WAIT if self._held or redrawing else None)
            drain()
            if any(key.fd == channel.fileno() for key, _ in ready):
                try:
                    data = channel.sock.recv(1 << 20)
                except OSError:
                    data = b""
                if not data:
                    open_fds.discard(channel.fileno())
                    selector.unregister(channel.fileno())
                frames.feed(data)
                while (event := frames.next()) is not None:
                    drain()
                    if event["type"] == "printed":  # where the next iteration's output starts
                        self._release_lines(event)
                        self.print_iteration = event["iteration"]
                        continue
                    if event["type"] == "end":  # everything the script wrote comes first,
                        for stream, rest in partial.items():  # a last line without "\n" too
                            if rest:
                                self._line(stream, rest)
                                partial[stream] = b""
                        self._release_lines()
                    self._emit(event)
            if self._held and (
                not ready
                or len(self._held) > MAX_HELD
                or time.monotonic() - self._held_since > LINE_WAIT
            ):
                self._release_lines()
            redrawing = self._redrawn(partial)
        selector.close()
        process.stdout.close()
        process.stderr.close()
        self._release_lines()
        code = process.wait()
        if self.end is None:
            self._emit(self._died(code))

    def _died(self, code: int) -> Event:
        """The end of a process that ended without reporting (killed, crashed, os._exit)."""
        if code < 0:
            try:
                died = f"signal {signal.Signals(-code).name}"
            except ValueError:
                died = f"signal {-code}"
        else:
            died = f"exit status {code}"
        status = "stopped" if self._stopping else "finished" if code == 0 else "failed"
        return {
            "type": "end",
            "status": status,
            "exit_code": code,
            "traceback": None,
            "message": f"the script's process ended ({died}) before it could report; "
            f"{self.iteration} training iterations had been reported",
            "summary": None,
        }

    def _lines(self, stream: str, partial: dict[str, bytes], data: bytes) -> None:
        text = partial[stream] + data
        *lines, rest = text.split(b"\n")
        for line in lines:
            self._line(stream, line + b"\n")
        while len(rest) > MAX_LINE:
            self._line(stream, rest[:MAX_LINE])
            rest = rest[MAX_LINE:]
        partial[stream] = rest

    def _redrawn(self, partial: dict[str, bytes]) -> bool:
        """Pass on a line without newline that is being redrawn with "\r" (a progress bar) as
        it stands, at most every REDRAW_WAIT seconds per stream: the page shows the line's
        latest state while it is redrawn (its pieces join up again there, and in the text).
        True while such a line waits for its turn."""
        waiting = False
        now = time.monotonic()
        for stream, rest in partial.items():
            if b"\r" not in rest:
                continue
            if now - self._redrawn_at[stream] < REDRAW_WAIT:
                waiting = True
                continue
            cut = _whole_characters(rest)
            if cut:
                self._redrawn_at[stream] = now
                self._line(stream, rest[:cut])
                partial[stream] = rest[cut:]
        return waiting

    def _line(self, stream: str, line: bytes) -> None:
        if not self._held:
            self._held_since = time.monotonic()
        self._read_bytes[stream] += len(line)
        # invalid UTF-8 (binary written to stdout) becomes U+FFFD, as a terminal shows it
        text = line.decode("utf-8", errors="replace")
        self._held.append((stream, text, self._read_bytes[stream]))
        if len(self._held) > MAX_HELD:
            self._release_lines()

    def _release_lines(self, before: Event | None = None) -> None:
        """Emit held lines as output of `print_iteration`: all of them, or (`before`, a
        `printed` event) those that end at or before its byte offsets; the rest wait."""
        held, self._held = self._held, []
        for stream, text, end in held:
            if before is not None and end > before[stream]:
                self._held.append((stream, text, end))
                continue
            self._emit(
                {
                    "type": "output",
                    "stream": stream,
                    "text": text,
                    "iteration": self.print_iteration,
                }
            )
        if self._held:
            self._held_since = time.monotonic()


def _whole_characters(data: bytes) -> int:
    """How many bytes of `data` end on a whole UTF-8 character (a piece cut there decodes as
    the whole line would: a bar's "█" is not split in two)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return len(data)
        if byte >= 0xC0:  # the lead byte of the last character: complete when all followed
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return len(data) if back >= need else len(data) - back
    return len(data)
