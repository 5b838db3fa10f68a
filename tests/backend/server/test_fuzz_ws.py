"""Property-based fuzzing of /ws: bad messages are refused one by one and change nothing.

Three long-lived connections share one app: `fuzz` and `twin` run the same scenario
with the same seed; `fresh` never starts a run.  Each hypothesis example sends a batch
of generated bad messages to `fuzz` (and a few to `fresh`), checks every answer is an
`error` with the expected `code` and `field`, then makes the same valid `step` on `fuzz`
and `twin` and requires identical numbers: a refused command must leave the run as it
was.  The messages cover malformed JSON, binary frames, JSON that is not an object,
unknown types, missing/extra fields, wrong types, NaN/Infinity/huge/negative numbers
(as JSON tokens and as strings), giant strings and arrays, deep nesting, and valid
commands in the wrong state.

The second half checks that every config bound is enforced before anything is built.
"""

from __future__ import annotations

import json
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.exceptions import StarletteDeprecationWarning

import loopscope.training.session as session_module
from loopscope.config import Settings
from loopscope.protocol import ErrorEvent
from loopscope.server.app import create_app
from loopscope.training.configs import CharLMConfig, ClassifyConfig, LinearConfig, MlpConfig

from .._helpers import receive_text

with warnings.catch_warnings():
    # starlette.testclient warns when it finds httpx rather than httpx2 (httpx is what the
    # dev extra pins); the warning is about the test client's transport, not about loopscope.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient, WebSocketTestSession

# No rate limit here (test_faults covers it): thousands of messages go out back to back.
FUZZ_SETTINGS = Settings(commands_per_second=1e9, max_play_rate=240.0)
MAX_BYTES = FUZZ_SETTINGS.max_message_bytes
START = {
    "type": "start",
    "scenario": "mlp",
    "config": {"hidden": [4], "n_points": 16, "batch_size": 4, "optimizer": "adam", "seed": 7},
}
COMMAND_FIELDS: dict[str, tuple[str, ...]] = {
    "start": ("scenario", "config"),
    "step": ("unit", "count"),
    "play": ("unit", "rate"),
    "pause": (),
    "reset": (),
    "rewind": ("iteration",),
    "set": ("lr", "momentum", "beta1", "beta2", "eps", "weight_decay", "skip_zero_grad"),
    "resume": ("token",),
    "tensor": ("name", "kind", "key"),
}
REQUIRED: dict[str, dict[str, Any]] = {
    "rewind": {"iteration": 0},
    "resume": {"token": "t"},
    "tensor": {"name": "w"},
}
ANY = "<any field>"  # the error's field is not checked (no single field is at fault)
CUDA = torch.cuda.is_available()
MPS = torch.backends.mps.is_available()


# ---------------------------------------------------------------- helpers


def _reject_constant(token: str) -> None:
    raise AssertionError(f"the server sent a bare {token} (not JSON)")


def recv(ws: WebSocketTestSession, timeout: float = 10.0) -> dict[str, Any]:
    """The next event, parsed as strict JSON; fails (instead of hanging) after `timeout`."""
    event: dict[str, Any] = json.loads(receive_text(ws, timeout), parse_constant=_reject_constant)
    return event


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def nest(depth: int, leaf: Any = 0) -> Any:
    value = leaf
    for i in range(depth):
        value = [value] if i % 2 else {"a": value}
    return value


def comparable(event: dict[str, Any]) -> dict[str, Any]:
    """A phase event without what legitimately differs between two runs (object ids)."""
    out = dict(event)
    capture = out.get("capture")
    if isinstance(capture, dict) and "references" in capture:
        capture = dict(capture)
        capture["references"] = [
            {k: v for k, v in ref.items() if k not in ("id", "data_ptr")}
            for ref in capture["references"]
        ]
        out["capture"] = capture
    return out


def step_and_collect(ws: WebSocketTestSession, command: dict[str, Any]) -> dict[str, Any]:
    """Send a valid step; return its phase event (after a graph event, if one comes)."""
    ws.send_text(dumps(command))
    event = recv(ws)
    if event["type"] == "graph":
        event = recv(ws)
    assert event["type"] == "phase", event
    return event


