"""Scripts written the way tutorials and courses write training loops, each traced to
completion: the phases found, the iteration count, evaluation kept apart from training,
final parameters `torch.equal` a plain run's, and the same printed output."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import torch

from ._drive import SCRIPTS, Traced, start_plain, trace
from .test_scripts import _assert_same_state, _both, _values


def _iteration(traced: Traced, k: int) -> list[str]:
    return [p["phase"] for p in traced.phases if p["iteration"] == k]


def _notices(traced: Traced) -> list[str]:
    return [n["code"] for n in traced.of("notice")]


def _evaluation_calls(traced: Traced, grad: bool) -> int:
    return sum(e["calls"] for e in traced.of("evaluation") if e["grad_enabled"] is grad)


def _updates(step: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {u["name"]: u for u in step["capture"]["updates"]}


def test_quickstart_train_and_test_functions(tmp_path: Path) -> None:
    traced, out, _err, a, b = _both("quickstart.py", tmp_path, rest="phase")
    assert traced.end["summary"]["iterations"] == 24 == len(traced.losses())
    # the zero_grad after step() opens the next iteration
    assert _iteration(traced, 0) == ["forward", "loss", "backward", "step"]
    assert _iteration(traced, 1) == ["zero_grad", "forward", "loss", "backward", "step"]
    # test(): two batches under no_grad in eval mode after each of the three epochs
    assert _evaluation_calls(traced, grad=False) == 6
    assert all(not e["training"] for e in traced.of("evaluation"))
    assert {p["what"] for p in traced.phases if p["phase"] == "forward"} == {"NeuralNetwork"}
    assert traced.stdout == out and out.endswith("Done!\n")
    _assert_same_state(a, b)


def test_main_with_argparse_and_a_config(tmp_path: Path) -> None:
    traced, out, _err, a, b = _both("argparse_main.py", tmp_path, ["--epochs", "3"])
    assert traced.end["summary"]["iterations"] == 12  # 3 epochs of 64 points in batches of 16
    assert _iteration(traced, 0) == ["zero_grad", "forward", "loss", "backward", "step"]
    assert traced.stdout == out and out.count("Config(epochs=3") == 3
    _assert_same_state(a, b)


def test_makemore_updates_by_hand(tmp_path: Path) -> None:
    traced, out, _err, a, b = _both("makemore_mlp.py", tmp_path)
    assert traced.end["summary"]["iterations"] == 40 == len(traced.losses())
    # before the first backward there is no .grad to drop; then `p.grad = None` is seen
    assert _iteration(traced, 0) == ["loss", "backward", "step"]
    assert _iteration(traced, 1) == ["loss", "zero_grad", "backward", "step"]
    assert {"no_optimizer", "grad_set_to_none"} <= set(_notices(traced))
    step = next(p for p in traced.phases if p["phase"] == "step")
    assert step["what"] == "update by hand" and step["iteration_ended"]
    source = (SCRIPTS / "makemore_mlp.py").read_text().splitlines()
    assert "p.data += -lr * p.grad" in source[step["location"]["line"] - 1]
    updates = _updates(step)
    assert set(updates) == {"C", "W1", "b1", "W2", "b2"}  # the script's own variable names
    for update in updates.values():  # torch is the oracle: p += -0.5 * grad at i = 0
        before, grad = _values(update["before"]), _values(update["grad"])
        assert torch.equal(_values(update["after"]), before + (-0.5 * grad))
    assert traced.stdout == out
    _assert_same_state(a, b)


def test_d2l_sgd_under_no_grad(tmp_path: Path) -> None:
    traced, out, _err, a, b = _both("d2l_sgd.py", tmp_path)
    assert traced.end["summary"]["iterations"] == 30 == len(traced.losses())
    shown = sorted({p["iteration"] for p in traced.phases})
    # every shown iteration, also the last one after fast-forwarding, has the same phases
    for k in shown:
        assert _iteration(traced, k) == ["loss", "backward", "step", "zero_grad"], k
    step = next(p for p in traced.phases if p["phase"] == "step")
    updates = _updates(step)
    assert set(updates) == {"w", "b"}
    for update in updates.values():  # param -= lr * param.grad / batch_size
        before, grad = _values(update["before"]), _values(update["grad"])
        assert torch.equal(_values(update["after"]), before - 0.03 * grad / 10)
    zero = next(p for p in traced.phases if p["phase"] == "zero_grad")
    assert all(not any(v["values"]) for v in zero["capture"]["after"].values())
    assert traced.stdout == out
    _assert_same_state(a, b)


def test_nanogpt_style(tmp_path: Path) -> None:
    traced, out, _err, a, b = _both("nanogpt_style.py", tmp_path, phases=12)
    assert traced.end["summary"]["iterations"] == 24 == len(traced.losses())
    assert _iteration(traced, 0) == ["forward", "loss", "backward", "step"]
    assert _iteration(traced, 1) == ["zero_grad", "forward", "loss", "backward", "step"]
    loss = next(p for p in traced.phases if p["phase"] == "loss")
    assert (loss["capture"]["source"], loss["what"]) == ("model", "cross_entropy")
    zero = next(p for p in traced.phases if p["phase"] == "zero_grad")
    assert zero["capture"]["set_to_none"]
    # the warm-up learning rate the script wrote into param_groups, seen by each step
    steps = [p for p in traced.phases if p["phase"] == "step"][:2]
    lrs = [{u["hyper"]["lr"] for u in s["capture"]["updates"]} for s in steps]
    assert lrs == [{3e-3 * 1 / 4}, {3e-3 * 2 / 4}]
    # estimate_loss() before the first step: 2 splits x 2 batches, no grad, eval mode
    assert _evaluation_calls(traced, grad=False) >= 4
    # ... and generate() after training: 20 calls, still in train mode (no model.eval()),
    # counted while fast-forwarding
    training = [e for e in traced.of("evaluation") if e["training"]]
    assert sum(e["calls"] for e in training) == 20
    assert not any(e["grad_enabled"] for e in training)
    assert traced.stdout == out  # including the text generate() sampled after training
    _assert_same_state(a, b)


def test_lbfgs_closure_inside_the_step(tmp_path: Path) -> None:
    traced, out, _err, a, b = _both("lbfgs_closure.py", tmp_path, phases=20)
    summary = traced.end["summary"]
    assert (summary["iterations"], summary["steps"], summary["backwards"]) == (5, 5, 20)
    assert _iteration(traced, 0) == ["zero_grad", "forward", "loss", "backward"] * 4 + ["step"]
    # the step's gate comes first: the closure's phases run inside it
    assert traced.of("gate")[0]["next"] == "step"
    step = next(p for p in traced.phases if p["phase"] == "step")
    assert step["micro_batch"] == 4 and step["iteration_ended"]
    assert all(u["grad"] is not None for u in step["capture"]["updates"])
    assert "closure_step" in _notices(traced)
    assert traced.stdout == out
    _assert_same_state(a, b)


def test_forward_called_directly(tmp_path: Path) -> None:
    traced, out, _err, a, b = _both("forward_direct.py", tmp_path)
    assert traced.end["summary"]["iterations"] == 8 == len(traced.losses())
    notice = next(n for n in traced.of("notice") if n["code"] == "forward_called_directly")
    assert "TwoLayer.forward()" in notice["message"]
    assert traced.stdout == out
    _assert_same_state(a, b)


def test_two_losses_retain_graph_and_gradient_penalty(tmp_path: Path) -> None:
    traced, out, _err, a, b = _both("multi_loss.py", tmp_path, rest="phase")
    summary = traced.end["summary"]
    assert (summary["iterations"], summary["backwards"]) == (8, 12)
    assert _iteration(traced, 0) == [
        "zero_grad",
        "forward",
        "loss",
        "loss",
        "backward",
        "backward",
        "step",
    ]
    # torch.autograd.grad for the penalty is no backward phase
    assert _iteration(traced, 4) == ["zero_grad", "forward", "loss", "loss", "backward", "step"]
    second = [p for p in traced.phases if p["iteration"] == 0 and p["phase"] == "backward"][1]
    assert second["micro_batch"] == 1
    assert traced.stdout == out
    _assert_same_state(a, b)


def test_autocast_bfloat16_and_a_disabled_scaler(tmp_path: Path) -> None:
    traced, out, _err, a, b = _both("autocast_bf16.py", tmp_path)
    assert traced.end["summary"]["iterations"] == 6
    assert "trace_error" not in _notices(traced)
    forward = next(p for p in traced.phases if p["phase"] == "forward")
    dtypes = {v["dtype"] for v in forward["capture"]["tensors"].values()}
    assert "bfloat16" in dtypes
    steps = [p for p in traced.phases if p["phase"] == "step"]
    assert steps and not any(s["scaler_skipped"] for s in steps)
    assert traced.stdout == out
    _assert_same_state(a, b)


def test_missing_package_fails_with_its_traceback() -> None:
    plain = start_plain(SCRIPTS / "missing_import.py", [])
    traced = trace(SCRIPTS / "missing_import.py", [])
    _out, err = plain.communicate(timeout=120)
    assert (traced.end["status"], traced.exit_code, plain.returncode) == ("failed", 1, 1)
    assert traced.end["message"].startswith("ModuleNotFoundError: No module named")
    assert traced.end["traceback"] == err.decode() == traced.stderr
    assert traced.phases == []


def test_lstm_with_detached_hidden_state(tmp_path: Path) -> None:
    traced, out, _err, a, b = _both("lstm_tbptt.py", tmp_path, rest="phase")
    assert traced.end["summary"]["iterations"] == 34  # 17 chunks in each of 2 epochs
    assert _iteration(traced, 0) == ["forward", "loss", "zero_grad", "backward", "step"]
    # every call of the model reached a backward: none is taken for evaluation
    assert traced.of("evaluation") == []
    assert traced.stdout == out
    _assert_same_state(a, b)


def test_trainer_class_with_training_step(tmp_path: Path) -> None:
    traced, out, _err, a, b = _both("trainer_class.py", tmp_path, phases=60)
    assert traced.end["summary"]["iterations"] == 9
    assert _iteration(traced, 0) == ["forward", "loss", "zero_grad", "backward", "step"]
    loss = next(p for p in traced.phases if p["phase"] == "loss")
    assert loss["location"]["function"] == "LitClassifier.training_step"
    assert _evaluation_calls(traced, grad=False) == 3  # validation_step once per epoch
    assert traced.stdout == out
    _assert_same_state(a, b)


def test_early_stopping_and_a_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain_dir, traced_dir = tmp_path / "plain", tmp_path / "traced"
    plain_dir.mkdir()
    traced_dir.mkdir()
    monkeypatch.setenv("CHECKPOINT_DIR", str(plain_dir))
    plain = start_plain(SCRIPTS / "early_stopping.py", [str(tmp_path / "plain.pt")])
    monkeypatch.setenv("CHECKPOINT_DIR", str(traced_dir))
    traced = trace(SCRIPTS / "early_stopping.py", [str(tmp_path / "traced.pt")])
    out, _ = plain.communicate(timeout=120)
    assert traced.exit_code == plain.returncode == 0
    assert traced.stdout == out.decode() and "stopping early" in traced.stdout
    epochs = traced.stdout.count("epoch ") - 1  # the last line names the epoch again
    assert traced.end["summary"]["iterations"] == 3 * epochs < 3 * 100
    assert (traced_dir / "best.pt").exists()
    _assert_same_state(tmp_path / "plain.pt", tmp_path / "traced.pt")


def test_persistent_workers_and_a_relative_path(tmp_path: Path) -> None:
    relative = os.path.relpath(SCRIPTS / "tiny.txt")
    assert not os.path.isabs(relative)
    traced, out, _err, a, b = _both("persistent_workers.py", tmp_path, [relative])
    lines = [line for line in (SCRIPTS / "tiny.txt").read_text().splitlines() if line.strip()]
    assert traced.end["summary"]["iterations"] == 2 * ((len(lines) + 1) // 2)
    assert traced.stdout == out
    _assert_same_state(a, b)
