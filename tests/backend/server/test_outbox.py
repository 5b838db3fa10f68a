"""The outbox: consecutive phase events coalesce (latest wins, losses merged); others keep order."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from loopscope.server.outbox import MAX_MERGED_LOSSES, MAX_SPILLED_LOSSES, Outbox


def phase(n: int, losses: list[int] | None = None) -> dict[str, Any]:
    """A phase event whose iterations `losses` (consecutive) ended with loss float(i)."""
    iterations = losses or []
    chunk = {"first": iterations[0] if iterations else n, "values": [float(i) for i in iterations]}
    return {"type": "phase", "n": n, "n_batches": 1, "losses": chunk}


def iterations_of(chunk: dict[str, Any]) -> list[int]:
    return list(range(chunk["first"], chunk["first"] + len(chunk["values"])))


UNBOUNDED = 1 << 40


def drain(outbox: Outbox) -> list[dict[str, Any]]:
    return outbox.take_all()


def test_consecutive_phases_coalesce_latest_wins_losses_merged() -> None:
    outbox = Outbox(UNBOUNDED)
    outbox.put([phase(1, [0])])
    outbox.put([phase(2, [1, 2])])
    outbox.put([phase(3)])
    (event,) = drain(outbox)
    assert event["n"] == 3
    assert iterations_of(event["losses"]) == [0, 1, 2]
    assert outbox.coalesced == 2


def test_other_events_keep_their_order_and_break_coalescing() -> None:
    outbox = Outbox(UNBOUNDED)
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
    assert [i for e in events if e["type"] == "phase" for i in iterations_of(e["losses"])] == [
        0,
        1,
        2,
    ]


def reported(events: list[dict[str, Any]]) -> list[tuple[int, float]]:
    """(iteration, loss) of every loss the events carry, in the order they carry them."""
    out: list[tuple[int, float]] = []
    for e in events:
        chunk = e if e["type"] == "losses" else e["losses"]
        out += [(chunk["first"] + k, v) for k, v in enumerate(chunk["values"])]
    return out


def test_losses_beyond_a_phase_event_spill_into_a_losses_event_before_it() -> None:
    outbox = Outbox(UNBOUNDED)
    outbox.put([phase(1, list(range(MAX_MERGED_LOSSES)))])
    outbox.put([phase(2, [MAX_MERGED_LOSSES, MAX_MERGED_LOSSES + 1])])
    outbox.put([phase(3, [MAX_MERGED_LOSSES + 2])])
    events = drain(outbox)
    assert [e["type"] for e in events] == ["losses", "phase"]
    assert len(events[1]["losses"]["values"]) == MAX_MERGED_LOSSES
    assert events[1]["n"] == 3  # the newest phase is kept
    # Every loss, once each, in order: the spills of both merges joined into one event.
    n = MAX_MERGED_LOSSES + 3
    assert reported(events) == [(i, float(i)) for i in range(n)]
    assert events[0]["first"] == 0 and events[0]["n_batches"] == 1


def test_spilled_losses_are_bounded_for_a_reader_far_behind() -> None:
    outbox = Outbox(UNBOUNDED)
    chunk = MAX_MERGED_LOSSES
    total = MAX_SPILLED_LOSSES + 3 * chunk
    for start in range(0, total, chunk):
        outbox.put([phase(start, list(range(start, start + chunk)))])
    events = drain(outbox)
    assert [e["type"] for e in events] == ["losses", "phase"]
    iterations = [i for i, _ in reported(events)]
    assert len(iterations) == MAX_SPILLED_LOSSES + MAX_MERGED_LOSSES  # oldest dropped
    assert iterations == list(range(total - len(iterations), total))


def test_a_gap_starts_a_new_losses_event() -> None:
    outbox = Outbox(UNBOUNDED)
    outbox.put([{"type": "losses", "first": 0, "n_batches": 1, "values": [0.0]}])
    outbox.put([phase(1, list(range(5, 5 + MAX_MERGED_LOSSES)))])
    outbox.put([phase(2, [5 + MAX_MERGED_LOSSES])])
    events = drain(outbox)
    assert [e["type"] for e in events] == ["losses", "losses", "phase"]
    assert events[1]["first"] == 5


async def test_get_waits_for_an_event() -> None:
    outbox = Outbox(UNBOUNDED)
    getter = asyncio.create_task(outbox.get())
    await asyncio.sleep(0)
    assert not getter.done()
    outbox.put([phase(1)])
    assert json.loads(await asyncio.wait_for(getter, 5))["n"] == 1
    outbox.put([{"type": "graph", "n": 2}, phase(3)])
    assert json.loads(await outbox.get())["n"] == 2
    assert json.loads(await outbox.get())["n"] == 3
    assert len(outbox) == 0


async def test_nbytes_is_what_waits_to_be_sent() -> None:
    """The count the budget is checked against equals the bytes the frames really take
    (losses spilled into a growing `losses` event included, to within a few bytes)."""
    outbox = Outbox(UNBOUNDED)
    outbox.put([{"type": "session", "data": list(range(500))}])
    for start in range(0, 3 * MAX_MERGED_LOSSES, 1000):
        outbox.put([phase(start, list(range(start, start + 1000)))])
    outbox.put([{"type": "error", "code": "x"}])
    counted = outbox.nbytes
    frames = [await outbox.get() for _ in range(len(outbox))]
    sent = sum(len(f) for f in frames)
    assert abs(counted - sent) <= 16, (counted, sent)
    assert outbox.nbytes == 0


def test_overflow_is_set_past_the_budget_and_not_before() -> None:
    event = {"type": "session", "data": list(range(1000))}
    size = len(json.dumps(event, separators=(",", ":")))
    outbox = Outbox(3 * size)
    outbox.put([event, event, event])
    assert not outbox.overflow.is_set()
    outbox.put([phase(1)])
    assert outbox.overflow.is_set()


def test_coalesced_phases_do_not_count_twice() -> None:
    outbox = Outbox(UNBOUNDED)
    for n in range(100):
        outbox.put([phase(n)])
    assert outbox.nbytes == len(json.dumps(phase(99), separators=(",", ":")))
