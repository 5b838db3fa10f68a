"""Scripts in the style of course material the tracer was not written for, each traced to
its end and compared with plain runs: the same exit status, printed output (stdout and
stderr, in order), final parameters (`torch.equal`), and per-iteration losses equal to the
`backward()` roots of a plain run that records nothing else."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ._drive import SCRIPTS, Traced, start_plain, trace
from .test_scripts import _assert_same_state

# Runs a script as `python script.py` would, only noting the value of every backward() root.
_ROOTS = """
import json, runpy, sys, torch
roots, backward = [], torch.Tensor.backward
def noted(self, *args, **kwargs):
    roots.append(self.item())
    return backward(self, *args, **kwargs)
torch.Tensor.backward = noted
out, script = sys.argv[1], sys.argv[2]
sys.argv = sys.argv[2:]
sys.path[0] = __import__("os").path.dirname(script)
try:
    runpy.run_path(script, run_name="__main__")
finally:
    json.dump(roots, open(out, "w"))
"""


def plain_roots(script: Path, args: list[str], out: Path) -> list[float]:
    """The value of each backward() root of a plain run, in order."""
    subprocess.run(
        [sys.executable, "-c", _ROOTS, str(out), str(script), *args],
        check=True,
        capture_output=True,
        timeout=300,
    )
    roots: list[float] = json.loads(out.read_text())
    return roots


def traced_and_plain(
    script: str, tmp_path: Path, extra: list[str] | None = None, **kw: Any
) -> tuple[Traced, str, str]:
    """Trace `script` and run it plainly (in parallel); both save their state; the states,
    the exit status and the output are asserted equal here."""
    plain_state, traced_state = tmp_path / "plain.pt", tmp_path / "traced.pt"
    plain = start_plain(SCRIPTS / script, [str(plain_state), *(extra or [])])
    traced = trace(SCRIPTS / script, [str(traced_state), *(extra or [])], **kw)
    out, err = plain.communicate(timeout=300)
    assert (traced.exit_code, traced.end["status"]) == (plain.returncode, "finished")
    assert traced.stdout == out.decode()
    assert traced.stderr == err.decode()
    assert "trace_error" not in codes(traced)
    _assert_same_state(plain_state, traced_state)
    return traced, out.decode(), err.decode()


def codes(traced: Traced) -> list[str]:
    return [n["code"] for n in traced.of("notice")]


def phases_of(traced: Traced, k: int) -> list[str]:
    return [p["phase"] for p in traced.phases if p["iteration"] == k]


def steps(traced: Traced) -> list[dict[str, Any]]:
    return [p for p in traced.phases if p["phase"] == "step"]


def _sum_of_squares(value: dict[str, Any]) -> float:
    """Σx² of a TensorValue: from its values, or from a summary's mean and (population) std."""
    if value.get("values") is not None:
        return float(sum(v * v for v in value["values"]))
    summary = value["summary"]
    return float(summary["numel"] * (summary["std"] ** 2 + summary["mean"] ** 2))


ONE_BACKWARD = [
    # script, iterations, the phases of iteration 1, how the rest is run
    ("weight_tying.py", 20, ["forward", "zero_grad", "loss", "backward", "step"], "iteration"),
    ("zero_grad_at_end.py", 12, ["zero_grad", "forward", "loss", "backward", "step"], "phase"),
    (
        "pinn_float64.py",
        25,
        ["zero_grad", "forward", "forward", "loss", "backward", "step"],
        "iteration",
    ),
    ("user_hooks.py", 4, ["zero_grad", "forward", "loss", "backward", "step"], "phase"),
    ("jit_scripted.py", 8, ["zero_grad", "forward", "loss", "backward", "step"], "iteration"),
    ("notebook_export.py", 10, ["forward", "loss", "zero_grad", "backward", "step"], "iteration"),
    ("progress_and_logging.py", 12, ["zero_grad", "forward", "loss", "backward", "step"], "phase"),
    ("relative_data.py", 11, ["forward", "loss", "zero_grad", "backward", "step"], "iteration"),
    ("while_true.py", 19, ["forward", "loss", "zero_grad", "backward", "step"], "iteration"),
    ("checkpointed.py", 6, ["zero_grad", "forward", "loss", "backward", "step"], "phase"),
    ("transfer_two_stages.py", 16, ["zero_grad", "forward", "loss", "backward", "step"], "phase"),
    ("dataclass_output.py", 9, ["zero_grad", "forward", "loss", "backward", "step"], "iteration"),
    ("spawn_workers.py", 8, ["zero_grad", "forward", "loss", "backward", "step"], "iteration"),
    ("compiled_model.py", 5, ["zero_grad", "forward", "loss", "backward", "step"], "iteration"),
    (
        "sparse_embedding.py",
        12,
        ["zero_grad", "zero_grad", "forward", "loss", "backward", "step", "step"],
        "iteration",
    ),
]


