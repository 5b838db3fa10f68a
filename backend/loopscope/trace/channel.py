"""Length-prefixed orjson frames over one end of a socketpair (child <-> parent).

A frame is a 4-byte big-endian length, then that many bytes of JSON.  Reads block in
the kernel (no polling): a child waiting at its gate costs no CPU.
"""

from __future__ import annotations

import select
import socket
import struct
from collections.abc import Mapping
from typing import Any

import orjson

_HEADER = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024


def _model_json(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if dump is None:
        raise TypeError(f"cannot encode {type(value).__name__}")
    return dump(mode="json", exclude_none=False)


class ChannelClosed(EOFError):
    """The other end closed the channel (its process ended or dropped it)."""


class Channel:
    """One end of a socketpair, carrying JSON objects as frames."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        sock.setblocking(True)

    @classmethod
    def from_fd(cls, fd: int) -> Channel:
        """The channel on an inherited socket file descriptor."""
        return cls(socket.socket(fileno=fd))

    def send(self, message: Mapping[str, Any]) -> None:
        """Encode `message` once and write it as one frame (pydantic models inside it, as
        capture code may return them, are written as their JSON form)."""
        self.send_bytes(
            orjson.dumps(message, default=_model_json, option=orjson.OPT_SERIALIZE_NUMPY)
        )

    def send_bytes(self, body: bytes) -> None:
        """Write an already encoded frame body."""
        self.sock.sendall(_HEADER.pack(len(body)) + body)

    def _read_exactly(self, n: int) -> bytes:
        chunks: list[bytes] = []
        while n:
            chunk = self.sock.recv(min(n, 1 << 20))
            if not chunk:
                raise ChannelClosed("the other end closed the channel")
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def recv(self) -> dict[str, Any]:
        """Block until the next frame arrives; its JSON object."""
        (length,) = _HEADER.unpack(self._read_exactly(_HEADER.size))
        if length > MAX_FRAME:
            raise ValueError(f"frame of {length} bytes exceeds the limit of {MAX_FRAME}")
        message = orjson.loads(self._read_exactly(length))
        if not isinstance(message, dict):
            raise ValueError(f"expected a JSON object in a frame, got {type(message).__name__}")
        return message

    def pending(self) -> bool:
        """True when a frame (or the end of the channel) can be read without blocking."""
        readable, _, _ = select.select([self.sock], [], [], 0)
        return bool(readable)

    def fileno(self) -> int:
        """The socket's file descriptor (for selectors)."""
        return self.sock.fileno()

    def close(self) -> None:
        """Close this end."""
        self.sock.close()


def channel_pair() -> tuple[Channel, socket.socket]:
    """A parent channel and the raw socket to hand to the child (inheritable)."""
    parent, child = socket.socketpair()
    child.set_inheritable(True)
    return Channel(parent), child


class FrameBuffer:
    """Frames out of bytes read in arbitrary pieces (for a non-blocking reader)."""

    def __init__(self) -> None:
        self._data = bytearray()

    def feed(self, data: bytes) -> None:
        """Append bytes just read."""
        self._data += data

    def next(self) -> dict[str, Any] | None:
        """The next complete frame's JSON object, or None until more bytes arrive."""
        if len(self._data) < _HEADER.size:
            return None
        (length,) = _HEADER.unpack_from(self._data)
        if length > MAX_FRAME:
            raise ValueError(f"frame of {length} bytes exceeds the limit of {MAX_FRAME}")
        end = _HEADER.size + length
        if len(self._data) < end:
            return None
        message = orjson.loads(bytes(self._data[_HEADER.size : end]))
        del self._data[:end]
        if not isinstance(message, dict):
            raise ValueError(f"expected a JSON object in a frame, got {type(message).__name__}")
        return message
