"""loss.backward() as autograd really ran it: order, gradients sent, .grad fills, no leaks."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest
import torch

from loopscope.capture.backward import BackwardRecorder
from loopscope.capture.graph import walk_graph
from loopscope.capture.values import ValueCache, tensor_value
from loopscope.training.scenarios import Built, build, get_scenario

from .._helpers import (
    all_equal,
    by_phase,
    decode,
    make_session,
    params_of,
    plain_iterations,
    plain_params,
    step_phases,
    wire,
)


def fresh_build(config: dict[str, Any]) -> Built:
    """The linear scenario's objects, built like a session builds them (on the CPU)."""
    sc = get_scenario("linear")
    return build(sc, sc.validate(config), "cpu")


def backward_capture(session: Any) -> dict[str, Any]:
    """Run forward, loss, zero_grad, backward; the backward phase's capture."""
    events = step_phases(session, 4)
    assert events[-1]["phase"] == "backward"
    return events[-1]["capture"]


def test_linear_backward_order() -> None:
    session = make_session("linear", n_points=10)
    capture = backward_capture(session)
    order = capture["order"]
    assert order == [
        "MseLossBackward0",
        "AddmmBackward0",
        "AccumulateGrad:linear.bias",
        "TBackward0",
        "AccumulateGrad:linear.weight",
    ]
    assert order.index("AccumulateGrad:linear.bias") < order.index("TBackward0")


@pytest.mark.parametrize(
    ("scenario", "config"),
    [
        ("linear", {"n_points": 10}),
        ("mlp", {"n_points": 10, "hidden": [4, 3]}),
        ("classify", {"n_points": 10, "hidden": [4], "activation": "sigmoid"}),
    ],
)
def test_every_node_runs_exactly_once_root_first(scenario: str, config: dict[str, Any]) -> None:
    session = make_session(scenario, **config)
    events = step_phases(session, 4)
    (graph,) = [e for e in events if e["type"] == "graph"]
    order = events[-1]["capture"]["order"]
    assert order[0] == graph["root"]
    assert sorted(order) == sorted(n["id"] for n in graph["nodes"])
    # A node runs only after every node that sends it a gradient has run.
    position = {node: i for i, node in enumerate(order)}
    for edge in graph["edges"]:
        assert position[edge["source"]] < position[edge["target"]]


def test_gradient_sent_by_the_loss_node_is_dloss_dy_pred() -> None:
    config = {"n_points": 10}
    session = make_session("linear", **config)
    capture = backward_capture(session)
    # An identical plain run: d loss / d y_pred, from torch.autograd.grad.
    built = fresh_build(config)
    y_pred = built.model(built.x)
    loss = built.criterion(y_pred, built.y)
    (expected,) = torch.autograd.grad(loss, y_pred, retain_graph=True)
    sent = capture["sent"]["MseLossBackward0"]
    assert torch.equal(decode(sent[0]), expected)
    assert sent[1] is None  # the target y needs no gradient
    # AddmmBackward0 sends the bias its gradient (slot 0) and W.t() its own (slot 2).
    addmm = capture["sent"]["AddmmBackward0"]
    assert addmm[1] is None
    (grad_b,) = torch.autograd.grad(loss, built.model.linear.bias)
    assert torch.equal(decode(addmm[0]), grad_b)


def test_each_grad_is_filled_once_in_order_with_its_final_value() -> None:
    config = {"n_points": 12, "hidden": [5]}
    session = make_session("mlp", **config)
    plain = plain_iterations("mlp", config)
    for _ in range(3):
        capture = backward_capture(session)
        reference = next(plain)
        fills = capture["fills"]
        names = [f["param"] for f in fills]
        assert sorted(names) == sorted(session.stepper.params)  # each exactly once
        accumulate = [n for n in capture["order"] if n.startswith("AccumulateGrad:")]
        assert [f["node"] for f in fills] == accumulate
        assert [f"AccumulateGrad:{n}" for n in names] == accumulate
        for fill in fills:
            final = session.stepper.params[fill["param"]].grad
            assert torch.equal(decode(fill["value"]), final)
        assert all_equal([p.grad for p in params_of(session)], reference.grads)
        step_phases(session, 1)


