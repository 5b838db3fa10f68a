"""The traced script's process: `python -m loopscope.trace.runner --fd N script.py args...`.

Installs the hooks, then runs the script as `python script.py args` would: same
interpreter, `__name__ == "__main__"`, `sys.argv`, the script's folder first on
`sys.path`, on this process's main thread; the working directory, stdin and the
environment are left as they are.  Reports the end on the channel and exits with
the script's exit status.
"""

from __future__ import annotations

import contextlib
import os
import runpy
import sys
import traceback
from typing import Any

import torch

from ..protocol import ChildStarted, EndEvent, EndStatus, TraceSummary
from .channel import Channel
from .hooks import install
from .location import Locator
from .tracer import Tracer, TraceStopped

STOPPED_EXIT = 130  # as a shell reports a process ended by Ctrl-C


class _Watched:
    """sys.stdout / sys.stderr as they were, counting the bytes the script wrote through them
    (so the tracer can tell the parent where each iteration's output starts)."""

    def __init__(self, stream: Any, tracer: Tracer, name: str) -> None:
        self._stream = stream
        self._tracer = tracer
        self._name = name

    def write(self, text: str) -> int:
        self._tracer.writing()  # before the text: it marks where this iteration's output starts
        written: int = self._stream.write(text)
        self._tracer.written[self._name] += len(
            text.encode(self._stream.encoding or "utf-8", self._stream.errors or "strict")
        )
        return written

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    @property
    def buffer(self) -> _CountedBuffer:
        """The byte stream below (`sys.stdout.buffer.write(b"...")`), counted as well."""
        return _CountedBuffer(self._stream.buffer, self._tracer, self._name)


class _CountedBuffer:
    """The binary buffer under a watched stream: bytes written through it are counted too."""

    def __init__(self, buffer: Any, tracer: Tracer, name: str) -> None:
        self._buffer = buffer
        self._tracer = tracer
        self._name = name

    def write(self, data: Any) -> int:
        self._tracer.writing()
        written: int = self._buffer.write(data)
        self._tracer.written[self._name] += written
        return written

    def __getattr__(self, name: str) -> Any:
        return getattr(self._buffer, name)


def _script_traceback(exc: BaseException, locator: Locator) -> str:
    """The traceback Python prints for `python script.py`: without the runner's frames."""
    tb = exc.__traceback__
    while tb is not None and not locator.owns(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


NOTEBOOK_NAMES = ("get_ipython", "display")  # exist only inside IPython / Jupyter


def _notebook_hint(exc: BaseException) -> str | None:
    """A sentence for a notebook export that calls IPython's own functions, else None."""
    name = getattr(exc, "name", None)
    if not isinstance(exc, NameError) or name not in NOTEBOOK_NAMES:
        return None
    return (
        f"{name}() exists only inside IPython/Jupyter: this script looks exported from a "
        "notebook; delete its magic lines (%matplotlib, !pip ...) or guard them with "
        "`try: ... except NameError: pass`, then run it again"
    )


def _exit_code(exc: SystemExit) -> int:
    """The status `sys.exit(arg)` gives, printing a non-integer argument as Python does."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def run(fd: int, script: str, args: list[str]) -> int:
    """Run `script` traced; its exit status."""
    channel = Channel.from_fd(fd)
    path = os.path.abspath(script)
    locator = Locator(os.path.dirname(path))
    tracer = Tracer(channel, locator)
    install(tracer)
    sys.argv = [script, *args]
    sys.path[0] = os.path.dirname(path)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    sys.stdout = _Watched(sys.stdout, tracer, "stdout")
    sys.stderr = _Watched(sys.stderr, tracer, "stderr")
    started: ChildStarted = {
        "type": "started",
        "pid": os.getpid(),
        "script": path,
        "argv": sys.argv,
        "torch": torch.__version__,
    }
    channel.send(started)
    status: EndStatus = "finished"
    code, text, message = 0, None, "the script finished"
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exc:
        code = _exit_code(exc)
        message = f"the script called sys.exit({exc.code!r})"
    except TraceStopped:
        status, code, message = "stopped", STOPPED_EXIT, "stopped before the script ended"
    except BaseException as exc:  # noqa: BLE001 - the script's own error, reported as Python would
        status, code = "failed", 1
        text = _script_traceback(exc, locator)
        message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        sys.stderr.write(text)
        hint = _notebook_hint(exc)
        if hint is not None and tracer.active:
            with contextlib.suppress(OSError):
                tracer.notice("notebook_only", hint)
    summary: TraceSummary | None = None
    try:
        summary = tracer.finish()
    except TraceStopped:
        pass
    finally:
        tracer.active = False
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        end: EndEvent = {
            "type": "end",
            "status": status,
            "exit_code": code,
            "traceback": text,
            "message": message,
            "summary": summary,
        }
        channel.send(end)
    except OSError:
        pass  # the parent is gone: nobody to tell
    return code


def main(argv: list[str] | None = None) -> int:
    """Parse `--fd N script args...` and run."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 3 or argv[0] != "--fd" or not argv[1].isdigit():
        print("usage: python -m loopscope.trace.runner --fd N script.py [args...]", file=sys.stderr)
        return 2
    return run(int(argv[1]), argv[2], argv[3:])


if __name__ == "__main__":
    raise SystemExit(main())
