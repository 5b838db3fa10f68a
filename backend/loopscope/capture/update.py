"""optimizer.step() replayed: every term of each parameter's update, computed by torch.

Just before step() runs, the replay runs the ops of torch's own `_single_tensor_*` or
`_multi_tensor_*` (foreach) function for SGD, Adam and AdamW (torch/optim/sgd.py, adam.py),
in their order, with the path step() will take, on the run's device; foreach kernels are
called on one-element lists, and their arithmetic is elementwise, so each element gets the
bits step() gives it.  Where torch updates a tensor in place the replay calls the
out-of-place form of the same op (the same kernel, the same bits) and so reads the
parameter, its .grad and the optimizer state without writing them and without cloning
them; it draws no random numbers.  The real step() then does the update, and its result
is compared with the replay's (`same_bits`).  The arithmetic is elementwise, so a large
parameter may be replayed on its first elements only (`head_of`: views of the parameter,
its .grad and its state), which then get exactly the bits step() gives them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import torch
from torch.optim.optimizer import _default_to_fused_or_foreach, _get_scalar_dtype

from .values import encode_float, tensor_value

if TYPE_CHECKING:
    from ..protocol import TensorValue, UpdateTerm, UpdateTermKey

Kernel = Literal["single_tensor", "foreach", "fused"]
# Group options whose arithmetic the replay does not follow: such a step is not replayed.
_NOT_REPLAYED = ("capturable", "differentiable")


# Terms whose replayed value is, when the replay has step()'s bits, a value the capture
# already encodes (the new parameter and state): encoded only when the bits differ.
SHARED = ("param", "momentum_buffer", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")


@dataclass
class Replay:
    """One parameter's update replayed: its terms (wire values, or for SHARED keys the final
    tensor, encoded by `terms_for`) and the parameter and state it ended with."""

    terms: list[tuple[UpdateTermKey, Any]] = field(default_factory=list)
    param: torch.Tensor | None = None
    state: dict[str, torch.Tensor] = field(default_factory=dict)

    def wire_terms(
        self, grad: TensorValue | None, shared: dict[str, Any] | None, cap: int
    ) -> list[UpdateTerm]:
        """UpdateTerms. An unnegated `grad` is the capture's .grad value; SHARED keys take
        their value from `shared` (the capture's own encoding of the same bits), or are
        encoded here when `shared` is None (the replay's bits differ)."""
        out: list[UpdateTerm] = []
        for key, value in self.terms:
            if key == "grad" and value is None:
                value = grad
            elif key in SHARED:
                value = shared[key] if shared is not None else tensor_value(value, cap)
            out.append({"key": key, "value": value})
        return out


def kernel_of(
    optimizer: torch.optim.Optimizer, group: dict[str, Any], with_grad: list[torch.Tensor]
) -> Kernel:
    """The path step() takes for `group` (its params with a .grad): as sgd() and adam() pick it."""
    if group.get("fused"):
        return "fused"
    foreach = group.get("foreach")
    if foreach is None:
        _, foreach = _default_to_fused_or_foreach(
            with_grad, bool(group.get("differentiable")), use_fused=False
        )
        if isinstance(optimizer, torch.optim.Adam) and isinstance(group["lr"], torch.Tensor):
            foreach = foreach and bool(group.get("capturable"))
    return "foreach" if foreach else "single_tensor"


def replayable(optimizer: torch.optim.Optimizer, group: dict[str, Any], kernel: Kernel) -> bool:
    """True when the replay follows this optimizer's arithmetic exactly (SGD, Adam, AdamW on
    real float tensors, unfused, without capturable/differentiable, with a float lr)."""
    if not isinstance(optimizer, torch.optim.SGD | torch.optim.Adam) or kernel == "fused":
        return False
    if any(group.get(key) for key in _NOT_REPLAYED) or isinstance(group["lr"], torch.Tensor):
        return False
    return not any(p.is_complex() for p in group["params"])


class _Recorder:
    """Terms as wire values, copied out when recorded (later in-place ops cannot change
    them); SHARED keys, recorded once final, keep their tensor."""

    def __init__(self, cap: int, known: dict[int, TensorValue] | None) -> None:
        self.cap = cap
        self.known = known or {}  # id → value of tensors already encoded at this version
        self.replay = Replay()

    def __call__(self, key: UpdateTermKey, value: torch.Tensor | float | None) -> None:
        if key in SHARED or value is None:
            wire: Any = value
        elif isinstance(value, torch.Tensor):
            wire = self.known.get(id(value)) or tensor_value(value, self.cap)
        else:
            wire = encode_float(float(value))
        self.replay.terms.append((key, wire))

    def result(self, param: torch.Tensor) -> Replay:
        """Finish with the replayed parameter."""
        self("param", param)
        self.replay.param = param
        return self.replay


def _coupled_decay(
    grad: torch.Tensor, param: torch.Tensor, wd: float, foreach: bool
) -> torch.Tensor:
    """g + wd·p as sgd.py and adam.py compute it."""
    if foreach:
        return torch._foreach_add([grad], [param], alpha=wd)[0]
    return grad.add(param, alpha=wd)


def _read_grad(grad: torch.Tensor, maximize: bool, foreach: bool, record: _Recorder) -> Any:
    """The gradient the rule starts from (negated with `maximize`), recorded."""
    if maximize:
        grad = torch._foreach_neg([grad])[0] if foreach else -grad
    record("grad", grad if maximize else None)  # None: the .grad the capture sends
    return grad


def replay_sgd(
    param: torch.Tensor,
    grad: torch.Tensor,
    state: dict[str, Any] | None,
    group: dict[str, Any],
    foreach: bool,
    all_buffers: bool,
    cap: int,
    known: dict[int, TensorValue] | None = None,
) -> Replay:
    """SGD's update of one parameter whose gradient is `grad` (momentum, dampening, nesterov,
    weight decay, maximize).

    `all_buffers`: every parameter of the group has a momentum buffer (foreach then updates
    them with foreach kernels, else one by one); `known`: values of state tensors encoded
    before, by id (reused, not encoded again)."""
    record = _Recorder(cap, known)
    lr, wd, momentum = group["lr"], group["weight_decay"], group["momentum"]
    dampening, nesterov, maximize = group["dampening"], group["nesterov"], group["maximize"]
    record("lr", lr)
    with torch.no_grad():
        grad = _read_grad(grad, maximize, foreach, record)
        if wd != 0:
            grad = _coupled_decay(grad, param, wd, foreach)
            record("grad_with_weight_decay", grad)
        direction = grad
        if momentum != 0:
            buf = (state or {}).get("momentum_buffer")
            if buf is None:  # torch starts the buffer as a clone (p.grad may change later)
                buf = grad.clone()
            else:
                record("momentum_buffer_prev", buf)
                if foreach and all_buffers:
                    buf = torch._foreach_mul([buf], momentum)[0]
                    buf = torch._foreach_add([buf], [grad], alpha=1 - dampening)[0]
                else:
                    buf = buf.mul(momentum).add(grad, alpha=1 - dampening)
            record("momentum_buffer", buf)
            record.replay.state["momentum_buffer"] = buf
            if nesterov and foreach:
                direction = torch._foreach_add([grad], [buf], alpha=momentum)[0]
            elif nesterov:
                direction = grad.add(buf, alpha=momentum)
            else:
                direction = buf
        record("direction", direction)
        if foreach:
            new = torch._foreach_add([param], [direction], alpha=-lr)[0]
        else:
            new = param.add(direction, alpha=-lr)
        return record.result(new)


def head_of(
    param: torch.Tensor, state: dict[str, Any] | None, n: int
) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
    """The first `n` elements (row-major) of a parameter, its .grad and its state tensors,
    as views where torch can (nothing is written through them). SGD's and Adam's arithmetic
    is elementwise, so replaying these gives each of them the bits step() gives it."""
    assert param.grad is not None

    def head(tensor: torch.Tensor) -> torch.Tensor:
        return tensor.detach().reshape(-1)[:n]

    heads = {
        key: head(value) if isinstance(value, torch.Tensor) and value.dim() else value
        for key, value in (state or {}).items()
    }
    return head(param), head(param.grad), heads


def _zeros_or(state: dict[str, Any], key: str, like: torch.Tensor) -> torch.Tensor:
    """state[key], or the zeros Adam's _init_group starts it from."""
    value = state.get(key)
    if value is None:
        return torch.zeros_like(like, memory_format=torch.preserve_format)
    assert isinstance(value, torch.Tensor)
    return value


def replay_adam(
    param: torch.Tensor,
    grad: torch.Tensor,
    state: dict[str, Any] | None,
    group: dict[str, Any],
    foreach: bool,
    cap: int,
    known: dict[int, TensorValue] | None = None,
) -> Replay:
    """Adam's or AdamW's update of one parameter (weight decay coupled or decoupled, amsgrad);
    `known`: values of state tensors encoded before, by id (reused, not encoded again)."""
    record = _Recorder(cap, known)
    lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
    wd, amsgrad, maximize = group["weight_decay"], group["amsgrad"], group["maximize"]
    decoupled = group.get("decoupled_weight_decay", False)
    state = state or {}
    record("lr", lr)
    with torch.no_grad():
        step_t = state.get("step")
        if step_t is None:  # a first step: Adam's _init_group starts from these
            step_t = torch.tensor(0.0, dtype=_get_scalar_dtype())
        exp_avg = _zeros_or(state, "exp_avg", param)
        exp_avg_sq = _zeros_or(state, "exp_avg_sq", param)
        grad = _read_grad(grad, maximize, foreach, record)
        step_t = step_t + 1  # an integer in float: every path gives it exactly
        step = step_t.item()
        record("step", step)
        if wd != 0 and decoupled:
            factor = 1 - lr * wd
            record("decay_factor", factor)
            param = torch._foreach_mul([param], factor)[0] if foreach else param.mul(factor)
            record("decayed_param", param)
        elif wd != 0:
            grad = _coupled_decay(grad, param, wd, foreach)
            record("grad_with_weight_decay", grad)
        record("exp_avg_prev", exp_avg)
        record("exp_avg_sq_prev", exp_avg_sq)
        if foreach:
            exp_avg = torch._foreach_lerp([exp_avg], [grad], 1 - beta1)[0]
            scaled = torch._foreach_mul([exp_avg_sq], beta2)
            exp_avg_sq = torch._foreach_addcmul(scaled, [grad], [grad], 1 - beta2)[0]
        else:
            exp_avg = exp_avg.lerp(grad, 1 - beta1)
            exp_avg_sq = exp_avg_sq.mul(beta2).addcmul(grad, grad, value=1 - beta2)
        record("exp_avg", exp_avg)
        record("exp_avg_sq", exp_avg_sq)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        record("bias_correction1", bias_correction1)
        record("bias_correction2", bias_correction2)
        record("step_size", step_size)
        record("bias_correction2_sqrt", bias_correction2_sqrt)
        # m̂ and v̂ are what the rule writes; torch folds them into step_size and denom.
        record("exp_avg_hat", exp_avg / bias_correction1)
        record("exp_avg_sq_hat", exp_avg_sq / bias_correction2)
        second = exp_avg_sq
        if amsgrad:
            old_max = _zeros_or(state, "max_exp_avg_sq", param)
            if foreach:
                second = torch._foreach_maximum([old_max], [exp_avg_sq])[0]
            else:
                second = torch.maximum(old_max, exp_avg_sq)
            record("max_exp_avg_sq", second)
            record.replay.state["max_exp_avg_sq"] = second
        if foreach:
            denom = torch._foreach_sqrt([second])
            torch._foreach_div_(denom, [bias_correction2_sqrt])
            torch._foreach_add_(denom, eps)
            record("denom", denom[0])
            scalars = [(lr / bias_correction1) * -1]
            new = torch._foreach_addcdiv([param], [exp_avg], denom, scalars)[0]
        else:
            denom_t = (second.sqrt() / bias_correction2_sqrt).add_(eps)
            record("denom", denom_t)
            new = param.addcdiv(exp_avg, denom_t, value=-step_size)
        record.replay.state.update(step=step_t, exp_avg=exp_avg, exp_avg_sq=exp_avg_sq)
        return record.result(new)


_BITS = {2: torch.int16, 4: torch.int32, 8: torch.int64}


def bits_equal(a: torch.Tensor, b: torch.Tensor) -> bool:
    """True when two tensors hold the same bits (a NaN equals the same NaN, -0.0 ≠ 0.0)."""
    if a.shape != b.shape or a.dtype != b.dtype or a.device != b.device:
        return False
    if not a.is_floating_point():
        return torch.equal(a, b)
    as_int = _BITS[a.element_size()]
    return torch.equal(a.view(as_int), b.view(as_int))


def same_bits(replay: Replay, param: torch.Tensor, state: dict[str, Any] | None) -> bool:
    """True when the replayed parameter and state hold exactly what step() left."""
    if replay.param is None or not bits_equal(replay.param, param.detach()):
        return False
    live = state or {}
    return all(
        isinstance(live.get(key), torch.Tensor) and bits_equal(value, live[key])
        for key, value in replay.state.items()
    )