@dataclass(frozen=True)
class Bad:
    """One bad message and the error it must get."""

    payload: str | bytes
    code: str
    field: str | None
    rewind_past: int = 0  # > 0: a rewind this far past the newest iteration in history

    def text(self, last_iteration: int) -> str | bytes:
        if self.rewind_past:
            iteration = min(last_iteration + self.rewind_past, 10**9)
            return dumps({"type": "rewind", "iteration": iteration})
        return self.payload

    def __repr__(self) -> str:
        shown = self.payload if len(self.payload) <= 200 else self.payload[:200] + "…"
        extra = f", rewind_past={self.rewind_past}" if self.rewind_past else ""
        return f"Bad({shown!r}, {self.code}, {self.field}{extra})"


def check_error(event: dict[str, Any], bad: Bad) -> None:
    assert event["type"] == "error", (bad, event)
    ErrorEvent.model_validate(event)
    assert event["code"] == bad.code, (bad, event)
    if bad.field is not ANY:
        assert event["field"] == bad.field, (bad, event)
    assert event["message"], event


# ---------------------------------------------------------------- bad values

NUMBER_STRINGS = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "nan", "inf", "-inf"]
JUNK_STRINGS = ["", "one", "1.5.1", "0x1F", "--1", "1,5", "null", "[]", "{}", "✓"]


def giant_string() -> st.SearchStrategy[str]:
    """Up to just below max_message_bytes once encoded (é is two bytes in UTF-8)."""
    return st.builds(
        lambda size, c: c * (size // len(c.encode())),
        st.integers(1000, MAX_BYTES - 2000),
        st.sampled_from("x9é"),
    )


def containers() -> st.SearchStrategy[Any]:
    """Values of the wrong shape for any scalar field: lists, objects, deep and giant ones."""
    return st.one_of(
        st.lists(st.integers(-5, 5), max_size=3),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
        st.builds(nest, st.integers(1, 400)),
        st.builds(lambda n: [0] * n, st.integers(1000, MAX_BYTES // 2 - 1000)),
    )


class OutOfRange:
    """A value of the right type outside its bounds: refused with `out_of_range`."""

    def __init__(self, value: Any) -> None:
        self.value = value


def plain(value: Any) -> Any:
    """The value itself (a config refuses every bad value alike: `invalid_config`)."""
    return value.value if isinstance(value, OutOfRange) else value


def bad_int(lo: int, hi: int, optional: bool = False) -> st.SearchStrategy[Any]:
    # Within 64 bits: a bigger JSON integer is read as a float, not an integer at all.
    out_of_range = st.one_of(
        st.integers(max_value=lo - 1).map(lambda v: max(v, -(2**62))),
        st.integers(min_value=hi + 1).map(lambda v: min(v, 2**62)),
    )
    values = [
        out_of_range.map(OutOfRange),
        st.sampled_from([-(10**30), 10**30]),
        out_of_range.map(str),
        st.floats(allow_nan=False, allow_infinity=False).filter(lambda v: not v.is_integer()),
        st.sampled_from(NUMBER_STRINGS + JUNK_STRINGS + ["1.5"]),
        giant_string(),
        containers(),
    ]
    if not optional:
        values.append(st.none())
    return st.one_of(values)


def bad_float(
    lo: float, hi: float, *, lo_open: bool, hi_open: bool, optional: bool = False
) -> st.SearchStrategy[Any]:
    finite = {"allow_nan": False, "allow_infinity": False}
    values = [
        st.floats(max_value=lo, exclude_max=not lo_open, **finite).map(OutOfRange),
        st.floats(min_value=hi, exclude_min=not hi_open, **finite).map(OutOfRange),
        st.sampled_from([lo - 1, hi + 1, -(10**30), 10**30, -1e308, 1e308]).map(OutOfRange),
        st.sampled_from(NUMBER_STRINGS + JUNK_STRINGS),
        st.sampled_from([str(hi * 10 + 1), str(lo - 1)]),
        giant_string(),
        containers(),
    ]
    if not optional:
        values.append(st.none())
    return st.one_of(values)


def bad_literal(options: tuple[str, ...]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.text(max_size=20).filter(lambda s: s not in options),
        st.sampled_from([o.upper() for o in options] + [o + " " for o in options]),
        st.integers(),
        st.none(),
        giant_string(),
        containers(),
    )


BOOL_WORDS = {"0", "off", "f", "false", "n", "no", "1", "on", "t", "true", "y", "yes"}


def bad_bool() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.text(max_size=10).filter(lambda s: s.strip().lower() not in BOOL_WORDS),
        st.integers().filter(lambda v: v not in (0, 1)),
        st.floats(allow_nan=False, allow_infinity=False).filter(lambda v: v not in (0, 1)),
        containers(),
    )


def bad_str(max_length: int) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.just(""),
        st.text(min_size=max_length + 1, max_size=max_length + 50),
        giant_string(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
        st.none(),
        containers(),
    )


# ---------------------------------------------------------------- bad messages


def message(obj: dict[str, Any], code: str, field: str | None) -> Bad:
    return Bad(dumps(obj), code, field)


def malformed_json() -> st.SearchStrategy[Bad]:
    valid = [dumps(START), '{"type":"step","unit":"epoch","count":3}', '{"type":"pause"}']
    truncated = st.builds(
        lambda text, cut: text[: max(1, int(cut * len(text)))],
        st.sampled_from(valid),
        st.floats(0.0, 0.99),
    )
    tokens = st.builds(
        lambda template, token: template.replace("@", token),
        st.sampled_from(
            [
                '{"type":"step","count":@}',
                '{"type":"play","rate":@}',
                '{"type":"set","lr":@}',
                '{"type":"start","config":{"lr":@}}',
                '{"type":"rewind","iteration":@}',
                "@",
            ]
        ),
        st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "nan", "undefined"]),
    )
    fixed = st.sampled_from(
        [
            "",
            " ",
            "{",
            "}",
            "{'type': 'step'}",
            '{"type":"step",}',
            '{"type":"step"} trailing',
            '{"type":"step"}{"type":"step"}',
            '{type:"step"}',
            '{"type":"step" // comment\n}',
            '{"type":"\\ud800"}',  # a lone surrogate escape
            '{"type":"step","unit":"\\x"}',
            "\ufeff{}",
            "[" * 5000 + "]" * 5000,  # deeper than any JSON parser allows
            '{"a":' * 3000 + "1" + "}" * 3000,
        ]
    )
    return st.one_of(truncated, tokens, fixed).map(lambda text: Bad(text, "invalid_json", None))


