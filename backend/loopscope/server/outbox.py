"""Frames waiting to be sent; a slow reader gets the latest phase, never a growing backlog."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

MAX_MERGED_LOSSES = 10_000  # LossPoints one phase event carries
# Losses spilled out of coalesced phase events wait compactly, in a `losses` event, up to
# this many; a reader that falls further behind than that loses the oldest ones.
MAX_SPILLED_LOSSES = 200_000


class Outbox:
    """A queue of event dicts in which consecutive phase events coalesce (latest wins).

    A dropped phase event hands its `losses` to the one replacing it, so every iteration's
    loss still reaches the client: beyond MAX_MERGED_LOSSES the older ones move, compactly,
    into a `losses` event queued just before it.  Other events keep their order.
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
                self._queue.pop()
                if len(merged) > MAX_MERGED_LOSSES:
                    self._spill(merged[:-MAX_MERGED_LOSSES], event["n_batches"])
                    merged = merged[-MAX_MERGED_LOSSES:]
                event["losses"] = merged
                self._queue.append(event)
                self.coalesced += 1
            else:
                self._queue.append(event)
        if self._queue:
            self._ready.set()

    def _spill(self, points: list[dict[str, Any]], n_batches: int) -> None:
        """Queue `points` (consecutive iterations) as a `losses` event, extending the one at
        the tail when they follow on from it."""
        first = points[0]["iteration"]
        tail: dict[str, Any] = self._queue[-1] if self._queue else {"type": None}
        if tail["type"] != "losses" or tail["first"] + len(tail["values"]) != first:
            tail = {"type": "losses", "first": first, "n_batches": n_batches, "values": []}
            self._queue.append(tail)
        tail["values"].extend(p["loss"] for p in points)
        drop = len(tail["values"]) - MAX_SPILLED_LOSSES
        if drop > 0:
            del tail["values"][:drop]
            tail["first"] += drop

    async def get(self) -> dict[str, Any]:
        """The next event to send (waits for one)."""
        while not self._queue:
            self._ready.clear()
            await self._ready.wait()
        return self._queue.popleft()

    def __len__(self) -> int:
        return len(self._queue)
