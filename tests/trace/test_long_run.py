"""A long run (50 000 iterations) driven the way a learner does: fast-forwarded to the end,
paused on the way, watched by a second tab that joins while it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loopscope.trace.source import TraceSource

from ._drive import SCRIPTS, start_plain
from .test_scripts import _assert_same_state
from .test_web import is_type, send, until
from .test_web import traced as traced  # noqa: PLC0414 - the fixture, used by name

ITERATIONS = 50_000


def test_pause_on_the_way_then_fast_forward_to_the_end(tmp_path: Path) -> None:
    plain = start_plain(SCRIPTS / "long_run.py", [str(tmp_path / "plain.pt")])
    source = TraceSource(str(SCRIPTS / "long_run.py"), [str(tmp_path / "traced.pt")], echo=False)
    try:
        events = source.start()
        events += source.step("iteration", ITERATIONS // 4)  # the last one is captured
        first_end = source.iteration
        source.play()
        events += source.pause()
        paused = source.iteration
        assert source.end is None and ITERATIONS // 4 == first_end < paused < ITERATIONS
        while source.end is None:
            events += source.step("iteration", 10 * ITERATIONS)
    finally:
        source.close()
    out, _ = plain.communicate(timeout=300)
    assert source.end is not None and source.end["summary"]["iterations"] == ITERATIONS
    losses = [v for e in events if e["type"] == "trace_losses" for v in e["values"]]
    assert len(losses) == ITERATIONS
    text = "".join(e["text"] for e in events if e["type"] == "output" and e["stream"] == "stdout")
    assert text == out.decode()
    _assert_same_state(tmp_path / "plain.pt", tmp_path / "traced.pt")


def test_the_page_keeps_answering_while_it_runs_to_the_end(traced: Any) -> None:
    client = traced("long_run.py")
    with client.websocket_connect("/ws") as one:
        until(one, is_type("session"))
        send(one, type="step", unit="iteration", count=ITERATIONS)
        with client.websocket_connect("/ws") as two:  # joins while the script runs
            replay = until(two, is_type("play_state"))
            assert replay[0]["type"] == "session"
        events = until(one, is_type("end"))
        end = events[-1]
        assert (end["status"], end["summary"]["iterations"]) == ("finished", ITERATIONS)
        chunks = [e for e in events if e["type"] == "losses"]
        losses = {c["first"] + k for c in chunks for k, _ in enumerate(c["values"])}
        assert losses == set(range(ITERATIONS))  # every iteration's loss reached the page