@pytest.mark.parametrize(
    ("script", "iterations", "second", "rest"), ONE_BACKWARD, ids=[s[0] for s in ONE_BACKWARD]
)
def test_traced_like_the_plain_run(
    tmp_path: Path, script: str, iterations: int, second: list[str], rest: str
) -> None:
    traced, _out, _err = traced_and_plain(script, tmp_path, rest=rest)
    assert traced.end["summary"]["iterations"] == iterations
    assert phases_of(traced, 1) == second
    # one backward() per iteration: each iteration's loss is that backward's root
    assert traced.losses() == plain_roots(SCRIPTS / script, [], tmp_path / "roots.json")
    # every model call that trained was found as the model (none taken for evaluation)
    assert not any(e["grad_enabled"] for e in traced.of("evaluation"))


def test_weight_tying_clipping_and_one_cycle_lr(tmp_path: Path) -> None:
    import torch

    traced, out, _err = traced_and_plain("weight_tying.py", tmp_path, rest="phase")
    graph = traced.of("graph")[0]
    params = {n["param"] for n in graph["nodes"] if n.get("param")}
    # the tied matrix is named once, as named_parameters() names it
    assert "wte.weight" in params and "lm_head.weight" not in params
    shown = steps(traced)
    assert len(shown) >= 18  # all but the iterations fast-forwarded by trace()
    names = {u["name"] for u in shown[0]["capture"]["updates"]}
    assert "wte.weight" in names and "lm_head.weight" not in names
    assert "parameters (the tied embedding counted once)" in out
    # the step sees the gradients clip_grad_norm_ left (total norm at most 1)
    for step in shown:
        squares = sum(_sum_of_squares(u["grad"]) for u in step["capture"]["updates"])
        assert squares <= 1.0 + 1e-4
    # OneCycleLR stepped every iteration: torch says which lr each step used
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([param], lr=1e-2)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=20)
    expected = []
    for _ in range(20):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    for step in shown:
        assert {u["hyper"]["lr"] for u in step["capture"]["updates"]} == {
            expected[step["iteration"]]
        }


def test_module_zero_grad_at_the_end_keeps_zeros(tmp_path: Path) -> None:
    # every phase stepped (fast-forward does not count evaluation calls)
    traced, _out, _err = traced_and_plain("zero_grad_at_end.py", tmp_path, phases=100)
    assert phases_of(traced, 0) == ["forward", "loss", "backward", "step"]
    zero = next(p for p in traced.phases if p["phase"] == "zero_grad")
    assert zero["what"] == "Sequential.zero_grad" and not zero["capture"]["set_to_none"]
    assert all(v is not None and not any(v["values"]) for v in zero["capture"]["after"].values())
    # StepLR once per epoch of 4 batches: 0.2, then halved
    lrs = [{u["hyper"]["lr"] for u in s["capture"]["updates"]} for s in steps(traced)]
    assert lrs == [{0.2}] * 4 + [{0.1}] * 4 + [{0.05}] * 4
    # evaluate() every third step: 2 validation batches, no grad, eval mode, then train again
    evaluation = traced.of("evaluation")
    assert sum(e["calls"] for e in evaluation) == 8
    assert not any(e["grad_enabled"] or e["training"] for e in evaluation)
    assert all(p["training"] for p in traced.phases if p["phase"] == "forward")


def test_float64_and_autograd_grad_alongside_backward(tmp_path: Path) -> None:
    traced, _out, _err = traced_and_plain("pinn_float64.py", tmp_path, rest="phase")
    assert traced.end["summary"]["backwards"] == 25  # torch.autograd.grad is no backward
    forward = next(p for p in traced.phases if p["phase"] == "forward")
    assert {v["dtype"] for v in forward["capture"]["tensors"].values()} == {"float64"}
    loss = next(p for p in traced.phases if p["phase"] == "loss")
    assert loss["capture"]["source"] == "backward"
    dtypes = {u["after"]["dtype"] for u in steps(traced)[0]["capture"]["updates"]}
    assert dtypes == {"float64"}


def test_custom_function_and_the_same_loss_backward_twice(tmp_path: Path) -> None:
    traced, _out, _err = traced_and_plain("custom_function.py", tmp_path, rest="phase")
    summary = traced.end["summary"]
    assert (summary["iterations"], summary["backwards"]) == (6, 12)
    assert phases_of(traced, 0) == ["zero_grad", "forward", "loss"] + ["backward"] * 2 + ["step"]
    graph = traced.of("graph")[0]
    assert "SignSTEBackward" in {n["op"] for n in graph["nodes"]}
    # the per-iteration loss is the sum of the two roots: twice the loss
    roots = plain_roots(SCRIPTS / "custom_function.py", [], tmp_path / "roots.json")
    assert traced.losses() == [a + b for a, b in zip(roots[::2], roots[1::2], strict=True)]