def test_hook_calls_are_constant_and_no_hook_outlives_its_iteration() -> None:
    """Node hooks live for one backward; the forward hooks are exactly one pre-hook and one
    hook per module while iterations are captured, and none once the loop runs uncaptured."""
    session = make_session("linear", n_points=10)
    model = session.stepper.model
    calls = []
    for _ in range(40):
        step_phases(session, 4)
        recorder = session.stepper._backward
        assert recorder is not None
        calls.append(recorder.hook_calls)
        assert len(recorder.order) == recorder.hook_calls  # one call per node, fills included
        assert len(recorder.fills) == 2
        step_phases(session, 1)
        for param in params_of(session):
            assert not param._post_accumulate_grad_hooks
        for module in model.modules():
            assert len(module._forward_hooks) == len(module._forward_pre_hooks) == 1
    assert set(calls) == {5}  # 5 nodes (two of them fill a .grad), every iteration
    session.step("iteration", 2, capture=False)
    for module in model.modules():
        assert not module._forward_hooks and not module._forward_pre_hooks


def test_recorder_removes_its_hooks() -> None:
    a = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    loss = (a * 3).sum()
    graph = walk_graph(loss.grad_fn, {id(a): "a"}, {"a": a}, {})
    recorder = BackwardRecorder(graph, {"a": a}, ValueCache(16))
    recorder.remove()
    loss.backward()
    assert recorder.hook_calls == 0 and recorder.order == []
    assert not a._post_accumulate_grad_hooks


def test_no_autograd_graph_survives_an_iteration() -> None:
    """Nodes cannot be weak-referenced, so each carries a probe in its metadata dict:
    the probe dies exactly when the node does."""
    session = make_session("mlp", n_points=10, hidden=[4])
    step_phases(session, 5)  # warm: one-time caches filled
    gc.collect()
    gc.disable()  # freed by refcounting alone, at once: no reference cycle may hold a graph
    try:
        _graphs_die_with_their_iteration(session)
    finally:
        gc.enable()


def _graphs_die_with_their_iteration(session: Any) -> None:
    class Probe:
        pass

    for _ in range(3):
        step_phases(session, 2)  # forward, loss: the graph exists and has been walked
        graph = session.stepper._graph
        loss = session.stepper.loss
        assert graph is not None and loss is not None
        probes = []
        for node in graph.nodes.values():
            probe = Probe()
            node.metadata["probe"] = probe
            probes.append(weakref.ref(probe))
        loss_ref = weakref.ref(loss)
        y_pred_ref = weakref.ref(session.stepper.y_pred)
        del graph, loss, node, probe
        step_phases(session, 3)  # zero_grad, backward, step: the iteration ends
        assert all(ref() is None for ref in probes)
        assert loss_ref() is None and y_pred_ref() is None


def test_no_graph_survives_a_rewind_mid_iteration() -> None:
    class Probe:
        pass

    session = make_session("linear", n_points=10)
    step_phases(session, 2)
    loss = session.stepper.loss
    assert loss is not None
    probe = Probe()
    loss.grad_fn.metadata["probe"] = probe
    ref = weakref.ref(probe)
    del loss, probe
    session.rewind(0)
    gc.collect()
    assert ref() is None


def test_old_gradients_do_not_outlive_their_iteration() -> None:
    session = make_session("linear", n_points=10, history_bytes=0)
    step_phases(session, 4)
    old = weakref.ref(session.stepper.params["linear.weight"].grad)
    step_phases(session, 1 + 3)  # step; next forward, loss, zero_grad (grad set to None)
    step_phases(session, 2)  # a new .grad
    gc.collect()
    assert old() is None


