"""Frames waiting to be sent; a slow reader gets the latest phase, never a growing backlog."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

MAX_MERGED_LOSSES = 10_000


class Outbox:
    """A queue of event dicts in which consecutive phase events coalesce (latest wins).

    A dropped phase event hands its `losses` to the one replacing it, so every
    iteration's loss still reaches the client.  Other events keep their order.
    """

    def __init__(self) -> None:
        self._queue: deque[dict[str, Any]] = deque()
        self._ready = asyncio.Event()
        self.coalesced = 0

    def put(self, events: list[dict[str, Any]]) -> None:
        """Queue events, replacing a queued phase event at the tail by a newer one."""
        for event in events:
            tail = self._queue[-1] if self._queue else None
            if event["type"] == "phase" and tail is not None and tail["type"] == "phase":
                merged = tail["losses"] + event["losses"]
                event["losses"] = merged[-MAX_MERGED_LOSSES:]
                self._queue[-1] = event
                self.coalesced += 1
            else:
                self._queue.append(event)
        if self._queue:
            self._ready.set()

    async def get(self) -> dict[str, Any]:
        """The next event to send (waits for one)."""
        while not self._queue:
            self._ready.clear()
            await self._ready.wait()
        return self._queue.popleft()

    def __len__(self) -> int:
        return len(self._queue)
