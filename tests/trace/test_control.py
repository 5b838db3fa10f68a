"""Driving a traced run: the first gate, stop, pause during play, restart, refused commands."""

from __future__ import annotations

import pytest

from loopscope.trace.source import TraceError, TraceSource

from ._drive import SCRIPTS


def _source() -> TraceSource:
    return TraceSource(str(SCRIPTS / "linear_regression.py"), [], echo=False)


def test_waits_before_the_first_phase_then_stops() -> None:
    source = _source()
    try:
        events = source.start()
        gate = events[-1]
        assert (gate["type"], gate["next"], gate["iteration"]) == ("gate", "forward", 0)
        assert gate["location"]["file"] == "linear_regression.py"
        assert [e["type"] for e in events][0] == "started"
        assert source.step("phase", 2)[-1]["next"] == "zero_grad"
        end = source.stop()[-1]
        assert (end["status"], end["exit_code"]) == ("stopped", 130)
        assert source.process is not None and source.process.returncode == 130
        with pytest.raises(TraceError, match="has ended"):
            source.step("phase", 1)
    finally:
        source.close()


def test_play_pause_and_restart() -> None:
    source = _source()
    try:
        source.start()
        source.play()
        events = source.pause()
        gate = events[-1]
        assert gate["type"] == "gate" and gate["next"] == "forward"
        assert not any(e["type"] == "phase" for e in events)  # free running: nothing captured
        losses = [v for e in events if e["type"] == "trace_losses" for v in e["values"]]
        assert len(losses) == gate["iteration"] == source.iteration
        events = source.restart()
        assert events[-1]["type"] == "gate" and events[-1]["iteration"] == 0
        assert source.step("iteration", 1)[-1]["iteration"] == 1
    finally:
        source.close()


def test_refuses_bad_input() -> None:
    with pytest.raises(FileNotFoundError, match="script"):
        TraceSource(str(SCRIPTS / "missing.py"))
    source = _source()
    with pytest.raises(TraceError, match="not started"):
        source.step("phase", 1)
    with pytest.raises(ValueError, match="unit"):
        source.step("epoch", 1)
    with pytest.raises(ValueError, match="count"):
        source.step("phase", 0)
