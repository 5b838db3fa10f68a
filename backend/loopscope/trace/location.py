"""Which line of the script is running: the innermost frame in the script's folder."""

from __future__ import annotations

import os
import sys
from types import CodeType, FrameType
from typing import Any

from ..protocol import TraceLocation

_PACKAGE = os.path.dirname(os.path.dirname(os.path.realpath(__file__))) + os.sep


class Locator:
    """Finds the innermost frame whose file lies in the script's folder (not a library's)."""

    def __init__(self, folder: str) -> None:
        self.folder = os.path.realpath(folder) + os.sep
        self._mine: dict[str, str | None] = {}  # co_filename → path relative to the folder
        self._positions: dict[CodeType, list[Any]] = {}

    def _relative(self, filename: str) -> str | None:
        known = self._mine.get(filename, "")
        if known != "":
            return known
        path = os.path.realpath(filename)
        inside = (
            path.startswith(self.folder)
            and not path.startswith(_PACKAGE)
            and "site-packages" not in path
        )
        relative = os.path.relpath(path, self.folder) if inside else None
        self._mine[filename] = relative
        return relative

    def frame(self, skip: int = 1) -> tuple[FrameType, str] | None:
        """The innermost frame in the script's folder and its relative file, or None."""
        frame: FrameType | None = sys._getframe(skip + 1)
        while frame is not None:
            relative = self._relative(frame.f_code.co_filename)
            if relative is not None:
                return frame, relative
            frame = frame.f_back
        return None

    def locate(self, skip: int = 1) -> TraceLocation | None:
        """TraceLocation of the innermost script frame: line, and with co_positions() the
        columns, which tell two calls on one line apart."""
        found = self.frame(skip + 1)
        if found is None:
            return None
        frame, relative = found
        code = frame.f_code
        positions = self._positions.get(code)
        if positions is None:
            positions = self._positions[code] = list(code.co_positions())
        index = frame.f_lasti // 2
        line, end_line, col, end_col = (
            positions[index] if 0 <= index < len(positions) else (frame.f_lineno, None, None, None)
        )
        return {
            "file": relative,
            "line": line if line is not None else frame.f_lineno,
            "end_line": end_line,
            "col": col,
            "end_col": end_col,
            "function": code.co_qualname,
        }

    def owns(self, filename: str) -> bool:
        """True when `filename` is one of the script's files."""
        return self._relative(filename) is not None
