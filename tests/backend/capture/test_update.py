"""The update terms of optimizer.step(), replayed on clones: checked against torch's own step.

Every case runs a real optimizer for several steps with the StepRecorder around step();
the terms must rebuild step()'s result with one torch op each, `same_bits` must hold,
and the run must be bit-identical to the same loop without the recorder.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

from loopscope.capture.optimizer import REPLAY_HEAD, StepRecorder
from loopscope.capture.update import bits_equal
from loopscope.capture.values import FIRST_VALUES, ValueCache

from .._helpers import decode

Make = Callable[[Any], torch.optim.Optimizer]

SGD_CASES: dict[str, Make] = {
    "sgd": lambda p: torch.optim.SGD(p, lr=0.05),
    "sgd weight_decay": lambda p: torch.optim.SGD(p, lr=0.05, weight_decay=0.1),
    "momentum": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
    "momentum dampening": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3),
    "nesterov weight_decay": lambda p: torch.optim.SGD(
        p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01
    ),
    "maximize": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.5, maximize=True),
}
ADAM_CASES: dict[str, Make] = {
    "adam": lambda p: torch.optim.Adam(p, lr=0.01),
    "adam weight_decay": lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1),
    "adam amsgrad": lambda p: torch.optim.Adam(p, lr=0.01, amsgrad=True),
    "adamw": lambda p: torch.optim.AdamW(p, lr=0.01),
    "adamw no decay": lambda p: torch.optim.AdamW(p, lr=0.01, betas=(0.8, 0.99), weight_decay=0),
}
CASES = {**SGD_CASES, **ADAM_CASES}


def make_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))


def run(
    make: Make,
    foreach: bool,
    steps: int,
    record: bool,
    frozen: str | None = None,
    zero_grad: bool = True,
) -> tuple[nn.Module, torch.optim.Optimizer, list[dict[str, Any]]]:
    """Train `steps` steps; with `record`, a StepRecorder around each step (its captures)."""
    model = make_model()
    named = dict(model.named_parameters())
    if frozen is not None:
        named[frozen].requires_grad_(False)
    optimizer = make(model.parameters())
    for group in optimizer.param_groups:
        group["foreach"] = foreach
    x = torch.linspace(-1, 1, 16).reshape(8, 2)
    y = x.sum(dim=1, keepdim=True).sin()
    captures = []
    for _ in range(steps):
        loss = nn.functional.mse_loss(model(x), y)
        if zero_grad:
            optimizer.zero_grad()
        loss.backward()
        recorder = StepRecorder(optimizer, named, ValueCache(4096)) if record else None
        optimizer.step()
        if recorder is not None:
            captures.append(recorder.capture())
    return model, optimizer, captures


def terms_of(update: dict[str, Any]) -> dict[str, Any]:
    return {term["key"]: term["value"] for term in update["terms"]}


def tensor(value: Any) -> torch.Tensor:
    return decode(value)


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("case", list(CASES))
def test_replay_has_the_bits_of_step_and_changes_nothing(case: str, foreach: bool) -> None:
    model, optimizer, captures = run(CASES[case], foreach, steps=4, record=True)
    rng = torch.get_rng_state()
    plain, plain_opt, _ = run(CASES[case], foreach, steps=4, record=False)
    assert torch.equal(torch.get_rng_state(), rng)  # both seeded alike; the replay drew nothing
    for p, q in zip(model.parameters(), plain.parameters(), strict=True):
        assert bits_equal(p.detach(), q.detach())
        for key, value in optimizer.state[p].items():
            assert bits_equal(value, plain_opt.state[q][key])
    kernel = "foreach" if foreach else "single_tensor"
    for capture in captures:
        assert len(capture["updates"]) == 4
        for update in capture["updates"]:
            assert update["same_bits"] is True
            assert update["kernel"] == kernel


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("case", list(SGD_CASES))
def test_sgd_terms_rebuild_the_step(case: str, foreach: bool) -> None:
    model, optimizer, captures = run(SGD_CASES[case], foreach, steps=3, record=True)
    group = optimizer.param_groups[0]
    lr, wd, mu = group["lr"], group["weight_decay"], group["momentum"]
    for step, capture in enumerate(captures):
        for update in capture["updates"]:
            t = terms_of(update)
            before, after, grad = (tensor(update[k]) for k in ("before", "after", "grad"))
            assert t["lr"] == lr
            g = tensor(t["grad"])
            assert torch.equal(g, -grad if group["maximize"] else grad)
            if wd:
                g_wd = tensor(t["grad_with_weight_decay"])
                assert torch.equal(g_wd, g.add(before, alpha=wd))
                g = g_wd
            else:
                assert "grad_with_weight_decay" not in t
            direction = tensor(t["direction"])
            if mu:
                buf = tensor(t["momentum_buffer"])
                if step == 0:
                    assert "momentum_buffer_prev" not in t and torch.equal(buf, g)
                else:
                    prev = tensor(t["momentum_buffer_prev"])
                    expected = prev.mul(mu).add(g, alpha=1 - group["dampening"])
                    assert torch.equal(buf, expected)
                nesterov = g.add(buf, alpha=mu) if group["nesterov"] else buf
                assert torch.equal(direction, nesterov)
            else:
                assert torch.equal(direction, g)
            # w_old.add(direction, alpha=-lr) is exactly what step() wrote
            assert torch.equal(after, before.add(direction, alpha=-lr))
            assert torch.equal(tensor(t["param"]), after)
    if mu:
        for update, param in zip(captures[-1]["updates"], model.parameters(), strict=True):
            live = optimizer.state[param]["momentum_buffer"]
            assert torch.equal(tensor(terms_of(update)["momentum_buffer"]), live)


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("case", list(ADAM_CASES))
def test_adam_terms_rebuild_the_step(case: str, foreach: bool) -> None:
    model, optimizer, captures = run(ADAM_CASES[case], foreach, steps=3, record=True)
    group = optimizer.param_groups[0]
    lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
    decoupled = isinstance(optimizer, torch.optim.AdamW)
    for step, capture in enumerate(captures, start=1):
        for update in capture["updates"]:
            t = terms_of(update)
            before, after, grad = (tensor(update[k]) for k in ("before", "after", "grad"))
            assert t["step"] == step
            assert torch.equal(tensor(t["grad"]), grad)
            g, w = grad, before
            if wd and decoupled:
                assert t["decay_factor"] == 1 - lr * wd
                w = tensor(t["decayed_param"])
                assert torch.equal(w, before.mul(1 - lr * wd))
            elif wd:
                g = tensor(t["grad_with_weight_decay"])
                assert torch.equal(g, grad.add(before, alpha=wd))
            m_prev, v_prev = tensor(t["exp_avg_prev"]), tensor(t["exp_avg_sq_prev"])
            if step == 1:
                assert not m_prev.any() and not v_prev.any()
            m, v = tensor(t["exp_avg"]), tensor(t["exp_avg_sq"])
            assert torch.equal(m, m_prev.lerp(g, 1 - beta1))
            assert torch.equal(v, v_prev.mul(beta2).addcmul(g, g, value=1 - beta2))
            assert t["bias_correction1"] == 1 - beta1**step
            assert t["bias_correction2"] == 1 - beta2**step
            assert t["step_size"] == lr / t["bias_correction1"]
            assert t["bias_correction2_sqrt"] == t["bias_correction2"] ** 0.5
            assert torch.equal(tensor(t["exp_avg_hat"]), m / t["bias_correction1"])
            assert torch.equal(tensor(t["exp_avg_sq_hat"]), v / t["bias_correction2"])
            second = tensor(t["max_exp_avg_sq"]) if group["amsgrad"] else v
            denom = tensor(t["denom"])
            assert torch.equal(denom, (second.sqrt() / t["bias_correction2_sqrt"]).add(eps))
            assert torch.equal(after, w.addcdiv(m, denom, value=-t["step_size"]))
            assert torch.equal(tensor(t["param"]), after)
    last = captures[-1]["updates"]
    for update, param in zip(last, model.parameters(), strict=True):
        state = optimizer.state[param]
        t = terms_of(update)
        assert torch.equal(tensor(t["exp_avg"]), state["exp_avg"])
        assert torch.equal(tensor(t["exp_avg_sq"]), state["exp_avg_sq"])


@pytest.mark.parametrize("case", ["momentum", "adam", "adamw"])
def test_frozen_params_are_skipped_and_the_rest_replayed(case: str) -> None:
    _, _, captures = run(CASES[case], False, steps=3, record=True, frozen="0.bias")
    for capture in captures:
        assert capture["skipped"] == ["0.bias"]
        assert [u["name"] for u in capture["updates"]] == ["0.weight", "2.weight", "2.bias"]
        assert all(u["same_bits"] for u in capture["updates"])


@pytest.mark.parametrize("case", ["sgd weight_decay", "momentum", "adam", "adamw"])
def test_accumulated_grads_without_zero_grad_replay_exactly(case: str) -> None:
    _, _, captures = run(CASES[case], False, steps=4, record=True, zero_grad=False)
    assert all(u["same_bits"] for c in captures for u in c["updates"])


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("case", ["nesterov weight_decay", "maximize", "adam amsgrad", "adamw"])
def test_the_replay_writes_no_tensor_step_reads(case: str, foreach: bool) -> None:
    model, optimizer, _ = run(CASES[case], foreach, steps=2, record=False)
    for group in optimizer.param_groups:
        group["foreach"] = foreach
    model(torch.ones(3, 2)).sum().backward()
    read = [p for p in model.parameters()] + [p.grad for p in model.parameters()]
    read += [v for p in model.parameters() for v in optimizer.state[p].values()]
    versions = [t._version for t in read if isinstance(t, torch.Tensor)]
    copies = [t.clone() for t in read if isinstance(t, torch.Tensor)]
    StepRecorder(optimizer, dict(model.named_parameters()), ValueCache(4096))  # replays
    assert [t._version for t in read if isinstance(t, torch.Tensor)] == versions
    kept = [t for t in read if isinstance(t, torch.Tensor)]
    assert all(bits_equal(t, c) for t, c in zip(kept, copies, strict=True))


def test_a_different_update_is_not_the_same_bits() -> None:
    """same_bits can be false: change the live parameter after step(), before the capture."""
    model = make_model()
    named = dict(model.named_parameters())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model(torch.ones(1, 2)).sum().backward()
    recorder = StepRecorder(optimizer, named, ValueCache(4096))
    optimizer.step()
    stepped = named["2.bias"].detach().clone()
    with torch.no_grad():
        named["2.bias"].add_(1e-3)
    updates = recorder.capture()["updates"]
    same = {u["name"]: u["same_bits"] for u in updates}
    assert same == {"0.weight": True, "0.bias": True, "2.weight": True, "2.bias": False}
    # the terms are the replay's own, not the parameter as it is now
    assert torch.equal(tensor(terms_of(updates[-1])["param"]), stepped)
    assert not torch.equal(tensor(updates[-1]["after"]), stepped)


def test_an_optimizer_not_replayed_says_so() -> None:
    model = make_model()
    optimizer = torch.optim.RMSprop(model.parameters(), lr=0.01)
    model(torch.ones(1, 2)).sum().backward()
    recorder = StepRecorder(optimizer, dict(model.named_parameters()), ValueCache(4096))
    optimizer.step()
    for update in recorder.capture()["updates"]:
        assert (update["terms"], update["same_bits"]) == ([], None)
        assert update["kernel"] == "single_tensor"  # the path RMSprop took on the CPU


def test_a_fused_step_names_its_kernel_and_is_not_replayed() -> None:
    model = make_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, fused=True)
    model(torch.ones(1, 2)).sum().backward()
    recorder = StepRecorder(optimizer, dict(model.named_parameters()), ValueCache(4096))
    optimizer.step()
    for update in recorder.capture()["updates"]:
        assert (update["terms"], update["kernel"], update["same_bits"]) == ([], "fused", None)


def test_bits_equal_tells_nan_and_signed_zero_apart() -> None:
    nan = torch.tensor([float("nan"), 0.0])
    assert bits_equal(nan, nan.clone())
    assert not bits_equal(torch.tensor([0.0]), torch.tensor([-0.0]))
    assert not bits_equal(torch.tensor([1.0]), torch.tensor([1.0], dtype=torch.float64))


@pytest.mark.cuda
@pytest.mark.parametrize("case", list(CASES))
def test_replay_on_cuda_uses_the_foreach_kernels_and_keeps_the_bits(case: str) -> None:
    model = make_model().cuda()
    named = dict(model.named_parameters())
    optimizer = CASES[case](model.parameters())  # foreach chosen by torch (CUDA default)
    x = torch.linspace(-1, 1, 16, device="cuda").reshape(8, 2)
    for _ in range(3):
        optimizer.zero_grad()
        model(x).pow(2).mean().backward()
        recorder = StepRecorder(optimizer, named, ValueCache(4096))
        optimizer.step()
        for update in recorder.capture()["updates"]:
            assert update["kernel"] == "foreach"
            assert update["same_bits"] is True


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("case", ["momentum", "adam amsgrad", "adamw"])
def test_a_large_parameter_is_replayed_on_its_head_and_says_so(case: str, foreach: bool) -> None:
    torch.manual_seed(0)
    model = nn.Linear(20, 30)  # weight: 600 values, over STEP_FULL; bias: 30, under
    named = dict(model.named_parameters())
    optimizer = CASES[case](model.parameters())
    optimizer.param_groups[0]["foreach"] = foreach
    x = torch.randn(8, 20)
    for _ in range(3):
        optimizer.zero_grad()
        model(x).pow(2).mean().backward()
        start = {n: p.detach().clone() for n, p in named.items()}
        recorder = StepRecorder(optimizer, named, ValueCache(4096))
        optimizer.step()
        updates = {u["name"]: u for u in recorder.capture()["updates"]}
        weight, bias = updates["weight"], updates["bias"]
        assert weight["replay_head"] == REPLAY_HEAD and "replay_head" not in bias
        assert weight["same_bits"] is True and bias["same_bits"] is True
        head = named["weight"].detach().reshape(-1)[:FIRST_VALUES]
        t = terms_of(weight)
        assert torch.equal(tensor(t["param"]), head)
        for key in ("momentum_buffer", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            if key in t:
                live = optimizer.state[named["weight"]][key].reshape(-1)[:FIRST_VALUES]
                assert torch.equal(tensor(t[key]), live)
        grad = named["weight"].grad
        assert grad is not None and torch.equal(tensor(t["grad"]), grad.reshape(-1)[:FIRST_VALUES])
        change = (named["weight"].detach() - start["weight"]).abs().double().mean()
        assert weight["mean_abs_change"] == pytest.approx(float(change), rel=1e-12)
        assert "mean_abs_change" not in bias  # its values travel in full


def test_a_head_replay_compares_the_head_only() -> None:
    torch.manual_seed(0)
    model = nn.Linear(20, 30)
    named = dict(model.named_parameters())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model(torch.randn(4, 20)).sum().backward()
    recorder = StepRecorder(optimizer, named, ValueCache(4096))
    optimizer.step()
    with torch.no_grad():
        named["weight"].view(-1)[REPLAY_HEAD] += 1.0  # past the head: not compared
    assert recorder.capture()["updates"][0]["same_bits"] is True
    recorder = StepRecorder(optimizer, named, ValueCache(4096))
    optimizer.step()
    with torch.no_grad():
        named["weight"].view(-1)[0] += 1e-3  # in the head
    assert recorder.capture()["updates"][0]["same_bits"] is False
