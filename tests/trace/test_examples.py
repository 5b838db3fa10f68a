"""The scripts in examples/, traced to completion as `loopscope trace` runs them: the same
output as a plain run, and the graph the page groups by module (a transformer's blocks
holding their attention, MLP and layer norms, each under its own module path)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ._drive import start_plain, trace

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BLOCK_PARTS = ("attn", "ln_1", "ln_2", "mlp")


def _part(module: str, block: int) -> str | None:
    """The sub-module of `blocks.<block>` a module path lies in ("" for the block's own)."""
    prefix = f"blocks.{block}"
    if module == prefix:
        return ""
    if not module.startswith(prefix + "."):
        return None
    return module[len(prefix) + 1 :].split(".")[0]


def test_transformer_charlm_trains_and_its_graph_nests_by_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One thread each: the two runs share this machine's cores with the test run's others.
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    script = EXAMPLES / "transformer_charlm.py"
    plain = start_plain(script, [])
    traced = trace(script, [], phases=6, iterations=2)
    out, err = plain.communicate(timeout=300)
    assert (plain.returncode, traced.exit_code) == (0, 0), err.decode()
    # Tracing changes nothing the script computes: its printed losses and sample are equal.
    assert traced.stdout == out.decode()
    printed = re.findall(r"iteration (\d+): loss ([\d.]+)", traced.stdout)
    assert printed[-1][0] == "299" and float(printed[-1][1]) < float(printed[0][1])
    losses = traced.losses()
    assert len(losses) == traced.end["summary"]["iterations"] == 300
    # The script's order: zero_grad between the loss and backward.
    for k in (0, 1):
        assert _iteration(traced, k) == ["forward", "loss", "zero_grad", "backward", "step"]

    graph: dict[str, Any] = next(e for e in traced.events if e["type"] == "graph")
    nodes = graph["nodes"]
    assert len(nodes) > 100  # hundreds of nodes: shown folded by module
    modules = {n["id"]: n.get("module") or "" for n in nodes}
    for block in (0, 1):
        inside = [i for i, m in modules.items() if _part(m, block) is not None]
        parts = {_part(modules[i], block) for i in inside}
        # Every node a block made is its own (the residual adds) or one of its four parts'.
        assert parts == {"", *BLOCK_PARTS}, parts
        attn = [i for i in inside if _part(modules[i], block) == "attn"]
        # A block is bigger than its attention, which holds the most of it.
        assert len(inside) > len(attn) > len(inside) / 2
    # Each parameter's AccumulateGrad sits in the module that owns the parameter.
    leaves = {n["param"]: modules[n["id"]] for n in nodes if n["op"] == "AccumulateGrad"}
    assert leaves["blocks.1.attn.query.weight"] == "blocks.1.attn.query"
    assert leaves["blocks.0.mlp.2.bias"] == "blocks.0.mlp.2"
    assert leaves["lm_head.weight"] == "lm_head"


def _iteration(traced: Any, k: int) -> list[str]:
    return [p["phase"] for p in traced.phases if p["iteration"] == k]
