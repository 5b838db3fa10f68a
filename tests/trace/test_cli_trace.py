"""The real `loopscope trace` command, run as a subprocess: its exit status, its options,
the script's arguments, and what the browser may not do (choose the file)."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from ._drive import SCRIPTS
from ._served import (
    TIMEOUT,
    Served,
    assert_answers,
    environment,
    is_type,
    served,
    trace_command,
    write_script,
)

FINISHES = "for i in range(3):\n    train_step()\nprint('done')\n"
ARGV = "print(sys.argv)\n"


def _headless(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        trace_command("--headless", *args),
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 2,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("script", "status", "said"),
    [
        (None, 0, "finished (exit status 0), 3 training iterations"),
        (SCRIPTS / "exits_early.py", 3, "finished (exit status 3), 2 training iterations"),
        (SCRIPTS / "raises_midway.py", 1, "failed (exit status 1), 4 training iterations"),
    ],
)
def test_headless_exits_with_the_script_when_told(
    tmp_path: Path, script: Path | None, status: int, said: str
) -> None:
    path = str(script or write_script(tmp_path, FINISHES))
    done = _headless("--exit-with-script", path)
    assert done.returncode == status, done.stderr
    assert said in done.stderr
    if status == 1:  # the script's own traceback, as Python prints it
        assert "ValueError: boom at step 3" in done.stderr
    assert _headless(path).returncode == 0  # without the option: the command's own status


def test_script_arguments_after_the_double_dash_reach_sys_argv(tmp_path: Path) -> None:
    script = write_script(tmp_path, ARGV)
    done = _headless(str(script), "--", "--epochs", "3", "-x")
    assert done.stdout == f"{[str(script), '--epochs', '3', '-x']}\n"


def test_a_notebook_export_fails_with_its_reason_and_no_traceback_of_ours() -> None:
    # it fails before its first phase: the command must not try to play it afterwards
    done = _headless("--exit-with-script", str(SCRIPTS / "notebook_magic.py"))
    assert done.returncode == 1
    assert "NameError: name 'get_ipython' is not defined" in done.stderr
    assert "note (notebook_only): get_ipython() exists only inside IPython/Jupyter" in done.stderr
    assert "failed (exit status 1), 0 training iterations" in done.stderr
    assert "loopscope" not in done.stderr.replace("loopscope trace:", "")


def test_a_missing_script_is_a_usage_error() -> None:
    done = _headless(str(SCRIPTS / "missing.py"))
    assert done.returncode == 2
    assert "script: no such file" in done.stderr and "missing.py" in done.stderr


def test_served_exits_with_the_script_once_it_ends() -> None:
    with served(SCRIPTS / "exits_early.py", "--exit-with-script") as server:
        tab = server.tab()
        tab.until(is_type("session"))
        tab.send(type="step", unit="iteration", count=100)
        assert tab.until(is_type("end"))[-1]["exit_code"] == 3
        assert server.wait() == 3
    assert server.stdout == b"leaving early\n"  # the terminal got the script's output


def test_served_stays_up_after_the_script_ends(tmp_path: Path) -> None:
    with served(write_script(tmp_path, FINISHES)) as server:
        tab = server.tab()
        tab.until(is_type("session"))
        tab.send(type="step", unit="iteration", count=100)
        end = tab.until(is_type("end"))[-1]
        assert (end["status"], end["exit_code"]) == ("finished", 0)
        replay = assert_answers(server)  # a tab opened after the end can look back
        assert replay[-2] == end and server.process.poll() is None
        tab.close()
    # Ctrl-C: uvicorn shuts down (the run with it), then ends by the signal it caught
    assert server.process.returncode == -signal.SIGINT


def test_opens_a_browser_unless_told_not_to(tmp_path: Path) -> None:
    opened = tmp_path / "opened"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    browser.chmod(0o755)
    env = environment(BROWSER=str(browser))
    script = write_script(tmp_path, FINISHES)
    with served(script, env=env) as server:
        assert_answers(server)
    assert not opened.exists()
    server = Served(script, env=env)
    try:
        assert_answers(server)
        assert opened.read_text() == f"http://localhost:{server.port}/\n"
    finally:
        server.close()


def test_the_browser_cannot_choose_the_file(tmp_path: Path) -> None:
    script = write_script(tmp_path, FINISHES)
    other = write_script(tmp_path, ARGV, name="other.py")
    with served(script) as server:
        tab = server.tab()
        session = tab.until(is_type("session"))[-1]
        tab.send(type="start", scenario="linear", script=str(other))
        error = tab.until(is_type("error"))[-1]
        assert error["code"] == "invalid_message" and "script" in error["message"]
        tab.send(type="start", scenario="linear")
        error = tab.until(is_type("error"))[-1]
        assert error["code"] == "wrong_state" and error["field"] == "type"
        tab.send(type="step", unit="iteration", count=100)
        assert tab.until(is_type("end"))[-1]["status"] == "finished"
        assert assert_answers(server)[0]["description"] == session["description"] == str(script)
        tab.close()
    assert server.stdout == b"done\n"  # the other script never ran
