"""Frames waiting to be sent, within a byte budget; a slow reader gets the latest phase,
never a growing backlog.

The outbox does not know where its events come from (a built-in run, a traced script):
whatever feeds it, one connection never holds more than its budget in waiting frames.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import orjson

ENCODE_OPTIONS = orjson.OPT_SERIALIZE_NUMPY
MAX_MERGED_LOSSES = 10_000  # losses one phase event carries
# Losses spilled out of coalesced phase events wait compactly, in a `losses` event, up to
# this many; a reader that falls further behind than that loses the oldest ones.
MAX_SPILLED_LOSSES = 200_000


def encode(event: Any) -> bytes:
    """An event as the JSON bytes of its frame."""
    return orjson.dumps(event, option=ENCODE_OPTIONS)


# Fields a phase event may leave out when they did not change since the last event that
# carried them: a dropped event's must reach the client with the event replacing it.
CARRIED_FIELDS = ("params", "grads")


def _carry_tensors(dropped: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """`event`, given the fields `dropped` carried and it leaves out (a copy when it takes
    any: the event may be shared with other outboxes)."""
    missing = [key for key in CARRIED_FIELDS if key not in event and key in dropped]
    if not missing:
        return event
    return {**event, **{key: dropped[key] for key in missing}}


class Entry:
    """A queued event and the bytes it will take (encoded now, except a growing `losses`)."""

    __slots__ = ("event", "frame", "size")

    def __init__(self, event: dict[str, Any], frame: bytes | None, size: int) -> None:
        self.event = event
        self.frame = frame
        self.size = size


class Outbox:
    """A queue of events in which consecutive phase events coalesce (latest wins), and so do
    consecutive progress events.

    A dropped phase event hands its `params` and `grads` to the one replacing it when that
    one leaves them out (unchanged since the dropped one), and its `losses`, so every
    iteration's loss still reaches the client: beyond MAX_MERGED_LOSSES the older ones move,
    compactly, into a `losses` event queued just before it.  Other events keep their order.
    When what waits passes `budget` bytes, `overflow` is set: the connection must close.
    """

    def __init__(self, budget: int) -> None:
        self._queue: deque[Entry] = deque()
        self._ready = asyncio.Event()
        self.budget = budget
        self.nbytes = 0
        self.coalesced = 0
        self.overflow = asyncio.Event()

    def put(self, events: list[dict[str, Any]]) -> None:
        """Queue events, replacing a queued phase event at the tail by a newer one."""
        for event in events:
            tail = self._queue[-1].event if self._queue else None
            if tail is not None and event["type"] == "phase" and tail["type"] == "phase":
                self._pop_tail()
                self._merge_losses(tail, event)
                event = _carry_tensors(tail, event)
                self.coalesced += 1
            elif tail is not None and event["type"] == tail["type"] == "progress":
                self._pop_tail()  # only the newest progress matters
                self.coalesced += 1
            self._append(event)
        if self._queue:
            self._ready.set()
        if self.nbytes > self.budget:
            self.overflow.set()

    def _append(self, event: dict[str, Any]) -> None:
        frame = encode(event)
        self._queue.append(Entry(event, frame, len(frame)))
        self.nbytes += len(frame)

    def _pop_tail(self) -> None:
        self.nbytes -= self._queue.pop().size

    def _merge_losses(self, dropped: dict[str, Any], event: dict[str, Any]) -> None:
        """Give `event` the losses of the phase event it replaces (the oldest spilled)."""
        older, newer = dropped["losses"], event["losses"]
        values = older["values"] + newer["values"]
        first = older["first"] if older["values"] else newer["first"]
        if len(values) > MAX_MERGED_LOSSES:
            over = len(values) - MAX_MERGED_LOSSES
            self._spill(first, values[:over], event["n_batches"])
            first, values = first + over, values[over:]
        event["losses"] = {"first": first, "values": values}

    def _spill(self, first: int, values: list[Any], n_batches: int) -> None:
        """Queue the losses of iterations `first`, `first + 1`, ... as a `losses` event,
        extending the one at the tail when they follow on from it."""
        entry = self._queue[-1] if self._queue else None
        tail: dict[str, Any] = entry.event if entry is not None else {"type": None}
        follows = tail["type"] == "losses" and tail["first"] + len(tail["values"]) == first
        if entry is None or not follows:
            tail = {"type": "losses", "first": first, "n_batches": n_batches, "values": []}
            entry = Entry(tail, None, len(encode(tail)))
            self._queue.append(entry)
            self.nbytes += entry.size
        # The values' text without its brackets, and a comma after those already there.
        added = len(encode(values)) - 2 + (1 if tail["values"] else 0)
        tail["values"].extend(values)
        entry.size += added
        self.nbytes += added
        drop = len(tail["values"]) - MAX_SPILLED_LOSSES
        if drop > 0:
            del tail["values"][:drop]
            tail["first"] += drop
            size = len(encode(tail))
            self.nbytes += size - entry.size
            entry.size = size

    async def get(self) -> bytes:
        """The next frame to send (waits for one)."""
        while not self._queue:
            self._ready.clear()
            await self._ready.wait()
        entry = self._queue.popleft()
        self.nbytes -= entry.size
        return entry.frame if entry.frame is not None else encode(entry.event)

    def take_all(self) -> list[dict[str, Any]]:
        """Every queued event, in order, leaving the outbox empty."""
        events = [entry.event for entry in self._queue]
        self._queue.clear()
        self.nbytes = 0
        return events

    def __len__(self) -> int:
        return len(self._queue)
