"""Each test script traced to completion: phases found, iterations, final parameters and
printed output equal to a plain `python script.py` run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from ._drive import SCRIPTS, Traced, start_plain, trace


def _both(
    script: str, tmp_path: Path, extra: list[str] | None = None, **kw: object
) -> tuple[Traced, str, str, Path, Path]:
    """Run the script plainly (in parallel) and traced; saved states in two files."""
    plain_state, traced_state = tmp_path / "plain.pt", tmp_path / "traced.pt"
    plain = start_plain(SCRIPTS / script, [str(plain_state), *(extra or [])])
    traced = trace(SCRIPTS / script, [str(traced_state), *(extra or [])], **kw)  # type: ignore[arg-type]
    out, err = plain.communicate(timeout=120)
    assert plain.returncode == traced.exit_code
    return traced, out.decode(), err.decode(), plain_state, traced_state


def _flat(state: dict[str, Any], prefix: str = "") -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def _assert_same_state(a: Path, b: Path) -> None:
    plain, traced = _flat(torch.load(a)), _flat(torch.load(b))
    assert plain.keys() == traced.keys()
    for name in plain:
        assert torch.equal(plain[name], traced[name]), name


def _first_iteration(traced: Traced) -> list[str]:
    return [p["phase"] for p in traced.phases if p["iteration"] == 0]


def _values(value: dict) -> torch.Tensor:
    return torch.from_numpy(np.asarray(value["values"], dtype=np.float32)).reshape(value["shape"])


def test_linear_regression_matches_the_notes(tmp_path: Path) -> None:
    traced, out, _err, a, b = _both("linear_regression.py", tmp_path)
    assert traced.end["summary"]["iterations"] == 1000
    assert _first_iteration(traced) == ["forward", "loss", "zero_grad", "backward", "step"]
    assert traced.stdout == out and out.count("Epoch [") == 10
    _assert_same_state(a, b)
    # torch is the oracle: the notes' first update, computed here the same way
    torch.manual_seed(42)
    x = torch.rand(100, 1) * 10
    y = 2 * x + 1 + torch.randn(100, 1) * 0.1
    linear = torch.nn.Linear(1, 1)
    weight = linear.weight.detach().clone()
    torch.nn.functional.mse_loss(linear(x), y).backward()
    assert linear.weight.grad is not None
    step = next(p for p in traced.phases if p["phase"] == "step")
    update = next(u for u in step["capture"]["updates"] if u["name"] == "linear.weight")
    assert torch.equal(_values(update["before"]), weight)
    assert torch.equal(_values(update["grad"]), linear.weight.grad)
    assert torch.equal(_values(update["after"]), weight.add(linear.weight.grad, alpha=-0.01))
    assert round(float(linear.weight.grad), 4) == -143.5077
    assert (round(float(weight), 4), round(float(_values(update["after"])), 4)) == (0.1447, 1.5797)
    assert len(traced.losses()) == 1000


def test_char_lm_loss_inside_the_model(tmp_path: Path) -> None:
    traced, out, _err, a, b = _both("char_lm.py", tmp_path, rest="phase")
    assert traced.end["summary"]["iterations"] == 60
    assert traced.stdout == out  # the sampled text after training too
    _assert_same_state(a, b)
    forward = traced.phases[0]
    assert forward["phase"] == "forward" and forward["what"] == "BigramLanguageModel"
    source = (SCRIPTS / "char_lm.py").read_text().splitlines()
    inside = forward["loss_inside_model"]
    assert "F.cross_entropy" in source[inside["line"] - 1]
    loss = next(p for p in traced.phases if p["phase"] == "loss")
    assert loss["capture"]["source"] == "model" and loss["what"] == "cross_entropy"
    assert loss["location"] == inside
    evaluations = traced.of("evaluation")
    assert any(not e["grad_enabled"] and not e["training"] for e in evaluations)  # estimate_loss
    # generate() without no_grad: shown as forward phases (stepped by phase), then known to
    # be inference because no backward reached them; never counted as iterations
    generate = [e for e in evaluations if e["grad_enabled"]]
    assert sum(e["calls"] for e in generate) == 40
    assert all(e["shown_as_forward"] and e["training"] for e in generate)
    assert traced.end["summary"]["backwards"] == 60


@pytest.mark.parametrize("workers", ["0", "2"])
def test_cnn_with_dataloader(tmp_path: Path, workers: str) -> None:
    traced, out, _err, a, b = _both("cnn_dataloader.py", tmp_path, [workers], phases=6)
    assert traced.end["summary"]["iterations"] == 12
    assert _first_iteration(traced) == ["zero_grad", "forward", "loss", "backward", "step"]
    assert traced.stdout == out
    _assert_same_state(a, b)
    step = next(p for p in traced.phases if p["phase"] == "step")
    lrs = {u["name"].split(".")[0]: u["hyper"]["lr"] for u in step["capture"]["updates"]}
    assert lrs == {"features": 0.05, "classifier": 0.1}


def test_gradient_accumulation(tmp_path: Path) -> None:
    traced, out, _err, a, b = _both("grad_accumulation.py", tmp_path, phases=16)
    summary = traced.end["summary"]
    assert (summary["iterations"], summary["backwards"], summary["steps"]) == (5, 20, 5)
    first = [p for p in traced.phases if p["iteration"] == 0]
    assert [p["phase"] for p in first] == ["forward", "loss", "backward"] * 4 + ["step"]
    assert first[-1]["micro_batch"] == 4
    zero = next(p for p in traced.phases if p["phase"] == "zero_grad")
    assert zero["what"] == "Sequential.zero_grad" and zero["iteration"] == 1
    assert traced.stdout == out
    _assert_same_state(a, b)


def test_two_optimizers(tmp_path: Path) -> None:
    traced, out, _err, a, b = _both("tiny_gan.py", tmp_path, phases=14)
    assert traced.end["summary"]["iterations"] == 10
    assert traced.end["summary"]["steps"] == 20
    steps = [p for p in traced.phases if p["phase"] == "step" and p["iteration"] == 0]
    assert [(s["optimizer"], s["iteration_ended"]) for s in steps] == [(0, False), (1, True)]
    models = traced.of("model")[-1]["models"]
    assert [m["module"]["cls"] for m in models] == ["Discriminator", "Generator"]
    assert traced.stdout == out
    _assert_same_state(a, b)


def test_model_and_loss_in_a_second_file(tmp_path: Path) -> None:
    traced, out, _err, a, b = _both("two_files/train.py", tmp_path)
    assert traced.end["summary"]["iterations"] == 6
    loss = next(p for p in traced.phases if p["phase"] == "loss")
    assert loss["location"]["file"] == "model.py" and loss["what"] == "smooth_l1_loss"
    model_py = (SCRIPTS / "two_files" / "model.py").read_text().splitlines()
    assert "smooth_l1_loss" in model_py[loss["location"]["line"] - 1]
    assert traced.stdout == out
    _assert_same_state(a, b)


def test_script_that_raises(tmp_path: Path) -> None:
    plain = start_plain(SCRIPTS / "raises_midway.py", [])
    traced = trace(SCRIPTS / "raises_midway.py", [])
    out, err = plain.communicate(timeout=120)
    assert (traced.end["status"], traced.exit_code, plain.returncode) == ("failed", 1, 1)
    assert traced.end["summary"]["iterations"] == 4
    assert traced.stdout == out.decode()
    assert traced.stderr == err.decode() == traced.end["traceback"]
    assert "runpy" not in traced.end["traceback"] and "loopscope" not in traced.end["traceback"]
    assert traced.end["message"].startswith("ValueError: boom at step 3")


def test_script_that_exits() -> None:
    traced = trace(SCRIPTS / "exits_early.py", [])
    assert (traced.end["status"], traced.end["exit_code"], traced.exit_code) == ("finished", 3, 3)
    assert traced.end["summary"]["iterations"] == 2
    assert traced.stdout == "leaving early\n"


def test_signal_handler_and_input(tmp_path: Path) -> None:
    plain = start_plain(SCRIPTS / "signal_and_input.py", [str(tmp_path / "plain.pt")], b"Ada\n")
    out, _ = plain.communicate(b"Ada\n", timeout=120)
    stdin = tmp_path / "stdin.txt"
    stdin.write_bytes(b"Ada\n")
    with stdin.open("rb") as handle:
        traced = trace(SCRIPTS / "signal_and_input.py", [str(tmp_path / "traced.pt")], stdin=handle)
    assert traced.stdout == out.decode()
    assert "got signal SIGUSR1" in traced.stdout and "hello Ada" in traced.stdout
    assert traced.end["summary"]["iterations"] == 3
    loss = next(p for p in traced.phases if p["phase"] == "loss")
    assert loss["capture"]["source"] == "backward" and loss["what"] == "MeanBackward0"
    _assert_same_state(tmp_path / "plain.pt", tmp_path / "traced.pt")


def test_no_training_loop() -> None:
    traced = trace(SCRIPTS / "no_training.py", [])
    assert traced.end["status"] == "finished" and traced.phases == []
    assert [n["code"] for n in traced.of("notice")] == ["no_training_step"]
    assert traced.end["summary"]["iterations"] == 0
    assert traced.of("evaluation")[0]["grad_enabled"] is False


def test_from_scratch_without_module_or_optimizer(tmp_path: Path) -> None:
    traced, out, _err, a, b = _both("from_scratch.py", tmp_path)
    assert traced.end["summary"]["iterations"] == 4
    assert [n["code"] for n in traced.of("notice")] == ["backward_unknown_root", "no_optimizer"]
    # the script's own update and zeroing, seen as the step and zero_grad
    assert _first_iteration(traced) == ["loss", "backward", "step", "zero_grad"]
    assert traced.phases[0]["capture"]["source"] == "backward"
    assert traced.stdout == out
    _assert_same_state(a, b)


def test_grad_scaler_skip_and_custom_criterion(tmp_path: Path) -> None:
    traced, out, _err, a, b = _both("amp_custom_loss.py", tmp_path, phases=6)
    assert traced.end["summary"]["iterations"] == 6
    assert _first_iteration(traced) == [
        "zero_grad",
        "forward",
        "forward",
        "loss",
        "backward",
        "step",
    ]
    loss = next(p for p in traced.phases if p["phase"] == "loss")
    assert (loss["what"], loss["capture"]["source"]) == ("SquaredErrorLoss", "criterion")
    steps = [p for p in traced.phases if p["phase"] == "step"]
    assert steps and all(s["scaler_skipped"] and s["iteration_ended"] for s in steps)
    assert [m["module"]["cls"] for m in traced.of("model")[-1]["models"]] == [
        "Sequential",
        "Linear",
    ]
    assert traced.stdout == out
    _assert_same_state(a, b)
