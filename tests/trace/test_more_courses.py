"""A third set of course-style scripts the tracer was not written for, each traced to its
end against plain runs (exit status, stdout and stderr in order, final parameters
`torch.equal`, each iteration's loss equal to a plain run's backward() roots): the
translation tutorial's encoder and decoder with two optimizers, the transfer-learning
tutorial's train/val phases, an LLMs-from-scratch training function, makemore's layers as
plain classes with a BatchNorm by hand, MAML, schedules by hand and by ReduceLROnPlateau,
two models trained one after the other; and scripts that never call backward() (gradients
by hand, from torch.autograd.grad or torch.func), which end with a named reason."""

from __future__ import annotations

import ast
import random
import re
import subprocess
from pathlib import Path

import torch

from ._drive import SCRIPTS
from ._served import TIMEOUT, trace_command
from .test_scripts import _values
from .test_unseen_courses import codes, phases_of, plain_roots, steps, traced_and_plain


def _roots(script: str, tmp_path: Path) -> list[float]:
    return plain_roots(SCRIPTS / script, [], tmp_path / "roots.json")


def _assigned(script: str, name: str) -> object:
    """The literal a script assigns to `name` at module level (its data, not its results)."""
    tree = ast.parse((SCRIPTS / script).read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{script} assigns no {name}")


def test_seq2seq_encoder_and_decoder_with_two_optimizers(tmp_path: Path) -> None:
    traced, _out, _err = traced_and_plain("seq2seq_two_optimizers.py", tmp_path, rest="phase")
    summary = traced.end["summary"]
    assert (summary["iterations"], summary["steps"], summary["optimizers"]) == (12, 24, 2)
    assert summary["zero_grads"] == 24 and summary["evaluation_calls"] == 0
    assert traced.losses() == _roots("seq2seq_two_optimizers.py", tmp_path)
    # the pairs trainIters() draws first with the script's seed: the encoder runs once per
    # input word and EOS, the decoder once per output word (until EOS without forcing)
    random.seed(5)
    pairs = _assigned("seq2seq_two_optimizers.py", "pairs")
    assert isinstance(pairs, list)
    drawn = [random.choice(pairs) for _ in range(12)]
    shown = sorted({s["iteration"] for s in steps(traced)})
    assert len(shown) >= 9  # all but those trace() fast-forwarded
    for k in shown[1:]:  # (the first was partly stepped phase by phase)
        source, target = drawn[k]
        phases = [p for p in traced.phases if p["iteration"] == k]
        kinds = [p["phase"] for p in phases]
        assert kinds[:2] == ["zero_grad", "zero_grad"]
        assert kinds[-3:] == ["backward", "step", "step"]
        calls = [p["what"] for p in phases if p["phase"] == "forward"]
        encoder = len(source) + 1
        assert calls[:encoder] == ["EncoderRNN"] * encoder
        decoder = len(calls) - encoder
        assert 1 <= decoder <= len(target) + 1 and calls[encoder:] == ["DecoderRNN"] * decoder
        assert kinds[2 + encoder : -3] == ["forward", "loss"] * decoder
    # each optimizer's step updates its own model's parameters
    first, second = steps(traced)[-2:]
    assert (first["optimizer"], second["optimizer"]) == (0, 1)
    assert not first["iteration_ended"] and second["iteration_ended"]
    assert {u["name"] for u in first["capture"]["updates"]} == {
        "embedding.weight",
        *(f"gru.{w}_{g}_l0" for w in ("weight", "bias") for g in ("ih", "hh")),
    }
    assert "DecoderRNN.out.weight" in {u["name"] for u in second["capture"]["updates"]}


def test_transfer_learning_train_and_val_phases(tmp_path: Path) -> None:
    traced, out, _err = traced_and_plain("transfer_phases.py", tmp_path, rest="phase")
    summary = traced.end["summary"]
    # 3 epochs of 3 training batches; the 2 val batches a epoch run without grad, in eval
    # mode, after an optimizer.zero_grad() each
    assert (summary["iterations"], summary["evaluation_calls"]) == (9, 6)
    assert summary["zero_grads"] == 15
    assert sum(e["calls"] for e in traced.of("evaluation")) == 6
    assert not any(e["grad_enabled"] or e["training"] for e in traced.of("evaluation"))
    assert all(p["training"] for p in traced.phases if p["phase"] == "forward")
    assert traced.losses() == _roots("transfer_phases.py", tmp_path)
    assert out.count("val Loss") == 3 and "Best val Acc" in out
    # StepLR(step_size=2, gamma=0.1) after each train phase, as torch's scheduler gives it
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=0.1, momentum=0.9)
    schedule = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.1)
    lrs = []
    for _ in range(3):
        lrs += [optimizer.param_groups[0]["lr"]] * 3
        optimizer.step()
        schedule.step()
    for step in steps(traced):
        assert {u["hyper"]["lr"] for u in step["capture"]["updates"]} == {lrs[step["iteration"]]}


