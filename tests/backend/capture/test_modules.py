"""model(x) as Module.__call__ runs it: pre-hooks, forward, hooks; the tensors it made."""

from __future__ import annotations

import torch
from torch import nn

from loopscope.capture.modules import ForwardRecorder
from loopscope.capture.values import ValueCache
from loopscope.training.scenarios import build, get_scenario

from .._helpers import decode, make_session, step_phases


def forward_capture(scenario: str, **config: object) -> dict[str, object]:
    session = make_session(scenario, **config)
    (event,) = step_phases(session, 1)
    assert event["phase"] == "forward"
    return event["capture"]


def fresh_model(scenario: str, **config: object) -> tuple[nn.Module, torch.Tensor]:
    sc = get_scenario(scenario)
    built = build(sc, sc.validate(config), "cpu")
    return built.model, built.x


def test_linear_calls_and_trace() -> None:
    capture = forward_capture("linear", n_points=10)
    assert capture["calls"] == [
        {"module": "", "cls": "SimpleNet", "depth": 0, "input": "x", "output": "y_pred"},
        {"module": "linear", "cls": "Linear", "depth": 1, "input": "x", "output": "y_pred"},
    ]
    assert capture["trace"] == [
        {"event": "pre_hook", "module": ""},
        {"event": "pre_hook", "module": "linear"},
        {"event": "hook", "module": "linear"},
        {"event": "hook", "module": ""},
    ]
    assert capture["batch_index"] is None


def test_mlp_trace_nests_like_module_call() -> None:
    capture = forward_capture("mlp", n_points=8, hidden=[4])
    trace = [(t["event"], t["module"]) for t in capture["trace"]]
    assert trace == [
        ("pre_hook", ""),
        ("pre_hook", "layers"),
        ("pre_hook", "layers.0"),
        ("hook", "layers.0"),
        ("pre_hook", "layers.1"),
        ("hook", "layers.1"),
        ("pre_hook", "layers.2"),
        ("hook", "layers.2"),
        ("hook", "layers"),
        ("hook", ""),
    ]
    calls = {c["module"]: c for c in capture["calls"]}
    assert calls["layers.1"]["cls"] == "Tanh" and calls["layers.1"]["depth"] == 2
    # Each call's output is the next one's input: the data flow through the Sequential.
    assert calls["layers.0"]["output"] == calls["layers.1"]["input"]
    assert calls["layers.1"]["output"] == calls["layers.2"]["input"]
    assert calls["layers.2"]["output"] == "y_pred" == calls[""]["output"]


def test_captured_tensors_are_the_forward_values() -> None:
    capture = forward_capture("mlp", n_points=8, hidden=[4])
    model, x = fresh_model("mlp", n_points=8, hidden=[4])
    tensors = capture["tensors"]
    calls = {c["module"]: c for c in capture["calls"]}
    layers = model.layers
    with torch.no_grad():
        h0 = layers[0](x)
        h1 = layers[1](h0)
        out = layers[2](h1)
    assert torch.equal(decode(tensors["x"]), x)
    assert torch.equal(decode(tensors[calls["layers.0"]["output"]]), h0)
    assert torch.equal(decode(tensors[calls["layers.1"]["output"]]), h1)
    assert torch.equal(decode(tensors["y_pred"]), out)


def test_mini_batch_index_is_the_stepper_permutation() -> None:
    session = make_session("linear", n_points=10, batch_size=4)
    generator = torch.Generator().manual_seed(42)
    for epoch in range(2):
        perm = torch.randperm(10, generator=generator)
        for b in range(3):
            events = step_phases(session, 5)
            forward = events[0]
            assert (forward["epoch"], forward["batch"]) == (epoch, b)
            index = perm[b * 4 : (b + 1) * 4]
            assert forward["capture"]["batch_index"] == index.tolist()
            assert torch.equal(decode(forward["capture"]["tensors"]["x"]), session.stepper.x[index])


def test_hooks_record_only_between_start_and_stop_and_detach_removes_them() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    x = torch.randn(4, 2)
    recorder = ForwardRecorder(ValueCache(64))
    model(x)  # before start: no hooks yet
    assert recorder.trace == []
    for module in model.modules():
        assert not module._forward_hooks and not module._forward_pre_hooks
    recorder.start(model, {"x": x})
    y = model(x)
    recorder.stop()
    model(x)  # hooks still on, but no record is open
    assert len(recorder.trace) == 2 * 4
    for module in model.modules():
        assert len(module._forward_hooks) == len(module._forward_pre_hooks) == 1
    recorder.rename(y, "y_pred")
    assert recorder.capture(None)["calls"][0]["output"] == "y_pred"
    assert recorder.capture(None)["calls"][0]["input"] == "x"
    assert recorder.module_of[y.grad_fn] == "2"  # innermost module that made it
    recorder.start(model, {"x": x})  # a second record starts empty; hooks are not added twice
    assert recorder.trace == [] and recorder.calls == []
    model(x)
    recorder.stop()
    assert len(recorder.trace) == 2 * 4
    for module in model.modules():
        assert len(module._forward_hooks) == len(module._forward_pre_hooks) == 1
    recorder.release()
    assert not recorder.outputs and not recorder.module_of
    recorder.detach()
    for module in model.modules():
        assert not module._forward_hooks and not module._forward_pre_hooks


def test_full_batch_input_value_is_encoded_once_and_stays_exact() -> None:
    """x is the same tensor every full-batch iteration: its value is reused, not re-read."""
    session = make_session("linear", n_points=10)
    first = step_phases(session, 5)[0]["capture"]["tensors"]["x"]
    values = session.stepper._values
    cached = values.get("data:x", session.stepper.x)
    second = step_phases(session, 5)[0]["capture"]["tensors"]["x"]
    assert first == second
    assert values.get("data:x", session.stepper.x) is cached
    assert torch.equal(decode(second), session.stepper.x)
