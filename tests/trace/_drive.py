"""Helpers: run a test script plainly and traced (stepping to the end through TraceSource)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loopscope.protocol import CHILD_EVENT_ADAPTER
from loopscope.trace.source import TraceSource

SCRIPTS = Path(__file__).parent / "scripts"


@dataclass
class Traced:
    """Everything one traced run produced."""

    events: list[dict[str, Any]]
    exit_code: int
    end: dict[str, Any]
    stdout: str = ""
    stderr: str = ""
    phases: list[dict[str, Any]] = field(default_factory=list)

    def of(self, kind: str) -> list[dict[str, Any]]:
        """The events of one type."""
        return [e for e in self.events if e["type"] == kind]

    def losses(self) -> list[float | None]:
        """Every iteration's loss, from the trace_losses events."""
        out: list[float | None] = []
        for event in self.of("trace_losses"):
            assert event["first"] == len(out)
            out.extend(event["values"])
        return out


def start_plain(
    script: Path, args: list[str], stdin: bytes | None = None
) -> subprocess.Popen[bytes]:
    """`python script.py args` (started now, read with communicate())."""
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def trace(
    script: Path,
    args: list[str],
    phases: int = 10,
    iterations: int = 3,
    stdin: Any = subprocess.DEVNULL,
    rest: str = "iteration",
) -> Traced:
    """Trace `script`: `phases` single phases, then `iterations` iterations, then the rest
    by `rest` (by iteration: fast-forward, the last captured; by phase: all captured);
    every event validated against its model."""
    source = TraceSource(str(script), args, echo=False, stdin=stdin)
    events = source.start()
    try:
        for _ in range(phases):
            if source.end is not None:
                break
            events += source.step("phase", 1)
        if source.end is None:
            events += source.step("iteration", iterations)
        while source.end is None:
            events += source.step(rest, 100_000)
    finally:
        source.close()
    assert source.process is not None
    source.process.wait(timeout=60)
    for event in events:
        CHILD_EVENT_ADAPTER.validate_python(event)
    traced = Traced(events=events, exit_code=source.process.returncode, end=events[-1])
    traced.stdout = "".join(e["text"] for e in events if e.get("stream") == "stdout")
    traced.stderr = "".join(e["text"] for e in events if e.get("stream") == "stderr")
    traced.phases = [e for e in events if e["type"] == "phase"]
    return traced
