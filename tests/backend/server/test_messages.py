"""A received message before any run sees it: screened, parsed, or refused naming the field."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from loopscope.protocol import StepCommand
from loopscope.server.messages import TOO_BIG, parse_command, screen_message
from loopscope.server.protocols import TokenBucket


def text(payload: Any) -> dict[str, Any]:
    return {"type": "websocket.receive", "text": orjson.dumps(payload).decode()}


def bucket(tokens: float = 10) -> TokenBucket:
    return TokenBucket(rate=1e-9, burst=tokens)  # refills too slowly to matter in a test


def test_a_valid_command_comes_out_validated() -> None:
    command = screen_message(text({"type": "step", "unit": "epoch", "count": 3}), 1000, bucket())
    assert command == StepCommand(type="step", unit="epoch", count=3)


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({"type": "step", "count": 0}, "out_of_range", "count"),
        ({"type": "step", "unit": "fortnight"}, "invalid_message", "unit"),
        ({"type": "teleport"}, "invalid_message", "type"),
        ([1, 2, 3], "invalid_message", "type"),
        ({"type": "step", "count": 1, "extra": True}, "invalid_message", "extra"),
    ],
)
def test_a_refusal_names_the_field(payload: Any, code: str, field: str) -> None:
    event = parse_command(orjson.dumps(payload).decode())
    assert event["type"] == "error"
    assert (event["code"], event["field"]) == (code, field), event


def test_a_refusal_never_echoes_what_the_client_sent() -> None:
    event = parse_command('{"type": "<script>alert(1)</script>"}')
    assert "<script>" not in event["message"]


def test_bad_json_is_refused_as_such() -> None:
    event = parse_command("{not json")
    assert (event["type"], event["code"]) == ("error", "invalid_json")


def test_size_is_checked_in_bytes_before_anything_else() -> None:
    # 300 characters of 3 bytes each: under a 400 limit as characters, over it as UTF-8.
    message = {"type": "websocket.receive", "text": "中" * 300}
    empty = bucket(0)
    assert screen_message(message, 400, empty) is TOO_BIG
    assert empty.tokens == 0  # nothing was spent on a message that closes the socket


def test_binary_frames_and_floods_are_refused_in_order() -> None:
    tokens = bucket(1)
    binary = screen_message({"type": "websocket.receive", "bytes": b"{}"}, 1000, tokens)
    assert (binary["code"], binary["field"]) == ("invalid_message", None)
    flood = screen_message(text({"type": "pause"}), 1000, tokens)
    assert flood["code"] == "rate_limited"