def test_llm_from_scratch_training_function(tmp_path: Path) -> None:
    for rest in ("iteration", "phase"):
        traced, out, _err = traced_and_plain("llm_from_scratch.py", tmp_path, rest=rest)
        summary = traced.end["summary"]
        assert summary["iterations"] == 18
        # evaluate_model() at steps 0, 5, 10, 15 (one train and one val batch each) and
        # generate_text_simple() of 10 tokens after each of the 2 epochs, all without grad
        assert out.count("Train loss") == 4
        assert summary["evaluation_calls"] == 4 * 2 + 2 * 10
        assert sum(e["calls"] for e in traced.of("evaluation")) == 28
    assert traced.losses() == _roots("llm_from_scratch.py", tmp_path)
    assert phases_of(traced, 1) == ["zero_grad", "forward", "loss", "backward", "step"]
    loss = next(p for p in traced.phases if p["phase"] == "loss")
    assert (loss["what"], loss["capture"]["source"]) == ("cross_entropy", "functional")
    assert loss["location"]["function"] == "calc_loss_batch"
    assert [m["module"]["cls"] for m in traced.of("model")[-1]["models"]] == ["TinyGPT"]


def test_makemore_layers_as_plain_classes_named_by_the_script(tmp_path: Path) -> None:
    traced, out, _err = traced_and_plain("makemore_batchnorm.py", tmp_path, rest="phase")
    assert traced.end["summary"]["iterations"] == 25  # the break after step 24
    assert traced.losses() == _roots("makemore_batchnorm.py", tmp_path)
    assert "ud ratios kept 25" in out
    shown = steps(traced)
    assert len(shown) >= 23 and all(s["what"] == "update by hand" for s in shown)
    # named as the script holds them: an attribute of a layer in `layers`, or a global
    # (not `p`, the loop variable that happens to hold one of them)
    names = {u["name"] for u in shown[0]["capture"]["updates"]}
    assert names == {
        "C",
        "layers[0].weight",
        "layers[1].gamma",
        "layers[1].beta",
        "layers[3].weight",
        "layers[4].gamma",
        "layers[4].beta",
    }
    source = (SCRIPTS / "makemore_batchnorm.py").read_text().splitlines()
    assert source[shown[0]["location"]["line"] - 1].strip() == "p.data += -lr * p.grad"
    # torch is the oracle: after = before + (-lr * grad), bit for bit
    checked = 0
    for step in shown:
        lr = 0.1 if step["iteration"] < 20 else 0.01
        for update in step["capture"]["updates"]:
            if update["before"].get("values") is None:
                continue
            before, grad = _values(update["before"]), _values(update["grad"])
            assert torch.equal(before + (-lr * grad), _values(update["after"])), update["name"]
            checked += 1
    assert checked >= len(shown)  # (C at least: small enough to travel with its values)


def test_maml_inner_steps_with_autograd_grad_and_functional_call(tmp_path: Path) -> None:
    traced, _out, _err = traced_and_plain("maml_inner_loop.py", tmp_path, rest="phase")
    summary = traced.end["summary"]
    assert (summary["iterations"], summary["backwards"], summary["steps"]) == (10, 10, 10)
    # 3 tasks: a support and a query forward each, through the model's own hooks
    assert phases_of(traced, 4) == ["zero_grad"] + ["forward", "loss"] * 6 + ["backward", "step"]
    assert codes(traced) == []  # autograd.grad beside an optimizer: nothing to warn about
    assert traced.losses() == _roots("maml_inner_loop.py", tmp_path)
    names = {u["name"] for u in steps(traced)[0]["capture"]["updates"]}
    assert names == {"0.weight", "0.bias", "2.weight", "2.bias"}


