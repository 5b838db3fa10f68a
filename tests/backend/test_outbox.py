"""The outbox: consecutive phase events coalesce (latest wins, losses merged); others keep order."""

from __future__ import annotations

import asyncio
from typing import Any

from loopscope.outbox import MAX_MERGED_LOSSES, Outbox


def phase(n: int, losses: list[int] | None = None) -> dict[str, Any]:
    points = [{"iteration": i, "epoch": 0, "loss": float(i)} for i in (losses or [])]
    return {"type": "phase", "n": n, "losses": points}


def drain(outbox: Outbox) -> list[dict[str, Any]]:
    out = []
    while len(outbox):
        out.append(outbox._queue.popleft())
    return out


def test_consecutive_phases_coalesce_latest_wins_losses_merged() -> None:
    outbox = Outbox()
    outbox.put([phase(1, [0])])
    outbox.put([phase(2, [1, 2])])
    outbox.put([phase(3)])
    (event,) = drain(outbox)
    assert event["n"] == 3
    assert [p["iteration"] for p in event["losses"]] == [0, 1, 2]
    assert outbox.coalesced == 2


def test_other_events_keep_their_order_and_break_coalescing() -> None:
    outbox = Outbox()
    outbox.put([{"type": "session", "n": 0}, phase(1, [0])])
    outbox.put([{"type": "graph", "n": 1}, phase(2, [1])])
    outbox.put([phase(3, [2]), {"type": "error", "n": 4}, phase(5)])
    events = drain(outbox)
    assert [(e["type"], e["n"]) for e in events] == [
        ("session", 0),
        ("phase", 1),
        ("graph", 1),
        ("phase", 3),
        ("error", 4),
        ("phase", 5),
    ]
    # No loss is lost: phase 2's went to phase 3, which replaced it.
    assert [p["iteration"] for e in events if e["type"] == "phase" for p in e["losses"]] == [
        0,
        1,
        2,
    ]


def test_merged_losses_are_bounded() -> None:
    outbox = Outbox()
    outbox.put([phase(1, list(range(MAX_MERGED_LOSSES)))])
    outbox.put([phase(2, [MAX_MERGED_LOSSES, MAX_MERGED_LOSSES + 1])])
    (event,) = drain(outbox)
    losses = [p["iteration"] for p in event["losses"]]
    assert len(losses) == MAX_MERGED_LOSSES
    assert losses[-1] == MAX_MERGED_LOSSES + 1  # the newest are kept


async def test_get_waits_for_an_event() -> None:
    outbox = Outbox()
    getter = asyncio.create_task(outbox.get())
    await asyncio.sleep(0)
    assert not getter.done()
    outbox.put([phase(1)])
    assert (await asyncio.wait_for(getter, 5))["n"] == 1
    outbox.put([{"type": "graph", "n": 2}, phase(3)])
    assert (await outbox.get())["n"] == 2
    assert (await outbox.get())["n"] == 3
    assert len(outbox) == 0
