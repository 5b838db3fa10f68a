"""/ws: check the Origin, refuse beyond the connection limit, hand the socket to a Connection."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.websockets import WebSocket

from ..config import Settings
from .connection import Connection, refuse
from .runs import RunRegistry


def origin_allowed(websocket: WebSocket, settings: Settings) -> bool:
    """Same-origin (Origin's host:port equals Host) or listed in settings.allowed_origins.

    A client that sends no Origin (not a browser) cannot be hijacked cross-site and is let in.
    """
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    if origin in settings.allowed_origins or "*" in settings.allowed_origins:
        return True
    return urlsplit(origin).netloc == websocket.headers.get("host")


async def websocket_endpoint(websocket: WebSocket) -> None:
    """One run per connection: commands in, events out."""
    settings: Settings = websocket.app.state.settings
    stats: RunRegistry = websocket.app.state.stats
    if not origin_allowed(websocket, settings):
        await websocket.close(code=1008)  # before accept: the handshake gets HTTP 403
        return
    # Connections, not runs: a learner coming back for a parked run must get in to `resume`
    # it; a new run beyond the limit (parked ones included) is refused at `start`.
    if stats.connections >= settings.max_runs:
        await refuse(
            websocket, 1013, f"server busy: {settings.max_runs} runs already; try again later"
        )
        return
    await websocket.accept()
    sockets: set[WebSocket] = websocket.app.state.sockets
    sockets.add(websocket)
    try:
        await Connection(websocket, settings, stats).serve()
    finally:
        sockets.discard(websocket)
