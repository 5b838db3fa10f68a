"""A child that dies without reporting (os._exit, SIGKILL from outside, a segfault): every
tab gets an `end` with what is known, and the server answers a new tab afterwards."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

from ._served import assert_answers, is_type, served, write_script

DEATHS = {
    "exit status 7": "os._exit(7)",
    "signal SIGKILL": "print('pid', os.getpid(), flush=True); time.sleep(600)",
    "signal SIGSEGV": "import ctypes; ctypes.string_at(0)",
}


@pytest.mark.parametrize("died", list(DEATHS))
def test_a_child_that_dies_ends_the_run(tmp_path: Path, died: str) -> None:
    body = f"for i in range(5):\n    train_step()\n    if i == 1:\n        {DEATHS[died]}\n"
    script = write_script(tmp_path, body)
    with served(script) as server:
        tab = server.tab()
        tab.until(is_type("session"))
        tab.send(type="step", unit="iteration", count=1)
        tab.until(lambda e: e["type"] == "phase" and e["phase"] == "step")
        tab.send(type="step", unit="iteration", count=3)
        if died == "signal SIGKILL":  # killed from outside, as by the OOM killer
            line = tab.until(lambda e: e["type"] == "output" and e["text"].startswith("pid"))
            os.kill(int(line[-1]["text"].split()[1]), signal.SIGKILL)
        end = tab.until(is_type("end"))[-1]
        assert end["status"] == "failed" and end["summary"] is None
        assert f"({died})" in end["message"]
        # the parent knows of 1 or 2 iterations, depending on whether the child sent the 2nd
        reported = re.search(r"(\d+) training iterations had been reported", end["message"])
        assert reported is not None and reported[1] in ("1", "2")
        tab.send(type="step", unit="phase", count=1)
        assert "has ended" in tab.until(is_type("error"))[-1]["message"]
        replay = assert_answers(server)  # a new tab is told how the run ended
        assert [e for e in replay if e["type"] == "end"] == [end]
        tab.close()
