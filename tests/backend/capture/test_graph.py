"""The graph walk: stable node ids, the right edges and slots, saved tensors labelled."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from loopscope.capture.graph import op_name, walk_graph
from loopscope.training.scenarios import build, get_scenario

from .._helpers import decode, make_session, plain_iterations, step_phases


def graph_after_loss(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    graphs = [e for e in events if e["type"] == "graph"]
    assert len(graphs) <= 1
    return graphs[0] if graphs else None


def edges_of(graph: dict[str, Any]) -> set[tuple[str, str, int]]:
    return {(e["source"], e["target"], e["slot"]) for e in graph["edges"]}


def saved_of(graph: dict[str, Any], node_id: str) -> dict[str, dict[str, Any]]:
    (node,) = [n for n in graph["nodes"] if n["id"] == node_id]
    return {s["name"]: s for s in node["saved"]}


def test_linear_graph_nodes_edges_and_slots() -> None:
    session = make_session("linear", n_points=10)
    graph = graph_after_loss(step_phases(session, 2))
    assert graph is not None
    assert graph["root"] == "MseLossBackward0"
    assert [n["id"] for n in graph["nodes"]] == [
        "MseLossBackward0",
        "AddmmBackward0",
        "AccumulateGrad:linear.bias",
        "TBackward0",
        "AccumulateGrad:linear.weight",
    ]
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert nodes["AccumulateGrad:linear.bias"]["param"] == "linear.bias"
    assert nodes["AccumulateGrad:linear.weight"]["op"] == "AccumulateGrad"
    assert nodes["MseLossBackward0"]["module"] == "criterion"
    assert nodes["AddmmBackward0"]["module"] == "linear"
    # addmm(bias, x, weight.t()): slot 0 → bias, slot 1 (x) needs no gradient, slot 2 → W.t()
    assert edges_of(graph) == {
        ("MseLossBackward0", "AddmmBackward0", 0),
        ("AddmmBackward0", "AccumulateGrad:linear.bias", 0),
        ("AddmmBackward0", "TBackward0", 2),
        ("TBackward0", "AccumulateGrad:linear.weight", 0),
    }
    assert graph["tensors"] == {"loss": "MseLossBackward0", "y_pred": "AddmmBackward0"}


def test_linear_graph_edges_are_torchs_next_functions() -> None:
    """Each edge (source, target, slot) is source.next_functions[slot] in torch's own graph."""
    session = make_session("linear", n_points=10)
    graph = graph_after_loss(step_phases(session, 2))
    assert graph is not None
    live = session.stepper._graph
    assert live is not None
    for source, target, slot in edges_of(graph):
        child, _ = live.nodes[source].next_functions[slot]
        assert child is live.nodes[target]
    root = session.stepper.loss
    assert root is not None and live.nodes[graph["root"]] is root.grad_fn


def test_saved_tensors_are_labelled() -> None:
    session = make_session("linear", n_points=10)
    graph = graph_after_loss(step_phases(session, 2))
    assert graph is not None
    addmm = saved_of(graph, "AddmmBackward0")
    assert addmm["mat1"]["tensor"] == "x" and addmm["mat1"]["shape"] == [10, 1]
    assert addmm["alpha"]["value"] == "1"
    mse = saved_of(graph, "MseLossBackward0")
    assert mse["self"]["tensor"] == "y_pred"
    assert mse["target"]["tensor"] == "y"


def test_mlp_saved_tensors_name_the_module_outputs() -> None:
    session = make_session("mlp", n_points=8, hidden=[4])
    graph = graph_after_loss(step_phases(session, 2))
    assert graph is not None
    assert saved_of(graph, "AddmmBackward0#1")["mat1"]["tensor"] == "x"
    assert saved_of(graph, "AddmmBackward0")["mat1"]["tensor"] == "layers.1"  # tanh output
    assert saved_of(graph, "TanhBackward0")["result"]["tensor"] == "layers.1"


@pytest.mark.parametrize(
    ("scenario", "config"),
    [
        ("linear", {"n_points": 10}),
        ("linear", {"n_points": 10, "batch_size": 4}),  # batches of 4, 4, 2
        ("mlp", {"n_points": 12, "hidden": [5, 3], "batch_size": 5}),
        ("classify", {"n_points": 12, "hidden": [4]}),
    ],
)
def test_node_ids_are_identical_every_iteration(scenario: str, config: dict[str, Any]) -> None:
    session = make_session(scenario, **config)
    seen: list[list[str]] = []
    for _ in range(7):
        step_phases(session, 2)
        graph = session.stepper._graph
        assert graph is not None
        seen.append(list(graph.nodes))
        order = step_phases(session, 3)[1]["capture"]["order"]
        assert sorted(order) == sorted(seen[-1])
    assert all(ids == seen[0] for ids in seen)
    assert len(set(seen[0])) == len(seen[0])


