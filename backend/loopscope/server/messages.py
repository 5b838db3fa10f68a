"""What a received websocket message becomes before any run sees it: screened (size, rate,
text), parsed and validated into a command, or the error event that refuses it, naming the
field. Pure of runs, so a receiver can do it the moment a message arrives; shared by the
built-in and the traced connections.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import orjson
from pydantic import ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..protocol import COMMAND_ADAPTER
from ..training.errors import error_code, field_path
from .protocols import TokenBucket

COMMAND_NAMES = (
    "start",
    "step",
    "play",
    "pause",
    "reset",
    "rewind",
    "set",
    "resume",
    "tensor",
    "update",
    "sent",
    "shown",
)
COMMAND_TYPES = ", ".join(COMMAND_NAMES)


def parse_command(text: str) -> Any:
    """A message as a validated command, or the error event (a dict) that refuses it.
    Pure: it reads no run, so the receiver can do it as soon as a message arrives."""
    try:
        raw = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return error_event("invalid_json", f"not valid JSON: {exc}")
    if not isinstance(raw, dict):
        return error_event("invalid_message", "expected a JSON object with a 'type'", "type")
    if raw.get("type") not in COMMAND_NAMES:
        # Refused before pydantic, which would put (a repr of) the client's value in its
        # message — and a deeply nested one overflows the stack while doing so.
        return error_event("invalid_message", f"type: expected one of {COMMAND_TYPES}", "type")
    try:
        return COMMAND_ADAPTER.validate_python(raw)
    except ValidationError as exc:
        return validation_error(exc)


TOO_BIG = object()  # what screen_message answers for a message over the size limit


async def admit(
    websocket: WebSocket, message: Mapping[str, Any], max_bytes: int, commands: TokenBucket
) -> Any:
    """A received message screened (see screen_message), or None when the connection ends
    here: the client left, or sent a message over the size limit (closed with 1009)."""
    if message["type"] == "websocket.disconnect":
        return None
    item = screen_message(message, max_bytes, commands)
    if item is TOO_BIG:
        await websocket.close(code=1009, reason="message too big")
        return None
    return item


def screen_message(message: Mapping[str, Any], max_bytes: int, commands: TokenBucket) -> Any:
    """A received websocket message as a validated command, the error event refusing it
    (rate limit, binary frame, bad JSON or shape), or TOO_BIG (the socket must close)."""
    text: str | None = message.get("text")
    if text is not None:
        size = len(text) if text.isascii() else len(text.encode())
    else:
        size = len(message.get("bytes") or b"")
    if size > max_bytes:
        return TOO_BIG
    if not commands.take():
        return error_event("rate_limited", "too many commands; slow down")
    if text is None:
        return error_event("invalid_message", "binary frames are not accepted; send JSON text")
    return parse_command(text)


def error_event(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """An ErrorEvent dict."""
    return {"type": "error", "code": code, "message": message, "field": field}


def validation_error(exc: ValidationError) -> dict[str, Any]:
    """A command's ValidationError as an error event naming the offending field."""
    err = exc.errors(include_url=False)[0]
    loc = err["loc"]
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        # A fixed message: pydantic's would echo (a repr of) whatever the client sent.
        return error_event("invalid_message", f"type: expected one of {COMMAND_TYPES}", "type")
    field = field_path(loc[1:] if len(loc) > 1 else loc) if loc else None
    return error_event(error_code(err["type"]), f"{field}: {err['msg']}", field)


async def refuse(websocket: WebSocket, code: int, message: str) -> None:
    """Accept, say why in an error event, and close with `code`."""
    await websocket.accept()
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        await websocket.send_text(orjson.dumps(error_event("too_many_runs", message)).decode())
        await websocket.close(code=code, reason=message[:120])