def test_user_hooks_run_as_without_tracing(tmp_path: Path) -> None:
    traced, out, _err = traced_and_plain("user_hooks.py", tmp_path, rest="phase")
    assert out.count("tensor hook:") == 4 and out.count("bwd Linear") == 4
    assert [m["module"]["cls"] for m in traced.of("model")[-1]["models"]] == ["Sequential"]
    # the step saw the gradient the user's own hook clamped
    update = next(u for u in steps(traced)[0]["capture"]["updates"] if u["name"] == "0.weight")
    assert max(abs(v) for v in update["grad"]["values"]) <= 0.5


def test_sparse_gradients_are_shown_dense(tmp_path: Path) -> None:
    traced, _out, _err = traced_and_plain("sparse_embedding.py", tmp_path, rest="phase")
    first = steps(traced)[0]
    assert first["what"] == "SparseAdam.step" and not first["iteration_ended"]
    update = next(u for u in first["capture"]["updates"] if u["name"] == "inp.weight")
    assert update["grad"]["shape"] == [30, 8]
    # rows of words not in the batch have no gradient
    rows = [update["grad"]["values"][r * 8 : r * 8 + 8] for r in range(30)]
    assert any(not any(row) for row in rows) and any(any(row) for row in rows)


def test_jit_scripted_module_named_as_written(tmp_path: Path) -> None:
    traced, _out, _err = traced_and_plain("jit_scripted.py", tmp_path)
    forward = next(p for p in traced.phases if p["phase"] == "forward")
    assert forward["what"] == "Regressor"
    assert codes(traced) == ["scripted_module"]
    params = {u["name"] for u in steps(traced)[0]["capture"]["updates"]}
    assert params == {"hidden.weight", "hidden.bias", "head.weight", "head.bias"}


def test_torch_compiled_model_seen_as_the_module_it_wraps(tmp_path: Path) -> None:
    # (traced_and_plain: stderr equal too, torch's warning about global hooks is ours)
    traced, _out, _err = traced_and_plain("compiled_model.py", tmp_path)
    assert codes(traced) == ["compiled_module"]
    forward = next(p for p in traced.phases if p["phase"] == "forward")
    calls = [c["module"] for c in forward["capture"]["calls"]]
    assert (forward["what"], calls) == ("Net", ["", "layers", "layers.0", "layers.1", "layers.2"])
    names = {u["name"] for u in steps(traced)[0]["capture"]["updates"]}
    assert names == {"layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"}


def test_rnn_cell_called_per_letter_with_an_update_by_hand(tmp_path: Path) -> None:
    traced, _out, _err = traced_and_plain("rnn_from_scratch.py", tmp_path, phases=1000)
    summary = traced.end["summary"]
    letters = sum(len(n) for n in ["Anna", "Bo", "Christopher", "Di", "Maximiliano", "Ed"])
    letters += len("Bartholomew") + len("Al")
    # every call of the cell trained, also past the calls kept waiting for a backward
    assert (summary["forwards"], summary["evaluation_calls"]) == (2 * letters, 0)
    assert phases_of(traced, 2) == ["zero_grad"] + ["forward"] * 11 + ["loss", "backward", "step"]
    # rnn.zero_grad() was shown: the .grad = None it left is not a second zero_grad
    assert "grad_set_to_none" not in codes(traced)
    assert traced.losses() == plain_roots(SCRIPTS / "rnn_from_scratch.py", [], tmp_path / "r.json")


def test_a_fresh_model_per_fold_keeps_the_plain_names(tmp_path: Path) -> None:
    traced, _out, _err = traced_and_plain("kfold_fresh_models.py", tmp_path, phases=1000)
    assert traced.end["summary"]["iterations"] == 12
    for step in steps(traced):  # each fold's model, named as the first one was
        assert [u["name"] for u in step["capture"]["updates"]] == ["0.weight", "0.bias"]
    # the models event lists the live models only: the earlier folds' were let go
    assert [m["label"] for m in traced.of("model")[-1]["models"]] == [""]
    assert traced.losses() == plain_roots(
        SCRIPTS / "kfold_fresh_models.py", [], tmp_path / "roots.json"
    )


