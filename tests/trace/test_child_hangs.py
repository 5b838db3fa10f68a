"""A script that never comes back to its gate: Restart still ends it (the stop command, then
SIGTERM, then SIGKILL), and the server answers other tabs meanwhile."""

from __future__ import annotations

from pathlib import Path

import pytest

from ._served import assert_answers, is_type, served, write_script

HANGS = {
    # a busy loop outside any phase, deaf to SIGTERM: only SIGKILL ends it
    "SIGKILL": """
signal.signal(signal.SIGTERM, signal.SIG_IGN)
for i in range(5):
    train_step()
    if i == 1:
        print("spinning", flush=True)
        while True:
            pass
""",
    # blocked reading a stdin that nobody writes to: SIGTERM ends it
    "SIGTERM": """
for i in range(5):
    train_step()
    if i == 1:
        print("waiting for input", flush=True)
        input()
""",
}


@pytest.mark.parametrize("ended_by", list(HANGS))
def test_restart_ends_a_script_that_hangs(tmp_path: Path, ended_by: str) -> None:
    script = write_script(tmp_path, HANGS[ended_by])
    with served(script) as server:
        tab = server.tab()
        first = tab.until(is_type("session"))[-1]
        tab.send(type="step", unit="iteration", count=5)
        hung = ("spinning\n", "waiting for input\n")
        tab.until(lambda e: e["type"] == "output" and e["text"] in hung)
        # the child neither reaches a gate nor reads the channel; another tab still connects
        assert assert_answers(server)[0]["run_id"] == first["run_id"]
        tab.send(type="reset")
        events = tab.until(lambda e: e["type"] == "session" and e["run_id"] != first["run_id"])
        (end,) = [e for e in events if e["type"] == "end"]
        assert end["status"] == "stopped" and end["exit_code"] < 0  # ended by a signal
        assert f"signal {ended_by}" in end["message"]
        # the fresh child runs the script from the top and stops at its first gate
        tab.send(type="step", unit="iteration", count=1)
        phases = tab.until(lambda e: e["type"] == "phase" and e["phase"] == "step")
        assert phases[-1]["iteration"] == 0
        assert assert_answers(server)[0]["run_id"] != first["run_id"]
        tab.close()
