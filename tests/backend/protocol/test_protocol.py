"""The protocol models: commands parse strictly, every event the engine makes validates."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter, ValidationError

from loopscope.config import Settings
from loopscope.protocol import (
    COMMAND_ADAPTER,
    EVENT_ADAPTER,
    PHASES,
    SCENARIO_CONFIGS,
    PhaseEvent,
    StepCommand,
    protocol_schema,
)
from loopscope.server.app import create_app
from loopscope.server.messages import error_event
from loopscope.training.scenarios import SCENARIOS

from .._helpers import check_event, make_session, receive_text, step_phases, wire


def test_commands_parse_with_defaults() -> None:
    step = COMMAND_ADAPTER.validate_python({"type": "step"})
    assert isinstance(step, StepCommand) and (step.unit, step.count) == ("phase", 1)
    start = COMMAND_ADAPTER.validate_python({"type": "start"})
    assert (start.scenario, start.config) == ("linear", {})
    play = COMMAND_ADAPTER.validate_python({"type": "play", "unit": "epoch", "rate": 5})
    assert (play.unit, play.rate) == ("epoch", 5.0)
    rewind = COMMAND_ADAPTER.validate_python({"type": "rewind", "iteration": 3})
    assert rewind.iteration == 3
    assert COMMAND_ADAPTER.validate_python({"type": "set", "lr": 0.1}).lr == 0.1


@pytest.mark.parametrize(
    "raw",
    [
        {"type": "step", "count": 0},
        {"type": "step", "count": 100_001},
        {"type": "step", "unit": "week"},
        {"type": "step", "extra": 1},
        {"type": "play", "rate": 0},
        {"type": "rewind"},
        {"type": "rewind", "iteration": -1},
        {"type": "set", "lr": float("nan")},
        {"type": "start", "scenario": "resnet"},
        {"type": "launch"},
        {},
    ],
)
def test_bad_commands_are_refused(raw: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        COMMAND_ADAPTER.validate_python(raw)


def test_error_events_validate() -> None:
    for event in (
        error_event("invalid_json", "not JSON"),
        error_event("out_of_range", "iteration: 9", "iteration"),
    ):
        EVENT_ADAPTER.validate_python(orjson.loads(orjson.dumps(event)))
    with pytest.raises(ValidationError):
        EVENT_ADAPTER.validate_python(error_event("no_such_code", "x"))


@pytest.mark.parametrize(
    ("scenario", "config"),
    [
        ("linear", {"n_points": 9, "batch_size": 4, "optimizer": "momentum"}),
        ("linear", {"n_points": 9, "loss": "l1", "frozen": ["linear.bias"]}),
        ("linear", {"n_points": 9, "skip_zero_grad": True, "optimizer": "adamw"}),
        ("mlp", {"n_points": 9, "hidden": [3, 2], "activation": "relu"}),
        ("classify", {"n_points": 9, "hidden": [3], "optimizer": "sgd"}),
    ],
)
def test_every_engine_event_validates_after_a_wire_roundtrip(
    scenario: str, config: dict[str, Any]
) -> None:
    session = make_session(scenario, **config)
    seen: set[str] = set()
    check_event(session.session_event())
    for event in step_phases(session, 15):
        seen.add(event["type"] if event["type"] != "phase" else event["phase"])
    for unit, count in (("iteration", 2), ("epoch", 1)):
        for event in session.step(unit, count):
            check_event(event)
    check_event(session.rewind(1)[0])
    check_event(session.set({"lr": 0.5})[0])
    check_event(session.reset()[0])
    assert seen == {"graph", "forward", "loss", "zero_grad", "backward", "step"}


def test_events_with_non_finite_numbers_validate() -> None:
    session = make_session("linear", n_points=10, lr=10.0)
    for _ in range(40):
        for event in step_phases(session, 5):
            check_event(event)
    assert session.stepper.diverged
    check_event(session.session_event())


def test_phase_event_rejects_unknown_fields() -> None:
    session = make_session("linear", n_points=5)
    *_, event = step_phases(session, 5)  # the step: its params changed, so it carries them
    adapter = TypeAdapter(PhaseEvent)
    adapter.validate_python(wire(event))
    with pytest.raises(ValidationError):
        adapter.validate_python({**wire(event), "surprise": 1})
    nested = wire(event)
    nested["params"]["linear.bias"]["surprise"] = 1  # a TensorValue inside: forbidden too
    with pytest.raises(ValidationError):
        adapter.validate_python(nested)


def test_protocol_schema_lists_every_message_and_resolves() -> None:
    schema = protocol_schema()
    assert schema["commands"] == [
        "StartCommand",
        "StepCommand",
        "PlayCommand",
        "PauseCommand",
        "ResetCommand",
        "RewindCommand",
        "SetCommand",
        "ResumeCommand",
        "TensorCommand",
        "UpdateCommand",
        "SentCommand",
        "ShownCommand",
    ]
    assert schema["events"] == [
        "SessionEvent",
        "GraphEvent",
        "PhaseEvent",
        "LossesEvent",
        "ErrorEvent",
        "PlayStateEvent",
        "ProgressEvent",
        "OutputEvent",
        "EndEvent",
        "NoticeEvent",
        "EvaluationEvent",
        "TensorEvent",
        "UpdateEvent",
        "SentEvent",
    ]
    defs = schema["$defs"]
    for name in schema["commands"] + schema["events"]:
        assert name in defs
    text = json.dumps(schema)
    prefix = "#/$defs/"
    refs = {part.split('"')[0] for part in text.split(prefix)[1:]}
    assert refs and refs <= set(defs)


# ---------------------------------------------------------------- the documented example

DOC = Path(__file__).resolve().parents[3] / "docs" / "protocol.md"


def _addresses_removed(value: Any) -> Any:
    """A frame without what differs from process to process: memory addresses."""
    if isinstance(value, dict):
        return {k: _addresses_removed(v) for k, v in value.items() if k not in ("id", "data_ptr")}
    if isinstance(value, list):
        return [_addresses_removed(v) for v in value]
    return value


def test_the_documented_example_frames_are_what_the_server_sends() -> None:
    text = DOC.read_text(encoding="utf-8")
    example = text[text.index("## Example: one iteration of `linear`") :]
    documented = [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", example, re.S)]
    sent = []
    with TestClient(create_app(Settings(device="cpu"))) as client:
        with client.websocket_connect("/ws") as ws:
            ws.send_text('{"type":"start","scenario":"linear","config":{"n_points":3}}')
            assert json.loads(receive_text(ws))["type"] == "session"
            for _ in range(5):
                ws.send_text('{"type":"step","unit":"phase","count":1}')
                while (frame := json.loads(receive_text(ws)))["type"] != "phase":
                    sent.append(frame)
                sent.append(frame)
            ws.send_text('{"type":"step","count":"x"}')
            sent.append(json.loads(receive_text(ws)))
    assert len(documented) == len(sent) == 7
    for doc, real in zip(documented, sent, strict=True):
        EVENT_ADAPTER.validate_python(doc)
        assert _addresses_removed(doc) == _addresses_removed(real)


# ---------------------------------------------------------------- names from one place


def test_scenario_names_come_from_the_registry() -> None:
    """A scenario registered in training/scenarios.py is a valid `start` and is listed in
    the schema's StartCommand and SessionEvent, with its config model."""
    schema = protocol_schema()
    start = schema["$defs"]["StartCommand"]["properties"]["scenario"]
    assert start["enum"] == list(SCENARIOS) and start["default"] == next(iter(SCENARIOS))
    for name, scenario in SCENARIOS.items():
        assert COMMAND_ADAPTER.validate_python({"type": "start", "scenario": name})
        assert SCENARIO_CONFIGS[name] is scenario.config_cls
        assert scenario.config_cls.__name__ in schema["$defs"]
    session = schema["$defs"]["SessionEvent"]["properties"]["scenario"]
    assert [s.get("enum") for s in session["anyOf"] if "enum" in s] == [list(SCENARIOS)]


def test_phase_names_are_the_loop_source_order() -> None:
    schema = protocol_schema()
    phase = schema["$defs"]["PhaseEvent"]["properties"]["phase"]
    assert phase["enum"] == list(PHASES) == ["forward", "loss", "zero_grad", "backward", "step"]
