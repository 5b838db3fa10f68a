"""Course scripts whose loop lives in functions (`main()`, `train(model, ...)`, a `Learner`),
each traced to its end against plain runs (exit status, output, final parameters
`torch.equal`, each iteration's loss equal to a plain run's backward() roots); models made
inside a function are named by the variable that holds them, evaluation calls are counted
also while fast-forwarding, and optimizers made up front for two stages of fine-tuning
each end their iterations."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
import torch

from ._drive import SCRIPTS
from .test_scripts import _values
from .test_unseen_courses import codes, phases_of, plain_roots, steps, traced_and_plain


def _evaluation(traced: object) -> tuple[int, int]:
    """(evaluation calls in the events, in the summary)."""
    events = traced.of("evaluation")  # type: ignore[attr-defined]
    assert not any(e["grad_enabled"] or e["training"] for e in events)
    return sum(e["calls"] for e in events), traced.end["summary"]["evaluation_calls"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("rest", ["iteration", "phase"])
def test_pytorch_examples_mnist_inside_main(tmp_path: Path, rest: str) -> None:
    traced, out, _err = traced_and_plain("mnist_examples.py", tmp_path, rest=rest)
    assert traced.end["summary"]["iterations"] == 12  # 3 epochs of 64 images in batches of 16
    assert phases_of(traced, 1) == ["zero_grad", "forward", "loss", "backward", "step"]
    assert traced.losses() == plain_roots(SCRIPTS / "mnist_examples.py", [], tmp_path / "r.json")
    # test() after each epoch: one batch of 32 under no_grad, also when fast-forwarded past
    assert _evaluation(traced) == (3, 3)
    assert out.count("Test set: Average loss") == 3
    # Adadelta at 1.0, StepLR(gamma=0.7) after each epoch of 4 steps, as torch's scheduler says
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.Adadelta([param], lr=1.0)
    schedule = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    lrs = []
    for _ in range(3):
        lrs += [optimizer.param_groups[0]["lr"]] * 4
        optimizer.step()  # (no gradient: changes nothing; torch wants it before the schedule)
        schedule.step()
    for step in steps(traced):
        assert {u["hyper"]["lr"] for u in step["capture"]["updates"]} == {lrs[step["iteration"]]}


def test_mnist_dry_run_breaks_after_the_first_batch(tmp_path: Path) -> None:
    traced, _out, _err = traced_and_plain("mnist_examples.py", tmp_path, ["--dry-run"])
    assert traced.end["summary"]["iterations"] == 3


def test_gan_models_made_inside_main_named_by_their_variables(tmp_path: Path) -> None:
    traced, _out, _err = traced_and_plain("gan_in_main.py", tmp_path, phases=1000)
    summary = traced.end["summary"]
    assert (summary["iterations"], summary["backwards"], summary["steps"]) == (6, 12, 12)
    # two nn.Sequential made in main(): the second is named by main()'s variable for it, not
    # by train_gan()'s parameter nor as "Sequential#2"
    assert [m["label"] for m in traced.of("model")[-1]["models"]] == ["", "netG"]
    second = next(s for s in steps(traced) if s["optimizer"] == 1)
    assert {u["name"] for u in second["capture"]["updates"]} == {
        f"netG.{k}.{w}" for k in (0, 2) for w in ("weight", "bias")
    }
    roots = plain_roots(SCRIPTS / "gan_in_main.py", [], tmp_path / "roots.json")
    assert traced.losses() == [a + b for a, b in zip(roots[::2], roots[1::2], strict=True)]


def test_word_language_model_updates_by_hand_after_clipping(tmp_path: Path) -> None:
    traced, out, _err = traced_and_plain("word_language_model.py", tmp_path)
    assert traced.end["summary"]["iterations"] == 24  # 8 batches of 5 steps, 3 epochs
    assert "no_optimizer" in codes(traced)
    assert traced.losses() == plain_roots(
        SCRIPTS / "word_language_model.py", [], tmp_path / "roots.json"
    )
    step = steps(traced)[0]
    assert step["what"] == "update by hand" and step["iteration"] == 0
    source = (SCRIPTS / "word_language_model.py").read_text().splitlines()
    assert "p.data.add_(p.grad, alpha=-lr)" in source[step["location"]["line"] - 1]
    updates = {u["name"]: u for u in step["capture"]["updates"]}
    assert {"encoder.weight", "rnn.weight_ih_l1", "decoder.bias"} <= set(updates)
    squares = 0.0
    for update in updates.values():  # torch is the oracle: p.add_(grad, alpha=-5.0)
        before, grad = _values(update["before"]), _values(update["grad"])
        assert torch.equal(_values(update["after"]), before.add(grad, alpha=-5.0))
        squares += float((grad.double() ** 2).sum())
    assert squares <= 0.25**2 + 1e-6  # the gradients clip_grad_norm_ left
    # evaluate(): 4 chunks under no_grad after each epoch, fast-forwarded past
    assert _evaluation(traced) == (12, 12)
    assert out.count("end of epoch") == 3


def test_zero_to_mastery_train_step_and_test_step(tmp_path: Path) -> None:
    traced, out, _err = traced_and_plain("ztm_steps.py", tmp_path)
    assert traced.end["summary"]["iterations"] == 12  # 80 points in batches of 20, 3 epochs
    assert phases_of(traced, 1) == ["forward", "loss", "zero_grad", "backward", "step"]
    assert traced.losses() == plain_roots(SCRIPTS / "ztm_steps.py", [], tmp_path / "r.json")
    # test_step() under inference_mode: 2 batches of the random_split's 20 per epoch
    assert _evaluation(traced) == (6, 6)
    assert {p["what"] for p in traced.phases if p["phase"] == "forward"} == {"BlobModelV0"}


def test_d2l_accumulator_and_an_optimizer_as_updater(tmp_path: Path) -> None:
    traced, _out, _err = traced_and_plain("d2l_accumulator.py", tmp_path, rest="phase")
    assert traced.end["summary"]["iterations"] == 15
    assert phases_of(traced, 1) == ["forward", "loss", "zero_grad", "backward", "step"]
    loss = next(p for p in traced.phases if p["phase"] == "loss")
    assert loss["what"] == "CrossEntropyLoss"
    # the loss of reduction='none' is averaged before backward(): the root is the mean
    roots = plain_roots(SCRIPTS / "d2l_accumulator.py", [], tmp_path / "roots.json")
    assert traced.losses() == roots
    assert _evaluation(traced) == (3, 3)


def test_learner_with_callbacks_and_zero_grad_after_step(tmp_path: Path) -> None:
    traced, out, _err = traced_and_plain("learner_callbacks.py", tmp_path)
    assert traced.end["summary"]["iterations"] == 10 and "stopped after 10 steps" in out
    assert phases_of(traced, 1) == ["zero_grad", "forward", "loss", "backward", "step"]
    zero = next(p for p in traced.phases if p["phase"] == "zero_grad")
    assert zero["capture"]["set_to_none"]
    assert traced.losses() == plain_roots(
        SCRIPTS / "learner_callbacks.py", [], tmp_path / "roots.json"
    )
    assert _evaluation(traced) == (3, 3)  # MetricsCB after each of the 3 whole epochs


def test_weight_norm_parametrizations_in_a_module_list(tmp_path: Path) -> None:
    traced, _out, _err = traced_and_plain("modulelist_weight_norm.py", tmp_path)
    assert traced.end["summary"]["iterations"] == 15
    built = runpy.run_path(str(SCRIPTS / "modulelist_weight_norm.py"), run_name="built")
    model = built["DeepMLP"]([1, 10, 10, 10, 1])
    names = {name for name, _ in model.named_parameters()}
    assert "layers.2.parametrizations.weight.original1" in names
    assert {u["name"] for u in steps(traced)[0]["capture"]["updates"]} == names
    assert traced.losses() == plain_roots(
        SCRIPTS / "modulelist_weight_norm.py", [], tmp_path / "roots.json"
    )


def test_mingpt_loss_inside_the_model_and_two_parameter_groups(tmp_path: Path) -> None:
    traced, _out, _err = traced_and_plain("mingpt_function.py", tmp_path)
    assert traced.end["summary"]["iterations"] == 12
    assert phases_of(traced, 1) == ["forward", "zero_grad", "loss", "backward", "step"]
    loss = next(p for p in traced.phases if p["phase"] == "loss")
    assert (loss["capture"]["source"], loss["what"]) == ("model", "cross_entropy")
    decay = {u["name"]: u["hyper"]["weight_decay"] for u in steps(traced)[0]["capture"]["updates"]}
    assert decay["tok_emb.weight"] == decay["head.weight"] == 0.1
    assert decay["pos_emb"] == decay["ln.weight"] == decay["attn.in_proj_bias"] == 0.0
    # generate(): 20 calls under @torch.no_grad() after training (the text it sampled with
    # torch.multinomial is in the output compared above)
    assert _evaluation(traced) == (20, 20)
    assert traced.losses() == plain_roots(SCRIPTS / "mingpt_function.py", [], tmp_path / "r.json")


def test_accumulation_with_a_disabled_grad_scaler(tmp_path: Path) -> None:
    traced, _out, _err = traced_and_plain("amp_accumulation.py", tmp_path, phases=100)
    summary = traced.end["summary"]
    assert (summary["iterations"], summary["backwards"], summary["steps"]) == (8, 24, 8)
    assert phases_of(traced, 0) == ["forward", "loss", "backward"] * 3 + ["step"]
    assert phases_of(traced, 1) == ["zero_grad"] + ["forward", "loss", "backward"] * 3 + ["step"]
    assert not any(s["scaler_skipped"] for s in steps(traced))
    roots = plain_roots(SCRIPTS / "amp_accumulation.py", [], tmp_path / "roots.json")
    assert traced.losses() == [sum(roots[k : k + 3]) for k in range(0, 24, 3)]


def test_two_fine_tuning_optimizers_made_up_front(tmp_path: Path) -> None:
    traced, _out, _err = traced_and_plain("finetune_set_aside.py", tmp_path, phases=1000)
    summary = traced.end["summary"]
    # every step ends its iteration: optimizer_all holds the head's parameters too, so the
    # two are alternatives, and neither waits for the other
    assert (summary["iterations"], summary["steps"], summary["optimizers"]) == (20, 20, 2)
    assert all(s["iteration_ended"] for s in steps(traced))
    assert [s["optimizer"] for s in steps(traced)] == [0] * 8 + [1] * 12
    assert "optimizer_idle" not in codes(traced)
    assert traced.losses() == plain_roots(
        SCRIPTS / "finetune_set_aside.py", [], tmp_path / "roots.json"
    )
    assert _evaluation(traced) == (5, 5)


def test_a_progress_bar_redrawn_with_carriage_returns_arrives_while_drawn(
    tmp_path: Path,
) -> None:
    # (the bar is redrawn every 0.05 s; the parent passes it on at most every 0.1 s)
    traced, _out, err = traced_and_plain("tqdm_style_bar.py", tmp_path, ["0.05"])
    assert err.count("\r") == 20 and err.count("\n") == 2
    pieces = []
    for event in traced.of("output"):
        if event["stream"] == "stderr":
            pieces.append(event["text"])
            if "\n" in event["text"]:
                break  # the first epoch's bar is done
    # it came in pieces before its newline (each cut at a whole character)
    assert len(pieces) >= 3
    assert "".join(pieces) == err[: err.index("\n") + 1]


def test_gan_models_kept_on_a_trainer_named_by_their_attributes(tmp_path: Path) -> None:
    traced, _out, _err = traced_and_plain("gan_trainer_class.py", tmp_path, phases=1000)
    assert traced.end["summary"]["iterations"] == 6
    # no variable holds the second nn.Sequential: the trainer's attribute for it names it
    assert [m["label"] for m in traced.of("model")[-1]["models"]] == ["", "netG"]
    second = next(s for s in steps(traced) if s["optimizer"] == 1)
    assert {u["name"] for u in second["capture"]["updates"]} == {
        f"netG.{k}.{w}" for k in (0, 2) for w in ("weight", "bias")
    }
    roots = plain_roots(SCRIPTS / "gan_trainer_class.py", [], tmp_path / "roots.json")
    assert traced.losses() == [a + b for a, b in zip(roots[::2], roots[1::2], strict=True)]


def test_a_model_pickled_whole_while_fast_forwarding(tmp_path: Path) -> None:
    # torch.save(model) after the loop, fast-forwarded to: the models carry the tracer's
    # pre-hook then (it counts evaluation calls), which a pickle must not contain
    traced, out, _err = traced_and_plain("closure_ordered.py", tmp_path)
    assert traced.end["summary"]["iterations"] == 4
    assert "Sequential ['fc1.weight', 'fc1.bias']" in out