def test_dcgan_module_zero_grad_and_two_models_of_one_class(tmp_path: Path) -> None:
    traced, _out, _err = traced_and_plain("dcgan_same_class.py", tmp_path, phases=1000)
    summary = traced.end["summary"]
    assert (summary["iterations"], summary["backwards"], summary["steps"]) == (8, 24, 16)
    assert phases_of(traced, 1) == [
        *("zero_grad", "forward", "loss", "backward", "forward", "forward", "loss"),
        *("backward", "step", "zero_grad", "forward", "loss", "backward", "step"),
    ]
    zeros = [p["what"] for p in traced.phases if p["phase"] == "zero_grad"]
    assert set(zeros) == {"Sequential.zero_grad"}
    # the second Sequential is named by the script's variable for it
    labels = [m["label"] for m in traced.of("model")[-1]["models"]]
    assert labels == ["", "netG"]
    second = [s for s in steps(traced) if s["optimizer"] == 1][0]
    assert {u["name"] for u in second["capture"]["updates"]} == {
        "netG.0.weight",
        "netG.0.bias",
        "netG.2.weight",
        "netG.2.bias",
    }
    # each iteration's loss: the sum of its three backward roots
    roots = plain_roots(SCRIPTS / "dcgan_same_class.py", [], tmp_path / "roots.json")
    assert traced.losses() == [sum(roots[k : k + 3]) for k in range(0, 24, 3)]


def test_checkpointed_blocks_recomputed_in_backward_are_not_calls(tmp_path: Path) -> None:
    traced, _out, _err = traced_and_plain("checkpointed.py", tmp_path, rest="phase")
    assert traced.end["summary"]["evaluation_calls"] == 0
    assert {p["what"] for p in traced.phases if p["phase"] == "forward"} == {"Deep"}


def test_second_model_with_its_own_optimizer(tmp_path: Path) -> None:
    traced, _out, _err = traced_and_plain("transfer_two_stages.py", tmp_path, rest="phase")
    summary = traced.end["summary"]
    assert (summary["iterations"], summary["steps"], summary["optimizers"]) == (16, 16, 2)
    assert [(s["iteration"] >= 8) + 0 for s in steps(traced)] == [
        s["optimizer"] for s in steps(traced)
    ]
    assert all(s["iteration_ended"] for s in steps(traced))
    assert "optimizer_idle" not in codes(traced)
    # the second Sequential is named by the script's variable for it
    second = [s for s in steps(traced) if s["optimizer"] == 1][0]
    names = {u["name"] for u in second["capture"]["updates"]}
    assert names == {"model_conv.1.weight", "model_conv.1.bias"}


def test_a_model_returning_a_dataclass(tmp_path: Path) -> None:
    traced, _out, _err = traced_and_plain("dataclass_output.py", tmp_path)
    assert [m["module"]["cls"] for m in traced.of("model")[-1]["models"]] == ["Classifier"]
    loss = next(p for p in traced.phases if p["phase"] == "loss")
    assert (loss["capture"]["source"], loss["what"]) == ("model", "cross_entropy")
    assert "backward_unknown_root" not in codes(traced)


def test_step_every_accum_micro_batches_and_pickled_model(tmp_path: Path) -> None:
    traced, out, _err = traced_and_plain("closure_ordered.py", tmp_path, phases=100)
    summary = traced.end["summary"]
    assert (summary["iterations"], summary["backwards"], summary["steps"]) == (4, 16, 4)
    assert phases_of(traced, 1) == ["zero_grad"] + ["forward", "loss", "backward"] * 4 + ["step"]
    graph = traced.of("graph")[0]
    params = {n["param"] for n in graph["nodes"] if n.get("param")}
    assert params == {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}
    assert "Sequential ['fc1.weight', 'fc1.bias']" in out
    roots = plain_roots(SCRIPTS / "closure_ordered.py", [], tmp_path / "roots.json")
    assert traced.losses() == [sum(roots[k : k + 4]) for k in range(0, 16, 4)]


def test_progress_bar_and_logging_keep_their_order(tmp_path: Path) -> None:
    traced, out, err = traced_and_plain("progress_and_logging.py", tmp_path)
    assert out.count("\r") == 12 and err.count("INFO train") == 4
    stdout = [e for e in traced.of("output") if e["stream"] == "stdout"]
    assert stdout[-1]["text"] == "\n" or stdout[-1]["text"].endswith("\n")


def test_script_arguments_and_files_next_to_the_script(tmp_path: Path) -> None:
    traced, out, _err = traced_and_plain("relative_data.py", tmp_path, ["--epochs", "2"])
    assert out.count("cwd scripts") == 2 and "epoch 2/2" in out
    assert traced.end["summary"]["iterations"] == 22


def test_notebook_magic_fails_with_a_named_reason() -> None:
    plain = start_plain(SCRIPTS / "notebook_magic.py", [])
    traced = trace(SCRIPTS / "notebook_magic.py", [])
    _out, err = plain.communicate(timeout=120)
    assert (traced.end["status"], traced.exit_code, plain.returncode) == ("failed", 1, 1)
    assert traced.end["traceback"] == err.decode() == traced.stderr
    assert traced.end["message"] == "NameError: name 'get_ipython' is not defined"
    notice = next(n for n in traced.of("notice") if n["code"] == "notebook_only")
    assert notice["message"].startswith("get_ipython() exists only inside IPython/Jupyter")
