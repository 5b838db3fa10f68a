"""Helpers: the real `loopscope trace` command as a subprocess, and tabs on its /ws.

Everything waits with a timeout: a hung child or server fails the test, it never hangs it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from websockets.sync.client import ClientConnection, connect

from loopscope.protocol import EVENT_ADAPTER

Event = dict[str, Any]
TIMEOUT = 60.0  # seconds any one wait may take on a loaded machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def trace_command(*args: str) -> list[str]:
    """`loopscope trace ARGS` with this interpreter."""
    return [sys.executable, "-m", "loopscope.cli", "trace", *args]


class Served:
    """A running `loopscope trace --no-open --port P script`, its output read in threads."""

    def __init__(self, script: Path, *options: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        command = trace_command("--port", str(self.port), *options, str(script))
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,  # open and never written: input() in the script blocks
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.stdout = bytearray()
        self.stderr = bytearray()
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self.stdout)),
            threading.Thread(target=self._read, args=(self.process.stderr, self.stderr)),
        ]
        for reader in self._readers:
            reader.daemon = True
            reader.start()

    @staticmethod
    def _read(pipe: Any, into: bytearray) -> None:
        while chunk := pipe.read1(1 << 16):
            into += chunk

    def tab(self) -> Tab:
        """A new tab, connected once the server listens."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                ws = connect(f"ws://127.0.0.1:{self.port}/ws", open_timeout=TIMEOUT)
                return Tab(ws.__enter__())  # closed by Tab.close
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"no server: {self.stderr.decode()[-2000:]}") from None
                time.sleep(0.2)

    def rss_peak(self) -> int:
        """The server process's peak resident memory so far, in bytes (Linux)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024

    def wait(self) -> int:
        code = self.process.wait(TIMEOUT)
        for reader in self._readers:
            reader.join(TIMEOUT)
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # Ctrl-C: uvicorn shuts down, the child ends
            try:
                self.process.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.wait()
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()


class Tab:
    """One websocket on the traced run, every event validated against the protocol."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    def send(self, **command: Any) -> None:
        self.ws.send(orjson.dumps(command).decode())

    def receive(self) -> Event:
        event: Event = orjson.loads(self.ws.recv(timeout=TIMEOUT))
        EVENT_ADAPTER.validate_python(event)
        return event

    def until(self, done: Callable[[Event], bool]) -> list[Event]:
        """Events up to and including the first for which `done` holds."""
        events = [self.receive()]
        while not done(events[-1]):
            events.append(self.receive())
        return events

    def close(self) -> None:
        self.ws.close()


def is_type(kind: str) -> Callable[[Event], bool]:
    return lambda e: e["type"] == kind


@contextmanager
def served(script: Path, *options: str, env: dict[str, str] | None = None) -> Iterator[Served]:
    """`loopscope trace` on `script`, stopped with Ctrl-C at the end of the block."""
    server = Served(script, "--no-open", *options, env=env)
    try:
        yield server
    finally:
        server.close()


def assert_answers(server: Served) -> list[Event]:
    """A new tab gets the run's session at once: the server is responsive."""
    tab = server.tab()
    try:
        events = tab.until(is_type("play_state"))  # the replay ends with the play state
        if events[0]["type"] != "session":  # connected before the child had started
            events = tab.until(is_type("session"))
    finally:
        tab.close()
    assert events[0]["type"] == "session"
    return events


def write_script(folder: Path, body: str, name: str = "train.py") -> Path:
    """A small training script: `body` runs where the loop is (model, x, y, optimizer)."""
    script = folder / name
    script.write_text(PRELUDE + body)
    return script


PRELUDE = """import os, sys, signal, time
import torch
from torch import nn
torch.manual_seed(0)
model = nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(8, 2), torch.randn(8, 1)
def train_step():
    loss = nn.functional.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""


def environment(**extra: str) -> dict[str, str]:
    """This process's environment plus `extra`."""
    return {**os.environ, **extra}