def test_warmup_by_hand_then_reduce_on_plateau(tmp_path: Path) -> None:
    traced, out, _err = traced_and_plain("plateau_warmup.py", tmp_path, rest="phase")
    assert traced.end["summary"]["iterations"] == 16
    assert traced.losses() == _roots("plateau_warmup.py", tmp_path)
    # model.zero_grad(set_to_none=True), then optimizer.zero_grad(): two zero_grad phases
    assert phases_of(traced, 5) == ["zero_grad", "zero_grad", "forward", "loss", "backward", "step"]
    zeros = [p for p in traced.phases if p["phase"] == "zero_grad" and p["iteration"] == 5]
    assert [z["what"] for z in zeros] == ["Sequential.zero_grad", "Adam.zero_grad"]
    # the lr of each step: the warmup's base_lr * (k + 1) / 4 for the first 4 steps, then the
    # lr the script's optimizer printed after the previous epoch's scheduler.step(val_loss)
    printed = [float(v) for v in re.findall(r"lr (\d\.\d+)", out)]
    expected = [0.05 * (k + 1) / 4 for k in range(4)] + [lr for lr in printed[:3] for _ in range(4)]
    assert printed == [0.05, 0.05, 0.025, 0.0125]  # halved after each val loss that rose
    for step in steps(traced):
        lr = {u["hyper"]["lr"] for u in step["capture"]["updates"]}
        assert lr == {expected[step["iteration"]]}


def test_a_baseline_then_an_improved_model(tmp_path: Path) -> None:
    traced, _out, _err = traced_and_plain("baseline_then_improved.py", tmp_path, rest="phase")
    summary = traced.end["summary"]
    assert (summary["iterations"], summary["steps"], summary["optimizers"]) == (20, 20, 2)
    assert traced.losses() == _roots("baseline_then_improved.py", tmp_path)
    assert [s["optimizer"] for s in steps(traced)] == [0] * 6 + [1] * 12  # 0, 1 stepped by trace()
    assert all(s["iteration_ended"] for s in steps(traced))
    assert "optimizer_idle" not in codes(traced)
    improved = steps(traced)[-1]
    assert {u["name"] for u in improved["capture"]["updates"]} == {
        f"improved.{k}.{w}" for k in (0, 2) for w in ("weight", "bias")
    }
    assert [m["label"] for m in traced.of("model")[-1]["models"]] == ["", "improved"]


def test_gradients_by_hand_without_backward_end_with_the_reason(tmp_path: Path) -> None:
    traced, out, _err = traced_and_plain("manual_backprop.py", tmp_path)
    assert out.count("/40:") == 4
    assert traced.end["summary"]["iterations"] == 0 and traced.losses() == []
    assert codes(traced) == ["no_training_step"]
    notice = traced.of("notice")[0]["message"]
    assert notice.startswith("no backward() and no optimizer.step() were seen")


def test_autograd_grad_instead_of_backward_is_named(tmp_path: Path) -> None:
    traced, out, _err = traced_and_plain("autograd_grad_sgd.py", tmp_path, rest="phase")
    assert "grad filled: False" in out
    assert codes(traced) == ["grad_without_backward", "no_training_step"]
    assert traced.of("notice")[0]["iteration"] == 0
    summary = traced.end["summary"]
    assert (summary["iterations"], summary["forwards"], summary["backwards"]) == (0, 30, 0)
    assert phases_of(traced, 0) == ["forward", "loss"] * 30
    assert traced.losses() == []


def test_torch_func_grad_training_is_named_not_an_error(tmp_path: Path) -> None:
    traced, out, _err = traced_and_plain("func_grad_training.py", tmp_path)
    assert out.count("step ") == 4
    # calls inside torch.func.grad are not read (their tensors have no storage); the loss
    # printed each 8 steps is computed outside it, without grad: evaluation
    assert codes(traced) == ["func_transform", "no_training_step"]
    summary = traced.end["summary"]
    assert (summary["iterations"], summary["forwards"], summary["evaluation_calls"]) == (0, 0, 4)


def test_the_command_says_why_nothing_was_shown() -> None:
    done = subprocess.run(
        trace_command("--headless", "--exit-with-script", str(SCRIPTS / "autograd_grad_sgd.py")),
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 2,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert "note (grad_without_backward): torch.autograd.grad() returned gradients" in done.stderr
    assert "note (no_training_step): no backward() and no optimizer.step()" in done.stderr
    assert "finished (exit status 0), 0 training iterations" in done.stderr
    assert "Traceback" not in done.stderr