def test_skip_zero_grad_accumulates_exactly_the_sum_of_the_gradients() -> None:
    """With zero_grad skipped, .grad after iteration k is g_1 + ... + g_k, summed in order.

    AccumulateGrad does `grad += new` (in place) once .grad exists, so the oracle sums
    `g_sum = g_sum + g_k` in the same order; each partial sum is then bit-identical.
    Each g_k is a fresh gradient (computed from .grad = None) at the parameters the run
    has at iteration k: they move with the accumulated gradient, so the oracle steps its
    own SGD with g_sum as .grad.
    """
    config = {"n_points": 10, "lr": 0.001}
    session = make_session("linear", skip_zero_grad=True, **config)
    built = fresh_build(config)  # same seed: same data, same initial parameters
    params = list(built.model.parameters())
    g_sum: list[torch.Tensor] = []
    for k in range(12):
        zero = by_phase(step_phases(session, 5))["zero_grad"]["capture"]
        assert zero["skipped"] is True
        if k > 0:
            assert all(v is not None for v in zero["after"].values())
        for p in params:
            p.grad = None
        built.criterion(built.model(built.x), built.y).backward()
        fresh = [p.grad for p in params]
        assert all(g is not None for g in fresh)
        g_sum = fresh if not g_sum else [s + g for s, g in zip(g_sum, fresh, strict=True)]
        for p, g in zip(params, g_sum, strict=True):
            p.grad = g
        built.optimizer.step()
        assert all_equal([p.grad for p in params_of(session)], g_sum)
        assert all_equal(params_of(session), [p.detach() for p in params])


def test_zero_grad_sets_grad_to_none() -> None:
    session = make_session("linear", n_points=10)
    step_phases(session, 5)  # one iteration: .grad exists now
    assert all(p.grad is not None for p in params_of(session))
    events = step_phases(session, 3)
    capture = events[-1]["capture"]
    assert capture["skipped"] is False and capture["set_to_none"] is True
    assert all(v is not None for v in capture["before"].values())
    assert all(v is None for v in capture["after"].values())
    assert all(v is None for v in events[-1]["grads"].values())
    assert all(p.grad is None for p in params_of(session))


def test_plain_and_stepped_grads_agree_after_many_iterations() -> None:
    config = {"n_points": 10, "optimizer": "momentum"}
    session = make_session("linear", **config)
    plain = plain_iterations("linear", config)
    for _ in range(20):
        backward_capture(session)
        reference = next(plain)
        assert all_equal([p.grad for p in params_of(session)], reference.grads)
        step_phases(session, 1)
        assert all_equal(params_of(session), plain_params(reference))


@pytest.mark.parametrize("skip_zero_grad", [False, True])
def test_a_summarized_fill_is_the_summary_of_the_grad_it_filled(skip_zero_grad: bool) -> None:
    # A large gradient sent into a parameter's AccumulateGrad is summarized once: the fill
    # reuses that summary only when .grad holds the same bits (not when it accumulated).
    stepper = make_session("charlm", skip_zero_grad=skip_zero_grad).stepper
    for _ in range(2):
        results = [stepper.run_phase(capture=True) for _ in range(5)]
    capture: Any = results[3].capture  # the captured dicts themselves, not a wire copy
    assert results[3].phase == "backward"
    sent_values = [id(v) for values in capture["sent"].values() for v in values if v]
    shared = 0
    for fill in capture["fills"]:
        grad = stepper.params[fill["param"]].grad
        assert grad is not None
        assert wire(fill["value"]) == wire(tensor_value(grad, stepper.cap))
        shared += id(fill["value"]) in sent_values
    # both weight matrices (32 480 values) are summaries; after skipped zero_grads they hold
    # the sum of two iterations' gradients, which no node sent
    assert shared == (0 if skip_zero_grad else 2)
