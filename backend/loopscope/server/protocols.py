"""uvicorn's HTTP and websocket protocols with the limits a client must not get past.

Below the app: a client that never finishes its request headers, floods pings (each
answered with a pong written straight to the socket) or sends text that is not UTF-8
costs the server nothing beyond these bounds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from ..config import Settings

log = logging.getLogger(__name__)
# Bytes a connection's socket may hold unsent beyond the transport's own high-water mark
# (which pauses the app's frames) before it is dropped: only pongs are written past it.
WRITE_BUFFER_SLACK = 256 * 1024


class TokenBucket:
    """`rate` per second, bursts up to `burst`."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def take(self) -> bool:
        """Spend one token; False when none is left."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def websocket_protocol(settings: Settings) -> type[WebSocketsSansIOProtocol]:
    """The websocket protocol class with this server's control-frame limits."""
    rate = settings.control_frames_per_second

    class GuardedWebSocketProtocol(WebSocketsSansIOProtocol):
        """Pings and pongs are rate-limited (1008 past it); a socket whose unsent bytes pass
        the slack is dropped; a text frame that is not UTF-8 is logged in one line (1007)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.control = TokenBucket(rate, 2 * rate)

        def handle_ping(self) -> None:
            if self._control_frame_allowed():
                super().handle_ping()

        def handle_pong(self, event: Any) -> None:
            if self._control_frame_allowed():
                super().handle_pong(event)

        def _control_frame_allowed(self) -> bool:
            if self.transport.get_write_buffer_size() > WRITE_BUFFER_SLACK:
                self.transport.abort()  # it sends and does not read: nothing more is written
                return False
            if self.control.take():
                return True
            self._fail(1008, "too many control frames")
            return False

        def send_receive_event_to_app(self) -> None:
            if self.curr_msg_data_type == "text" and not self.close_sent:
                try:
                    b"".join(self.frames).decode()
                except UnicodeDecodeError:
                    self.frames = []
                    log.warning("text frame from %s is not UTF-8: closed (1007)", self.client)
                    self._fail(1007, "text is not UTF-8")
                    return
            super().send_receive_event_to_app()

        def _fail(self, code: int, reason: str) -> None:
            if self.close_sent or self.transport.is_closing():
                return
            self.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
            self.conn.fail(code, reason)
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.close_sent = True
            self.transport.close()

    return GuardedWebSocketProtocol


def http_protocol(settings: Settings) -> type[H11Protocol]:
    """The HTTP protocol class: a request's headers must arrive within header_timeout_s."""
    timeout = settings.header_timeout_s

    class HeaderTimeoutProtocol(H11Protocol):
        """Closes a connection whose client has not finished a request's headers in time
        (from connecting, or from the end of the previous response)."""

        header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:
                self._disarm()  # the headers are in

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self.conn.their_state is h11.IDLE:
                self._arm()

        def handle_websocket_upgrade(self, event: h11.Request) -> None:
            self._disarm()
            super().handle_websocket_upgrade(event)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self.header_timer = self.loop.call_later(timeout, self._expire)

        def _disarm(self) -> None:
            if self.header_timer is not None:
                self.header_timer.cancel()
                self.header_timer = None

        def _expire(self) -> None:
            self.header_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

    return HeaderTimeoutProtocol


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn.run options `loopscope serve` uses (tests start their servers with them)."""
    return {
        "host": settings.host,
        "port": settings.port,
        "http": http_protocol(settings),
        "ws": websocket_protocol(settings),
        "ws_max_size": settings.max_message_bytes,  # uvicorn refuses bigger frames itself (1009)
    }
