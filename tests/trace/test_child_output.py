"""A child that prints without end, or writes bytes that are not UTF-8: the terminal gets
everything, the page a bounded share (and a notice counting the rest), the server's memory
stays bounded, and stepping still works."""

from __future__ import annotations

from pathlib import Path

from ._drive import trace
from ._served import assert_answers, is_type, served, write_script

LINES = 400_000  # 100-byte lines: 40 MB through the server in one iteration
FLOOD = f"""
for i in range(3):
    train_step()
    if i == 0:
        line = "x" * 99
        for _ in range({LINES}):
            print(line)
        print("flood over", flush=True)
"""


def test_a_flood_of_output_is_bounded_and_stepping_still_works(tmp_path: Path) -> None:
    with served(write_script(tmp_path, FLOOD)) as server:
        tab = server.tab()
        tab.until(is_type("session"))
        before = server.rss_peak()
        tab.send(type="step", unit="iteration", count=1)  # the flood follows its step
        events = tab.until(lambda e: e["type"] == "phase" and e["phase"] == "step")
        tab.send(type="step", unit="iteration", count=1)
        events += tab.until(lambda e: e["type"] == "phase" and e["phase"] == "step")
        shown = sum(1 for e in events if e["type"] == "output")
        dropped = [e for e in events if e["type"] == "notice" and e["code"] == "output_dropped"]
        assert dropped and shown < LINES
        counted = sum(int(e["message"].split()[0]) for e in dropped)
        assert shown + counted == LINES + 1  # every line either shown or counted
        # Holding the flood would take far more than 40 MB of Python strings and events.
        assert server.rss_peak() - before < 30 << 20
        tab.send(type="step", unit="iteration", count=1)
        # (a phase of iteration 1 may come again first: after a session that names a model
        # found in it, the iteration's phases are sent again)
        tab.until(lambda e: e["type"] == "phase" and e["phase"] == "step" and e["iteration"] == 2)
        assert_answers(server)
        tab.close()
    # the terminal got every line
    assert server.stdout.count(b"x" * 99 + b"\n") == LINES
    assert b"flood over\n" in server.stdout


GARBAGE = """
for i in range(3):
    train_step()
    if i == 0:
        sys.stdout.buffer.write(bytes(range(256)) + b"\\n\\xff\\xfe tail\\n")
        sys.stdout.flush()
"""


def test_bytes_that_are_not_utf8_reach_the_page_replaced(tmp_path: Path) -> None:
    with served(write_script(tmp_path, GARBAGE)) as server:
        tab = server.tab()
        tab.until(is_type("session"))
        tab.send(type="step", unit="iteration", count=2)
        events = tab.until(lambda e: e["type"] == "phase" and e["phase"] == "step")
        lines = [e["text"] for e in events if e["type"] == "output"]
        # three lines (byte 10 is a newline); what is not UTF-8 shows as U+FFFD, one a byte
        assert lines[-3:] == [
            "".join(map(chr, range(11))),
            "".join(map(chr, range(11, 128))) + "\ufffd" * 128 + "\n",
            "\ufffd\ufffd tail\n",
        ]
        tab.send(type="step", unit="iteration", count=1)
        # (the phases of iteration 1 may come twice: again after the session that names the
        # model found in it)
        tab.until(lambda e: e["type"] == "phase" and e["iteration"] == 2)
        assert_answers(server)
        tab.close()
    assert bytes(range(256)) in server.stdout  # the terminal gets the bytes as written


EVERY_ITERATION = """
import sys
import torch

w = torch.zeros(1, requires_grad=True)
optimizer = torch.optim.SGD([w], lr=0.1)
for i in range(300):
    print(f"before {i}")
    optimizer.zero_grad()
    (w - 1).pow(2).sum().backward()
    optimizer.step()
    print(f"after {i}", file=sys.stderr if i % 2 else sys.stdout)
"""


def test_each_line_carries_the_iteration_it_was_printed_in_even_at_full_speed(
    tmp_path: Path,
) -> None:
    """At full speed the script runs far ahead of the parent's reading: a line is labelled by
    where it lies in its stream (the child's byte offsets), not by when it was read."""
    from loopscope.trace.source import TraceSource

    script = tmp_path / "every.py"
    script.write_text(EVERY_ITERATION)
    source = TraceSource(str(script), [], echo=False)
    try:
        events = source.start()
        while source.end is None:
            events += source.step("iteration", 1000)
    finally:
        source.close()
    lines = [e for e in events if e["type"] == "output"]
    assert len(lines) == 600
    for line in lines:
        word, index = line["text"].split()
        expected = int(index) + (word == "after")  # "after i" follows iteration i's step
        assert line["iteration"] == expected, line
    assert {line["stream"] for line in lines} == {"stdout", "stderr"}


PROGRESS = """
for i in range(3):
    train_step()
    print(f"\\rstep {i}", end="", flush=True)
sys.stderr.write("done, without a newline")
"""


def test_a_last_line_without_newline_comes_before_the_end(tmp_path: Path) -> None:
    traced = trace(write_script(tmp_path, PROGRESS), [])
    assert traced.stdout == "\rstep 0\rstep 1\rstep 2"
    assert traced.stderr == "done, without a newline"
    # (trace() keeps the events up to the end: the lines came before it)
    assert traced.events[-1]["type"] == "end"
