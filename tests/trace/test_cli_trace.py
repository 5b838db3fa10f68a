"""`loopscope trace script.py`: the script's output, a summary line, its exit status."""

from __future__ import annotations

import subprocess
import sys

from ._drive import SCRIPTS


def test_trace_command_exits_with_the_script() -> None:
    script = str(SCRIPTS / "exits_early.py")
    command = [
        sys.executable,
        "-m",
        "loopscope.cli",
        "trace",
        "--headless",
        "--exit-with-script",
        script,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 3
    assert done.stdout == "leaving early\n"
    assert "finished (exit status 3), 2 training iterations" in done.stderr