def binary_frames() -> st.SearchStrategy[Bad]:
    return st.one_of(
        st.binary(max_size=512),
        st.just(dumps({"type": "step"}).encode()),
        st.builds(lambda n: b"\x00" * n, st.integers(1000, MAX_BYTES - 1)),
    ).map(lambda data: Bad(data, "invalid_message", None))


def non_objects() -> st.SearchStrategy[Bad]:
    return st.one_of(
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=50),
        st.none(),
        st.booleans(),
        st.lists(st.integers(), max_size=5),
        st.just([{"type": "step"}]),
        st.builds(lambda n: [0] * n, st.integers(1000, MAX_BYTES // 2 - 1000)),
    ).map(lambda value: message(value, "invalid_message", "type"))  # type: ignore[arg-type]


def unknown_types() -> st.SearchStrategy[Bad]:
    tag = st.one_of(
        st.text(max_size=30).filter(lambda s: s not in COMMAND_FIELDS),
        st.sampled_from(["Step", "STEP", " step", "step ", "start\x00", "__class__", "eval"]),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
        st.none(),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        st.builds(nest, st.integers(1, 400)),
        giant_string(),
    )
    with_type = st.builds(lambda t: {"type": t}, tag)
    without_type = st.dictionaries(
        st.text(max_size=10).filter(lambda k: k != "type"), st.integers(), max_size=3
    )
    return st.one_of(with_type, without_type).map(
        lambda obj: message(obj, "invalid_message", "type")
    )


def field_faults() -> st.SearchStrategy[Bad]:
    """One command with exactly one bad field (value, missing, or extra)."""
    cases: list[st.SearchStrategy[Bad]] = []

    def fault(command: str, name: str, values: st.SearchStrategy[Any]) -> None:
        base = {k: v for k, v in REQUIRED.get(command, {}).items() if k != name}

        def bad(v: Any) -> Bad:
            if isinstance(v, OutOfRange):
                return message({"type": command, **base, name: v.value}, "out_of_range", name)
            return message({"type": command, **base, name: v}, "invalid_message", name)

        cases.append(values.map(bad))

    units = ("phase", "iteration", "epoch")
    fault("step", "unit", bad_literal(units))
    fault("step", "count", bad_int(1, 100_000))
    fault("play", "unit", bad_literal(units))
    fault("play", "rate", bad_float(0, 10_000, lo_open=True, hi_open=False))
    fault("rewind", "iteration", bad_int(0, 10**9))
    fault("resume", "token", bad_str(64))
    fault("tensor", "name", bad_str(256))
    fault("tensor", "kind", bad_literal(("value", "grad", "state")))
    for name, lo, hi, lo_open, hi_open in [
        ("lr", 0, 10, True, False),
        ("momentum", 0, 1, False, True),
        ("beta1", 0, 1, False, True),
        ("beta2", 0, 1, False, True),
        ("eps", 0, 1, True, False),
        ("weight_decay", 0, 1, False, False),
    ]:
        fault("set", name, bad_float(lo, hi, lo_open=lo_open, hi_open=hi_open, optional=True))
    fault("set", "skip_zero_grad", bad_bool())
    fault(
        "start",
        "scenario",
        st.one_of(
            st.sampled_from(
                [
                    "../../etc/passwd",
                    "/etc/passwd",
                    "__import__('os').system('true')",
                    "linear; rm -rf /",
                    "LINEAR",
                    "os.path",
                    "",
                ]
            ),
            st.text(max_size=30).filter(lambda s: s not in SCENARIO_CLASSES),
            st.integers(),
            st.none(),
            containers(),
        ),
    )
    fault(
        "start",
        "config",
        st.one_of(
            st.sampled_from(["", "{}", "linear", 0, 1.5, True]),
            st.none(),
            st.lists(st.integers(), max_size=3),
            st.builds(lambda n: {f"k{i}": i for i in range(n)}, st.integers(65, 3000)),
        ),
    )
    # Missing required fields.
    cases.append(st.just(message({"type": "rewind"}, "invalid_message", "iteration")))
    cases.append(st.just(message({"type": "resume"}, "invalid_message", "token")))
    cases.append(st.just(message({"type": "tensor"}, "invalid_message", "name")))
    # One extra field on an otherwise valid command.
    extra_key = st.one_of(
        st.text(max_size=20), st.sampled_from(["__proto__", "constructor", "a.b", "config.lr"])
    )
    for command, fields in COMMAND_FIELDS.items():
        cases.append(
            st.builds(
                lambda key, value, command=command: message(
                    {"type": command, **REQUIRED.get(command, {}), key: value},
                    "invalid_message",
                    key,
                ),
                extra_key.filter(lambda k, fields=fields: k not in fields and k != "type"),
                st.one_of(st.integers(), st.text(max_size=10), st.none(), containers()),
            )
        )
    return st.one_of(cases)


# -- config faults: answered by the run's builder with invalid_config naming config.<field>

SCENARIO_CLASSES = {
    "linear": LinearConfig,
    "mlp": MlpConfig,
    "classify": ClassifyConfig,
    "charlm": CharLMConfig,
}
PARAMETER_NAMES = {
    "linear": ["linear.weight", "linear.bias"],
    "mlp": ["layers.0.weight", "layers.0.bias"],
    "classify": ["layers.0.weight", "layers.0.bias"],
    "charlm": ["token_embedding.weight", "lm_head.bias"],
}


def _bounds(prop: dict[str, Any]) -> dict[str, Any]:
    """The non-null branch of an optional property's schema."""
    for branch in prop.get("anyOf", []):
        if branch.get("type") != "null":
            return {**branch, "optional": True}
    return prop


def config_faults() -> st.SearchStrategy[Bad]:
    cases: list[st.SearchStrategy[Bad]] = []
    for scenario, cls in SCENARIO_CLASSES.items():
        props = cls.model_json_schema()["properties"]

        def fault(field: str, values: st.SearchStrategy[Any], scenario: str = scenario) -> None:
            cases.append(
                values.map(
                    lambda v: message(
                        {"type": "start", "scenario": scenario, "config": {field: plain(v)}},
                        "invalid_config",
                        f"config.{field}",
                    )
                )
            )

        for name, raw in props.items():
            prop = _bounds(raw)
            optional = prop.get("optional", False)
            kind = prop.get("type")
            if "enum" in prop:
                fault(name, bad_literal(tuple(prop["enum"])))
            elif kind == "integer":
                fault(name, bad_int(prop["minimum"], prop["maximum"], optional))
            elif kind == "number":
                lo_open = "exclusiveMinimum" in prop
                hi_open = "exclusiveMaximum" in prop
                lo = prop.get("exclusiveMinimum", prop.get("minimum"))
                hi = prop.get("exclusiveMaximum", prop.get("maximum"))
                fault(name, bad_float(lo, hi, lo_open=lo_open, hi_open=hi_open, optional=optional))
            elif kind == "boolean":
                fault(name, bad_bool())
        # Lists: too long, too short, wrong items.
        if "hidden" in props:
            fault("hidden", st.one_of(st.just([]), st.lists(st.integers(1, 64), min_size=5)))
            fault("hidden", st.sampled_from(["16", 16, None, {"0": 16}]))
            fault("hidden", st.builds(lambda n: [16] * n, st.integers(5, 10_000)))
            for i in range(3):
                cases.append(
                    bad_int(1, 64).map(
                        lambda v, i=i, scenario=scenario: message(
                            {
                                "type": "start",
                                "scenario": scenario,
                                "config": {"hidden": [8] * i + [plain(v)]},
                            },
                            "invalid_config",
                            f"config.hidden.{i}",
                        )
                    )
                )
        fault("frozen", st.sampled_from(["linear.bias", None, 5, {"a": 1}]))
        fault("frozen", st.builds(lambda n: ["x"] * n, st.integers(17, 5000)))
        odd_names = st.one_of(
            st.sampled_from(
                ["../../etc/passwd", "__class__", "linear.weight; rm", "*", "", "\x00", "é"]
            ),
            st.text(max_size=64).filter(lambda s, names=PARAMETER_NAMES[scenario]: s not in names),
            st.text(min_size=65, max_size=200),
            st.integers(),
            st.none(),
        )
        for i in range(2):
            cases.append(
                odd_names.map(
                    lambda v, i=i, scenario=scenario: message(
                        {
                            "type": "start",
                            "scenario": scenario,
                            "config": {"frozen": PARAMETER_NAMES[scenario][:i] + [v]},
                        },
                        "invalid_config",
                        f"config.frozen.{i}",
                    )
                )
            )
        fault(
            "device",
            st.one_of(
                st.sampled_from(["gpu", "cuda:", "cuda:999", "cuda:-1", "CPU", "cpu ", "", "tpu"]),
                st.text(max_size=20).filter(
                    lambda s: s not in ("auto", "cpu", "mps", "cuda") and not s.startswith("cuda:")
                ),
                st.integers(),
                st.none(),
            ),
        )
        unavailable = (["cuda", "cuda:0", "cuda:7", "cuda:99"] if not CUDA else ["cuda:99"]) + (
            ["mps"] if not MPS else []
        )
        cases.append(
            st.sampled_from(unavailable).map(
                lambda v, scenario=scenario: message(
                    {"type": "start", "scenario": scenario, "config": {"device": v}},
                    "device_unavailable",
                    "config.device",
                )
            )
        )
        extra = st.text(max_size=20).filter(lambda k, props=props: k not in props)
        cases.append(
            st.builds(
                lambda k, v, scenario=scenario: message(
                    {"type": "start", "scenario": scenario, "config": {k: v}},
                    "invalid_config",
                    f"config.{k}" if k else ANY,  # "config." or "config": both name it
                ),
                extra,
                st.one_of(st.integers(), st.text(max_size=5), st.none(), containers()),
            )
        )
    return st.one_of(cases)


def wrong_state_started() -> st.SearchStrategy[Bad]:
    """Valid commands that the started `fuzz` run must refuse."""
    return st.one_of(
        st.integers(1, 10**9).map(lambda n: Bad("", "out_of_range", "iteration", rewind_past=n)),
        st.text(min_size=1, max_size=64).map(
            lambda t: message({"type": "resume", "token": t}, "not_found", "token")
        ),
        st.floats(240.0, 10_000, exclude_min=True).map(
            lambda r: message({"type": "play", "rate": r}, "out_of_range", "rate")
        ),
        # The fuzz run uses Adam: no momentum in its param_groups.
        st.floats(0, 1, exclude_max=True).map(
            lambda m: message({"type": "set", "momentum": m}, "invalid_message", "momentum")
        ),
        st.just(message({"type": "set"}, "invalid_message", ANY)),
        st.just(message({"type": "set", "lr": None}, "invalid_message", ANY)),
    )


def wrong_state_fresh() -> st.SearchStrategy[Bad]:
    """Valid commands that need a run, sent where none was started."""
    return st.one_of(
        st.sampled_from(
            [
                {"type": "step"},
                {"type": "step", "unit": "epoch", "count": 100_000},
                {"type": "play", "rate": 10},
                {"type": "reset"},
                {"type": "rewind", "iteration": 0},
                {"type": "set", "lr": 0.1},
            ]
        ).map(lambda obj: message(obj, "wrong_state", "type")),
        st.text(min_size=1, max_size=64).map(
            lambda t: message({"type": "resume", "token": t}, "not_found", "token")
        ),
    )


def any_bad() -> st.SearchStrategy[Bad]:
    return st.one_of(
        malformed_json(),
        binary_frames(),
        non_objects(),
        unknown_types(),
        field_faults(),
        config_faults(),
    )


valid_steps = st.one_of(
    st.builds(lambda n: {"type": "step", "unit": "phase", "count": n}, st.integers(1, 6)),
    st.builds(lambda n: {"type": "step", "unit": "iteration", "count": n}, st.integers(1, 2)),
    st.just({"type": "step"}),
)


# ---------------------------------------------------------------- the fuzz test


def send(ws: WebSocketTestSession, payload: str | bytes) -> None:
    assert len(payload) < MAX_BYTES, len(payload)  # below the limit: no 1009 close here
    if isinstance(payload, bytes):
        ws.send_bytes(payload)
    else:
        assert len(payload.encode()) < MAX_BYTES
        ws.send_text(payload)


def exchange(ws: WebSocketTestSession, batch: list[Bad], last_iteration: int) -> None:
    """Send every message, then read exactly one error per message, in order."""
    for bad in batch:
        send(ws, bad.text(last_iteration))
    events = [recv(ws) for _ in batch]
    for i, (event, bad) in enumerate(zip(events, batch, strict=True)):
        try:
            check_error(event, bad)
        except AssertionError:
            raise AssertionError(
                f"message {i} of {len(batch)}: {bad!r} got {event!r:.500}"
            ) from None


# On a failure hypothesis warns that the falsifying example's repr is large (giant strings).
@pytest.mark.filterwarnings("ignore:Generating overly large repr")
def test_bad_messages_are_refused_and_change_nothing() -> None:
    app = create_app(FUZZ_SETTINGS)
    first_failure: list[str] = []
    totals = {"messages": 0, "examples": 0}
    with (
        TestClient(app) as client,
        client.websocket_connect("/ws") as fuzz,
        client.websocket_connect("/ws") as twin,
        client.websocket_connect("/ws") as fresh,
    ):
        sessions = []
        for ws in (fuzz, twin):
            ws.send_text(dumps(START))
            sessions.append(recv(ws))
        assert sessions[0]["type"] == sessions[1]["type"] == "session"
        assert sessions[0]["params"] == sessions[1]["params"]
        position = {"last": 0}

        @settings(
            max_examples=150,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(
            batch=st.lists(st.one_of(any_bad(), wrong_state_started()), min_size=20, max_size=60),
            fresh_batch=st.lists(st.one_of(any_bad(), wrong_state_fresh()), max_size=8),
            step=valid_steps,
        )
        def run(batch: list[Bad], fresh_batch: list[Bad], step: dict[str, Any]) -> None:
            try:
                exchange(fuzz, batch, position["last"])
                exchange(fresh, fresh_batch, 0)
                ours = step_and_collect(fuzz, step)
                theirs = step_and_collect(twin, step)
                assert comparable(ours) == comparable(theirs), "the run changed"
                position["last"] = ours["history"]["last"]
                totals["messages"] += len(batch) + len(fresh_batch)
                totals["examples"] += 1
            except BaseException as exc:
                if not first_failure:
                    first_failure.append(f"{exc!r:.3000}\nbatch={batch!r}\nfresh={fresh_batch!r}")
                raise

        try:
            run()
        except BaseException as exc:
            if first_failure:
                raise AssertionError(f"first failure: {first_failure[0]}") from exc
            raise

        # `fresh` still has no run; every connection is still open and answering.
        fresh.send_text(dumps({"type": "step"}))
        check_error(recv(fresh), Bad("", "wrong_state", "type"))
        health = client.get("/api/health").json()
        assert (health["connections"], health["runs"]) == (3, 2)
    assert totals["messages"] >= 3000, totals  # the property ran at the scale it claims


def test_one_bad_message_of_each_kind_keeps_the_connection() -> None:
    """A fixed, readable sample of the generated kinds (also runs when hypothesis is tuned down)."""
    samples = [
        Bad("{", "invalid_json", None),
        Bad('{"type":"step","count":NaN}', "invalid_json", None),
        Bad('{"type":"step","count":1e400}', "invalid_json", None),
        Bad(b"\x00\x01", "invalid_message", None),
        Bad("[1,2]", "invalid_message", "type"),
        Bad('"step"', "invalid_message", "type"),
        message({"type": "jump"}, "invalid_message", "type"),
        message({}, "invalid_message", "type"),
        message({"type": "step", "count": "NaN"}, "invalid_message", "count"),
        message({"type": "step", "count": "Infinity"}, "invalid_message", "count"),
        message({"type": "step", "count": -1}, "out_of_range", "count"),
        message({"type": "step", "count": 10**30}, "invalid_message", "count"),  # a float
        message({"type": "play", "rate": "1e400"}, "invalid_message", "rate"),
        message({"type": "play", "rate": 1e9}, "out_of_range", "rate"),
        message({"type": "play", "rate": 241}, "out_of_range", "rate"),
        message({"type": "step", "unit": "x" * 60_000}, "invalid_message", "unit"),
        message({"type": "step", "count": [0] * 20_000}, "invalid_message", "count"),
        message({"type": "step", "count": nest(500)}, "invalid_message", "count"),
        message({"type": "step", "extra": 1}, "invalid_message", "extra"),
        message({"type": "rewind"}, "invalid_message", "iteration"),
        message({"type": "resume", "token": "x" * 65}, "invalid_message", "token"),
        message({"type": "resume", "token": "no-such-run"}, "not_found", "token"),
        message({"type": "rewind", "iteration": 10**9}, "out_of_range", "iteration"),
        message({"type": "set", "lr": "NaN"}, "invalid_message", "lr"),
        message({"type": "set", "momentum": 0.5}, "invalid_message", "momentum"),
        message({"type": "start", "config": {"lr": "Infinity"}}, "invalid_config", "config.lr"),
        message({"type": "start", "config": {"lr": -1}}, "invalid_config", "config.lr"),
    ]
    with (
        TestClient(create_app(FUZZ_SETTINGS)) as client,
        client.websocket_connect("/ws") as ws,
        client.websocket_connect("/ws") as twin,
    ):
        fresh_bad = message({"type": "step"}, "wrong_state", "type")
        exchange(ws, [fresh_bad, *samples[:8]], 0)
        for conn in (ws, twin):
            conn.send_text(dumps(START))
            assert recv(conn)["type"] == "session"
        exchange(ws, samples, 0)
        step = {"type": "step", "unit": "phase", "count": 7}
        assert comparable(step_and_collect(ws, step)) == comparable(step_and_collect(twin, step))


def test_unknown_type_error_does_not_echo_the_tag(monkeypatch: pytest.MonkeyPatch) -> None:
    unraisable: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda args: unraisable.append(repr(args.exc_value)))
    deep = "[" * 1010 + "]" * 1010  # within orjson's depth limit (1024)
    with TestClient(create_app(FUZZ_SETTINGS)) as client, client.websocket_connect("/ws") as ws:
        ws.send_text('{"type":' + deep + "}")
        check_error(recv(ws), Bad("", "invalid_message", "type"))
        assert unraisable == []
        ws.send_text(dumps({"type": "x" * 60_000}))
        event = recv(ws)
        check_error(event, Bad("", "invalid_message", "type"))
        assert len(event["message"]) < 1000


def test_rewind_before_the_oldest_kept_iteration() -> None:
    """With a tiny history budget the oldest iterations are gone: rewinding there is refused."""
    settings_ = Settings(commands_per_second=1e9, history_bytes=2000)
    with TestClient(create_app(settings_)) as client, client.websocket_connect("/ws") as ws:
        ws.send_text(dumps(START))
        assert recv(ws)["type"] == "session"
        event = step_and_collect(ws, {"type": "step", "unit": "iteration", "count": 20})
        first = event["history"]["first"]
        assert first > 0, event["history"]
        ws.send_text(dumps({"type": "rewind", "iteration": first - 1}))
        check_error(recv(ws), Bad("", "out_of_range", "iteration"))
        ws.send_text(dumps({"type": "rewind", "iteration": first}))
        assert recv(ws)["iteration"] == first


# ---------------------------------------------------------------- config bounds


def _bound_cases() -> Iterator[tuple[str, dict[str, Any], str]]:
    """Every bound in every scenario's config schema, violated, plus the brief's big ones."""
    yield "mlp", {"hidden": [10**9]}, "config.hidden.0"
    yield "classify", {"hidden": [64, 10**9]}, "config.hidden.1"
    yield "mlp", {"hidden": [16] * 100}, "config.hidden"
    yield "linear", {"n_points": 10**7}, "config.n_points"
    yield "classify", {"n_points": 10**7}, "config.n_points"
    yield "linear", {"batch_size": 10**9}, "config.batch_size"
    yield "mlp", {"frozen": ["x"] * 10**4}, "config.frozen"
    yield "mlp", {"frozen": ["x" * 10**4]}, "config.frozen.0"
    for scenario, cls in SCENARIO_CLASSES.items():
        for name, raw in cls.model_json_schema()["properties"].items():
            prop = _bounds(raw)
            if "maximum" in prop:
                big = prop["maximum"] * 10 + 1 if prop["maximum"] else 1
                yield scenario, {name: big}, f"config.{name}"
            if "exclusiveMaximum" in prop:
                yield scenario, {name: prop["exclusiveMaximum"]}, f"config.{name}"
            if "minimum" in prop:
                yield scenario, {name: prop["minimum"] - 1}, f"config.{name}"
            if "exclusiveMinimum" in prop:
                yield scenario, {name: prop["exclusiveMinimum"]}, f"config.{name}"
            if "maxItems" in prop:
                item = 1 if name == "hidden" else "x"
                yield scenario, {name: [item] * (prop["maxItems"] + 1)}, f"config.{name}"
            if prop.get("minItems"):
                yield scenario, {name: []}, f"config.{name}"
            items = prop.get("items", {})
            if "maximum" in items:
                yield scenario, {name: [items["maximum"] + 1]}, f"config.{name}.0"
            if "minimum" in items:
                yield scenario, {name: [items["minimum"] - 1]}, f"config.{name}.0"
            if "maxLength" in items:
                yield scenario, {name: ["x" * (items["maxLength"] + 1)]}, f"config.{name}.0"


BOUND_CASES = list(_bound_cases())


def test_every_numeric_and_list_config_field_is_bounded() -> None:
    """The premise of the next test: no number or list in any config is unbounded."""
    for cls in SCENARIO_CLASSES.values():
        for name, raw in cls.model_json_schema()["properties"].items():
            prop = _bounds(raw)
            if prop.get("type") in ("integer", "number"):
                assert {"minimum", "exclusiveMinimum"} & set(prop), (cls.__name__, name)
                assert {"maximum", "exclusiveMaximum"} & set(prop), (cls.__name__, name)
            if prop.get("type") == "array":
                assert "maxItems" in prop, (cls.__name__, name)
                assert {"maximum", "maxLength", "enum"} & set(prop["items"]), (cls.__name__, name)


@pytest.fixture(scope="module")
def bounds_ws() -> Iterator[WebSocketTestSession]:
    with TestClient(create_app(FUZZ_SETTINGS)) as client, client.websocket_connect("/ws") as ws:
        yield ws


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each time a run is actually built (data, model, optimizer)."""
    calls: list[str] = []
    real: Callable[..., Any] = session_module.build

    def spy(scenario: Any, config: Any, *args: Any) -> Any:
        calls.append(scenario.name)
        return real(scenario, config, *args)

    monkeypatch.setattr(session_module, "build", spy)
    return calls


@pytest.mark.parametrize(
    ("scenario", "config", "field"),
    BOUND_CASES,
    ids=[f"{s}-{f}-{i}" for i, (s, _, f) in enumerate(BOUND_CASES)],
)
def test_config_bound_is_enforced_before_anything_is_built(
    bounds_ws: WebSocketTestSession,
    builds: list[str],
    scenario: str,
    config: dict[str, Any],
    field: str,
) -> None:
    text = dumps({"type": "start", "scenario": scenario, "config": config})
    assert len(text.encode()) < MAX_BYTES
    tracemalloc.start()
    try:
        began = time.perf_counter()
        bounds_ws.send_text(text)
        event = recv(bounds_ws)
        elapsed = time.perf_counter() - began
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    check_error(event, Bad("", "invalid_config", field))
    assert builds == []  # refused by validation: no data, no model, no optimizer
    assert elapsed < 1.0
    assert peak < 8 * 1024 * 1024, peak  # well under what 10**7 points or 10**9 units would take


def test_a_valid_config_is_built(bounds_ws: WebSocketTestSession, builds: list[str]) -> None:
    """Control for the spy above: a valid start does build (once)."""
    bounds_ws.send_text(dumps({"type": "start", "scenario": "mlp", "config": {"hidden": [64] * 4}}))
    assert recv(bounds_ws)["type"] == "session"
    assert builds == ["mlp"]


def test_batch_larger_than_data_names_the_field(bounds_ws: WebSocketTestSession) -> None:
    bounds_ws.send_text(dumps({"type": "start", "config": {"n_points": 10, "batch_size": 11}}))
    event = recv(bounds_ws)
    assert event["code"] == "invalid_config"
    assert event["field"] in ("config.batch_size", "config.n_points")
