"""torch's global hooks and a few wrappers, installed once in the traced process.

Every hook first asks `tracer.here()`: a DataLoader worker forked from the traced
process inherits these hooks, and in it (or in another thread) they do nothing.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.nn.modules import module as torch_module
from torch.optim import optimizer as torch_optimizer

from .manual import INPLACE_METHODS
from .tracer import Tracer

# The loss functions of torch.nn.functional (the loss modules call these same functions).
LOSS_FUNCTIONS = (
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cosine_embedding_loss",
    "cross_entropy",
    "ctc_loss",
    "gaussian_nll_loss",
    "hinge_embedding_loss",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "margin_ranking_loss",
    "mse_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "nll_loss",
    "poisson_nll_loss",
    "smooth_l1_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
)


def _around(
    tracer: Tracer, handler: Callable[[Callable[[], Any]], Any], run: Callable[[], Any]
) -> Any:
    """`handler(run)`, where an error of the tracer's own turns tracing off instead of
    reaching the script; an error of `run` (the script's own call) still propagates."""
    started, results = [], []

    def call() -> Any:
        started.append(True)
        result = run()
        results.append(result)
        return result

    try:
        return handler(call)
    except Exception as exc:
        if started and not results:
            raise  # the script's own call failed
        tracer.fail(exc)
        return results[0] if results else run()


def _guard(tracer: Tracer, handler: Callable[..., None]) -> Callable[..., None]:
    """A hook that turns tracing off on an error of its own."""

    def hook(*args: Any) -> None:
        if tracer.here():
            try:
                handler(*args)
            except Exception as exc:  # noqa: BLE001 - reported as a notice, never to the script
                tracer.fail(exc)

    return hook


def _wrap_loss(tracer: Tracer, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def loss(*args: Any, **kwargs: Any) -> Any:
        if tracer.fast or not tracer.here():
            return fn(*args, **kwargs)
        target = args[1] if len(args) > 1 else kwargs.get("target")
        return _around(
            tracer, lambda run: tracer.loss_function(name, run, target), lambda: fn(*args, **kwargs)
        )

    return loss


def _install_backward(tracer: Tracer) -> None:
    tensor_backward: Callable[..., Any] = torch.Tensor.backward
    autograd_backward = torch.autograd.backward

    counted = _guard(tracer, tracer.backward_counted)

    def fast(root: Any, run: Callable[[], Any]) -> Any:
        """Fast-forward: run backward() and only count it."""
        tracer.in_backward = True
        try:
            result = run()
        finally:
            tracer.in_backward = False
        counted(root)
        return result

    @functools.wraps(tensor_backward)
    def backward(self: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        if not tracer.here() or tracer.in_backward:
            return tensor_backward(self, *args, **kwargs)
        if tracer.fast:
            return fast(self, lambda: tensor_backward(self, *args, **kwargs))
        return _around(
            tracer,
            lambda run: tracer.backward([self], run),
            lambda: tensor_backward(self, *args, **kwargs),
        )

    @functools.wraps(autograd_backward)
    def autograd(tensors: Any, *args: Any, **kwargs: Any) -> Any:
        if not tracer.here() or tracer.in_backward:
            return autograd_backward(tensors, *args, **kwargs)
        roots = [tensors] if isinstance(tensors, torch.Tensor) else list(tensors)
        if tracer.fast:
            return fast(
                roots[0] if roots else None, lambda: autograd_backward(tensors, *args, **kwargs)
            )
        return _around(
            tracer,
            lambda run: tracer.backward(roots, run),
            lambda: autograd_backward(tensors, *args, **kwargs),
        )

    torch.Tensor.backward = backward  # type: ignore[method-assign]
    torch.autograd.backward = autograd


def _install_autograd_grad(tracer: Tracer) -> None:
    """torch.autograd.grad: no phase (a gradient penalty, a MAML inner step), but when it is
    how a script without an optimizer gets its gradients, a notice says what is not shown."""
    autograd_grad = torch.autograd.grad
    noted = _guard(tracer, tracer.gradients_returned)

    @functools.wraps(autograd_grad)
    def grad(*args: Any, **kwargs: Any) -> Any:
        if tracer.here() and not tracer.in_backward:
            noted()
        return autograd_grad(*args, **kwargs)

    torch.autograd.grad = grad


def _wrap_zero_grad(tracer: Tracer, zero_grad: Callable[..., Any]) -> Callable[..., Any]:
    """Optimizer.zero_grad or Module.zero_grad, reported as the zero_grad phase."""

    @functools.wraps(zero_grad)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not tracer.here():
            return zero_grad(self, *args, **kwargs)
        if tracer.fast:
            tracer.counts.zero_grads += 1
            return zero_grad(self, *args, **kwargs)
        return _around(
            tracer,
            lambda run: tracer.zero_grad(self, run),
            lambda: zero_grad(self, *args, **kwargs),
        )

    return wrapper


def _install_optimizers(tracer: Tracer) -> None:
    init = torch.optim.Optimizer.__init__
    optimizer_zero_grad = torch.optim.Optimizer.zero_grad
    module_zero_grad = nn.Module.zero_grad

    created = _guard(tracer, tracer.optimizer_created)

    @functools.wraps(init)
    def optimizer_init(self: torch.optim.Optimizer, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        created(self)

    torch.optim.Optimizer.__init__ = optimizer_init  # type: ignore[method-assign]
    torch.optim.Optimizer.zero_grad = _wrap_zero_grad(tracer, optimizer_zero_grad)  # type: ignore[method-assign]
    nn.Module.zero_grad = _wrap_zero_grad(tracer, module_zero_grad)  # type: ignore[method-assign]

    step_pre, step_post = _guard(tracer, tracer.step_pre), _guard(tracer, tracer.step_post)
    torch_optimizer.register_optimizer_step_pre_hook(step_pre)
    torch_optimizer.register_optimizer_step_post_hook(step_post)

    scaler_step = torch.amp.GradScaler.step

    @functools.wraps(scaler_step)
    def step_of_scaler(
        self: torch.amp.GradScaler, optimizer: Any, *args: Any, **kwargs: Any
    ) -> Any:
        if not tracer.here():
            return scaler_step(self, optimizer, *args, **kwargs)
        return _around(
            tracer,
            lambda run: tracer.scaler_step(optimizer, run),
            lambda: scaler_step(self, optimizer, *args, **kwargs),
        )

    torch.amp.GradScaler.step = step_of_scaler  # type: ignore[method-assign]


def _wrap_inplace(tracer: Tracer, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """An in-place Tensor method, seen by the hand-update tracking only in shown iterations."""

    @functools.wraps(method)
    def inplace(self: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        if tracer.fast or tracer.stepping is not None or not tracer.here():
            return method(self, *args, **kwargs)
        return _around(
            tracer,
            lambda run: tracer.hand_inplace(self, name, run),
            lambda: method(self, *args, **kwargs),
        )

    return inplace


class _InplaceSwitch:
    """The in-place methods' wrappers: installed once a backward() ran without any optimizer
    (scripts with an optimizer never pay for them), and taken off while fast-forwarding."""

    def __init__(self, tracer: Tracer) -> None:
        self.originals = {n: m for n in INPLACE_METHODS if (m := getattr(torch.Tensor, n, None))}
        self.wrapped = {n: _wrap_inplace(tracer, n, m) for n, m in self.originals.items()}
        self.wanted = False

    def install(self) -> None:
        self.wanted = True
        self.set(True)

    def set(self, on: bool) -> None:
        for name, method in (self.wrapped if on and self.wanted else self.originals).items():
            setattr(torch.Tensor, name, method)


def _install_compile(hooks: list[Callable[..., None]], reinstall: Callable[[], None]) -> None:
    """torch.compile (and Module.compile, which calls it): from its first call on, the module
    hooks are marked for dynamo to run as they are, never to compile (it would recompile
    them for every module and warn about each builtin they call)."""
    compile_ = torch.compile

    @functools.wraps(compile_)
    def compile_wrapper(*args: Any, **kwargs: Any) -> Any:
        if not getattr(hooks[0], "_loopscope_not_compiled", False):
            for i, hook in enumerate(hooks):
                hooks[i] = torch.compiler.disable(hook)
                hooks[i]._loopscope_not_compiled = True  # type: ignore[attr-defined]
            reinstall()
            # torch's warning is about the tracer's global hooks, not about the script
            warnings.filterwarnings("ignore", message=r"Using `torch.compile\(module\)` when")
        return compile_(*args, **kwargs)

    torch.compile = compile_wrapper


def _install_getstate(watching: Callable[[], Callable[..., None]]) -> None:
    """A model pickled or deep-copied while fast-forwarding (`torch.save(model)`, a best
    model kept with `copy.deepcopy`) is written without the tracer's pre-hook on it: a local
    function cannot be pickled, and a copy must not carry it."""
    getstate: Callable[[nn.Module], Any] = nn.Module.__getstate__

    @functools.wraps(getstate)
    def without_tracer(self: nn.Module) -> Any:
        state = getstate(self)
        hooks = state.get("_forward_pre_hooks") if isinstance(state, dict) else None
        if hooks:
            hook = watching()
            if any(h is hook for h in hooks.values()):
                state = dict(state)
                state["_forward_pre_hooks"] = OrderedDict(
                    (k, h) for k, h in hooks.items() if h is not hook
                )
        return state

    nn.Module.__getstate__ = without_tracer  # type: ignore[method-assign]


def install(tracer: Tracer) -> None:
    """Install every hook and wrapper (once per process, before the script runs)."""

    module_hooks = [
        _guard(tracer, tracer.module_pre),
        _guard(tracer, tracer.module_post),
        _guard(tracer, tracer.fast_call),
    ]
    handles: list[Any] = []
    inplace = _InplaceSwitch(tracer)

    def set_module_hooks(on: bool) -> None:
        # With no global hook, Module.__call__ takes its fast path: fast-forward pays nothing
        # but a pre-hook on each model (and module seen evaluating) itself, which counts its
        # calls made without grad (its layers keep the fast path).
        for handle in handles:
            handle.remove()
        handles.clear()
        if inplace.wanted:
            inplace.set(on)
        pre_hook, hook, watch = module_hooks
        if on:
            handles.append(torch_module.register_module_forward_pre_hook(pre_hook))
            handles.append(torch_module.register_module_forward_hook(hook, always_call=True))
        else:
            handles.extend(m.register_forward_pre_hook(watch) for m in tracer.watched())

    set_module_hooks(True)
    _install_getstate(lambda: module_hooks[2])
    _install_compile(module_hooks, lambda: set_module_hooks(bool(handles)))
    tracer.set_module_hooks = set_module_hooks
    tracer.install_inplace = inplace.install
    for name in LOSS_FUNCTIONS:
        fn = getattr(F, name, None)
        if fn is not None:
            setattr(F, name, _wrap_loss(tracer, name, fn))
    _install_backward(tracer)
    _install_autograd_grad(tracer)
    _install_optimizers(tracer)

    def forked() -> None:
        tracer.active = False

    os.register_at_fork(after_in_child=forked)
