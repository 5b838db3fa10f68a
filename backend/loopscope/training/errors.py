"""A refused command, and pydantic's validation errors as the field path and code it names."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class CommandError(Exception):
    """A refused command: `code` and `field` go into the error event."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


MAX_FIELD_CHARS = 80  # a field name is echoed back; one made up by the client is cut
# pydantic error types that mean "a number outside its bounds" (code out_of_range)
BOUND_ERRORS = frozenset(("greater_than", "greater_than_equal", "less_than", "less_than_equal"))


def field_path(loc: Any) -> str:
    """A pydantic error location as a dotted field path, cut to MAX_FIELD_CHARS."""
    path = ".".join(str(part) for part in loc)
    return path if len(path) <= MAX_FIELD_CHARS else path[: MAX_FIELD_CHARS - 1] + "…"


def error_code(error_type: str) -> str:
    """The ErrorCode of a pydantic error type outside a config: out_of_range for a number
    outside its bounds, invalid_message for anything else (shape, type, missing, extra)."""
    return "out_of_range" if error_type in BOUND_ERRORS else "invalid_message"


def first_error(exc: ValidationError, prefix: str = "") -> CommandError:
    """A pydantic ValidationError as a CommandError naming the first offending field."""
    err = exc.errors(include_url=False)[0]
    loc = field_path(err["loc"])
    field = f"{prefix}.{loc}" if prefix and loc else (prefix or loc or None)
    code = "invalid_config" if prefix == "config" else error_code(err["type"])
    return CommandError(code, f"{field}: {err['msg']}", field)
