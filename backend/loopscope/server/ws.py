"""/ws: check the Origin, admit within the connection limits, hand the socket to a Connection."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.websockets import WebSocket

from ..config import Settings
from .admission import Admission
from .connection import Connection
from .messages import refuse
from .runs import RunRegistry
from .traceconn import TraceConnection


def origin_allowed(websocket: WebSocket, settings: Settings) -> bool:
    """Same-origin (Origin is exactly the page's own scheme://host[:port], which is what a
    browser sends from a page this server served) or listed in settings.allowed_origins.

    A client that sends no Origin (not a browser) cannot be hijacked cross-site and is let in.
    """
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    if origin in settings.allowed_origins or "*" in settings.allowed_origins:
        return True
    scheme = "https" if websocket.url.scheme == "wss" else "http"
    host = websocket.headers.get("host", "")
    parts = urlsplit(origin)
    same = parts.scheme == scheme and parts.netloc.lower() == host.lower()
    return same and not (parts.path or parts.query or parts.fragment or parts.username)


async def websocket_endpoint(websocket: WebSocket) -> None:
    """One run per connection: commands in, events out."""
    settings: Settings = websocket.app.state.settings
    stats: RunRegistry = websocket.app.state.stats
    admission: Admission = websocket.app.state.admission
    if not origin_allowed(websocket, settings):
        await websocket.close(code=1008)  # before accept: the handshake gets HTTP 403
        return
    # Connections, not runs: a learner coming back for a parked run must get in to `resume`
    # it; a new run beyond the limit (parked ones included) is refused at `start`.
    client = websocket.client.host if websocket.client else ""
    refusal = admission.refusal(client)
    if refusal is not None:
        await refuse(websocket, 1013, refusal)
        return
    await websocket.accept()
    sockets: set[WebSocket] = websocket.app.state.sockets
    sockets.add(websocket)
    traced = websocket.app.state.traced
    connection: Connection | TraceConnection
    if traced is not None:  # `loopscope trace`: every tab watches the one script
        connection = TraceConnection(websocket, settings, traced)
    else:
        connection = Connection(websocket, settings, stats, websocket.app.state.work)
    admission.add(connection, client)
    try:
        await connection.serve()
    finally:
        admission.discard(connection)
        sockets.discard(websocket)