def test_topology_is_sent_only_when_it_changes() -> None:
    session = make_session("linear", n_points=10)
    assert graph_after_loss(step_phases(session, 2)) is not None
    step_phases(session, 3)
    assert graph_after_loss(step_phases(session, 2)) is None  # second iteration: same graph
    phase = step_phases(session, 3)
    assert all(e["type"] == "phase" for e in phase)


def test_partial_last_batch_changes_the_graph_id_but_not_the_node_ids() -> None:
    session = make_session("linear", n_points=10, batch_size=4)  # 4, 4, 2
    graph_ids, sent = [], []
    for _ in range(6):
        events = step_phases(session, 5)
        sent.append(graph_after_loss(events) is not None)
        (loss,) = [e for e in events if e["type"] == "phase" and e["phase"] == "loss"]
        graph_ids.append(loss["capture"]["graph_id"])
    # full, full, partial, full, full, partial: an event each time the id changes
    assert sent == [True, False, True, True, False, True]
    assert graph_ids[0] == graph_ids[1] == graph_ids[3] != graph_ids[2] == graph_ids[5]


def test_first_graph_event_has_saved_tensors_after_a_multi_phase_command() -> None:
    session = make_session("linear", n_points=10)
    events = session.step("iteration", 1)  # walks iteration 0's graph, ends on step
    graph = next((e for e in events if e["type"] == "graph"), None)
    assert graph is not None  # sent with the command that walked it, saved tensors and all
    assert graph_after_loss(step_phases(session, 2)) is None  # not again: unchanged
    saved = saved_of(graph, "AddmmBackward0")
    assert "mat1" in saved and saved["mat1"]["tensor"] == "x"


def test_frozen_parameter_has_no_accumulate_grad_node() -> None:
    session = make_session("linear", n_points=10, frozen=["linear.bias"])
    graph = graph_after_loss(step_phases(session, 2))
    assert graph is not None
    ids = [n["id"] for n in graph["nodes"]]
    assert "AccumulateGrad:linear.bias" not in ids
    assert "AccumulateGrad:linear.weight" in ids
    assert not any(e["target"] == "AccumulateGrad:linear.bias" for e in graph["edges"])


def test_node_values_are_the_forward_values() -> None:
    config = {"n_points": 10}
    session = make_session("linear", **config)
    values = step_phases(session, 2)[-1]["capture"]["node_values"]
    reference = next(plain_iterations("linear", config))
    assert torch.equal(decode(values["MseLossBackward0"]), reference.loss)
    # y_pred as the untouched model computes it (a fresh build: parameters before any step)
    sc = get_scenario("linear")
    built = build(sc, sc.validate(config), "cpu")
    with torch.no_grad():
        y_pred = built.model(built.x)
    assert torch.equal(decode(values["AddmmBackward0"]), y_pred)


# ---------------------------------------------------------------- walk_graph on its own


def test_walk_graph_numbers_repeated_ops_and_visits_shared_nodes_once() -> None:
    a = torch.nn.Parameter(torch.tensor([2.0, 3.0]))
    x = torch.tensor([1.0, -1.0])
    loss = ((a * a) * x).sum()  # MulBackward0 twice, the first with both edges into a
    graph = walk_graph(loss.grad_fn, {id(a): "a"}, {"x": x, "a": a}, {})
    ids = [n["id"] for n in graph.topology["nodes"]]
    assert ids == ["SumBackward0", "MulBackward0", "MulBackward0#1", "AccumulateGrad:a"]
    assert {(e["source"], e["target"], e["slot"]) for e in graph.topology["edges"]} == {
        ("SumBackward0", "MulBackward0", 0),
        ("MulBackward0", "MulBackward0#1", 0),
        ("MulBackward0#1", "AccumulateGrad:a", 0),
        ("MulBackward0#1", "AccumulateGrad:a", 1),
    }
    again = walk_graph((((a * a) * x).sum()).grad_fn, {id(a): "a"}, {"x": x, "a": a}, {})
    assert again.graph_id == graph.graph_id
    other = walk_graph((a * x).sum().grad_fn, {id(a): "a"}, {"x": x, "a": a}, {})
    assert other.graph_id != graph.graph_id


def test_op_name_drops_the_cpp_namespace() -> None:
    a = torch.nn.Parameter(torch.ones(1))
    (leaf, _), *_ = (a * 2).grad_fn.next_functions
    assert leaf.name() == "torch::autograd::AccumulateGrad"
    assert op_name(leaf) == "AccumulateGrad"
