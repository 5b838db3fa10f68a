"""A real uvicorn server on 127.0.0.1 with given settings (the options `loopscope serve` uses),
and a raw websocket client that can do what a well-behaved library never does: not read,
flood pings, send bytes that are not UTF-8."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import uvicorn

from loopscope.config import Settings, as_served
from loopscope.server.app import create_app
from loopscope.server.protocols import uvicorn_options


@contextlib.contextmanager
def serving(server: uvicorn.Server, sock: socket.socket) -> Iterator[threading.Thread]:
    """Run `server` in a thread (yielded) on the bound `sock` until the block ends."""
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield thread
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
        assert not thread.is_alive(), "uvicorn did not stop"


def bound_socket(bind: str = "127.0.0.1") -> socket.socket:
    """A TCP socket bound to a free port of `bind`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((bind, 0))
    return sock


def uvicorn_server(settings: Settings, app: Any = None) -> uvicorn.Server:
    """uvicorn configured as `loopscope serve` configures it (host and port: the socket's)."""
    options = {k: v for k, v in uvicorn_options(settings).items() if k not in ("host", "port")}
    app = app if app is not None else create_app(settings)
    return uvicorn.Server(uvicorn.Config(app, log_level="warning", **options))


@contextlib.contextmanager
def live_server(bind: str = "127.0.0.1", **overrides: Any) -> Iterator[str]:
    """host:port of a server running `overrides` (device cpu), stopped on exit."""
    settings = as_served(Settings(device="cpu", host=bind, port=0, **overrides))
    sock = bound_socket(bind)
    port = sock.getsockname()[1]
    with serving(uvicorn_server(settings), sock):
        yield f"{bind}:{port}"


def health(host: str) -> dict[str, Any]:
    """GET /api/health."""
    body: dict[str, Any] = httpx.get(f"http://{host}/api/health", timeout=10).json()
    return body


def wait_for(predicate: Any, seconds: float = 10.0) -> bool:
    """Poll `predicate` until it holds (True) or `seconds` pass (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


class RawClient:
    """A websocket client on a bare socket: it reads only when told to."""

    def __init__(self, host: str, headers: dict[str, str] | None = None, rcvbuf: int = 0) -> None:
        name, port = host.rsplit(":", 1)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(10)
        self.sock.connect((name, int(port)))
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            "GET /ws HTTP/1.1",
            f"Host: {host}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
        ] + [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = self.sock.recv(1)
            assert chunk, "closed during the handshake"
            answer += chunk
        self.status = int(answer.split(b" ", 2)[1])

    def send_frame(self, opcode: int, payload: bytes) -> None:
        """One masked frame (client frames must be masked)."""
        mask = os.urandom(4)
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send_json(self, message: dict[str, Any]) -> None:
        self.send_frame(0x1, json.dumps(message).encode())

    def read_frame(self) -> tuple[int, bytes]:
        """(opcode, payload) of the next frame; (-1, b"") when the server closed the socket."""
        head = self._read(2)
        if len(head) < 2:
            return -1, b""
        n = head[1] & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read(8))[0]
        return head[0] & 0x0F, self._read(n)

    def close_code(self) -> int | None:
        """Read until the server's close frame: its code (None if the socket just ended)."""
        while True:
            opcode, payload = self.read_frame()
            if opcode == -1:
                return None
            if opcode == 0x8:
                return int(struct.unpack("!H", payload[:2])[0]) if len(payload) >= 2 else 1005

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            try:
                chunk = self.sock.recv(n - len(data))
            except (ConnectionResetError, TimeoutError):
                return data
            if not chunk:
                return data
            data += chunk
        return data

    def close(self) -> None:
        self.sock.close()
