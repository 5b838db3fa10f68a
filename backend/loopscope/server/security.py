"""HTTP guards: security headers on every response, the Host guard, the body size limit."""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import is_loopback

# The UI is one origin: scripts, styles, fonts and the websocket all come from 'self'.
# KaTeX and D3 set inline style attributes, hence 'unsafe-inline' for styles only.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """ASGI middleware adding HEADERS to HTTP responses (websockets pass through untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _error_response(status: int, code: str, message: str) -> tuple[Message, Message]:
    """An ApiError answer as the two ASGI messages that send it."""
    body = orjson.dumps({"code": code, "message": message, "field": None})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    start: Message = {"type": "http.response.start", "status": status, "headers": headers}
    return start, {"type": "http.response.body", "body": body}


class HostGuard:
    """Serve only listed Host names (DNS-rebinding guard); loopback names are always served,
    since a browser sends them only to a server it reached on a loopback address itself."""

    def __init__(self, app: ASGIApp, allowed_hosts: list[str]) -> None:
        self.app = app
        self.allowed = [h.lower() for h in allowed_hosts]

    def allows(self, host_header: str) -> bool:
        """Whether a Host header value (with or without its port) names this server."""
        name = host_header.strip().lower()
        name = name[: name.rindex("]") + 1] if name.startswith("[") else name.split(":")[0]
        if "*" in self.allowed or name in self.allowed or is_loopback(name):
            return True
        return any(p.startswith("*.") and name.endswith(p[1:]) for p in self.allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
        if self.allows(host):
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # the handshake gets 403
        else:
            for message in _error_response(400, "invalid_message", "Host: not served here"):
                await send(message)


class _BodyTooLarge(BaseException):
    """Raised out of `receive` past the limit: a BaseException, so that the framework's
    own `except Exception` (which would turn it into a 400) lets it through."""


class BodyLimit:
    """413 for an HTTP body over `max_bytes`: unread when Content-Length says so up front,
    else as soon as the chunks received pass it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise _BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except _BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        message = f"body: larger than {self.max_bytes} bytes"
        start, body = _error_response(413, "payload_too_large", message)
        start["headers"].append((b"connection", b"close"))
        await send(start)
        await send(body)
