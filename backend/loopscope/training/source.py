"""The program the stepper runs, as a learner would write it, with the line of each phase."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

import torch
from torch import nn

from ..protocol import PHASES
from .configs import DataConfig, RunConfig
from .scenarios import Scenario

if TYPE_CHECKING:
    from ..protocol import SourceInfo

N_PHASES = len(PHASES)


def _optimizer_source(optimizer: torch.optim.Optimizer, adamw: bool) -> str:
    """The constructor call that builds exactly this optimizer (floats in repr: no rounding)."""
    group = optimizer.param_groups[0]
    args = [f"lr={group['lr']!r}"]
    if isinstance(optimizer, torch.optim.SGD):
        if group["momentum"]:
            args.append(f"momentum={group['momentum']!r}")
    else:
        beta1, beta2 = group["betas"]
        args += [f"betas=({beta1!r}, {beta2!r})", f"eps={group['eps']!r}"]
    if group["weight_decay"] or adamw:
        args.append(f"weight_decay={group['weight_decay']!r}")
    return f"torch.optim.{type(optimizer).__name__}(model.parameters(), {', '.join(args)})"


def loop_source(
    scenario: Scenario, config: RunConfig, criterion: nn.Module, optimizer: torch.optim.Optimizer
) -> SourceInfo:
    """SourceInfo: the program the stepper runs, as a learner would write it, with the
    optimizer's hyperparameters as its param_groups hold them now; 1-based line of each
    phase, and how many lines come before the loop."""
    lines = inspect.getsource(scenario.model_cls).rstrip("\n").split("\n") + [""]
    if isinstance(config, DataConfig):  # windows of a text need no size or noise
        lines.append(f"n, noise = {config.n_points}, {config.noise!r}")
    lines += [
        f"torch.manual_seed({config.seed})",
        scenario.data_source(config),
        f"model = {scenario.model_source(config)}.to(device)",
    ]
    lines += [f"model.get_parameter({name!r}).requires_grad_(False)" for name in config.frozen]
    lines += [
        f"optimizer = {_optimizer_source(optimizer, config.optimizer == 'adamw')}",
        f"criterion = nn.{type(criterion).__name__}()",
    ]
    if scenario.windows is not None:
        w = scenario.windows(config)
        lines.append(f"g = torch.Generator().manual_seed({config.seed})  # which windows")
        loop = [
            "for iteration in range(iterations):",
            f"    starts = torch.randint(len(x) - {w.block_size} + 1, ({w.batch_size},),"
            " generator=g)",
            f"    rows = starts.unsqueeze(1) + torch.arange({w.block_size})  # one window per row",
            "    x_batch, y_batch = x[rows], y[rows].view(-1)",
        ]
    elif config.batch_size is None:
        loop = [
            "for epoch in range(epochs):",
            "    x_batch, y_batch = x, y  # full batch: gradient descent",
        ]
    else:
        b = config.batch_size
        lines.append(f"g = torch.Generator().manual_seed({config.seed})  # mini-batch order")
        loop = [
            "for epoch in range(epochs):",
            "    perm = torch.randperm(n, generator=g)",
            f"    for i in range(0, n, {b}):",
            f"        x_batch, y_batch = x[perm[i:i + {b}]], y[perm[i:i + {b}]]",
        ]
    lines.append("")
    setup = len(lines)
    indent = " " * (len(loop[-1]) - len(loop[-1].lstrip()))
    zero = "optimizer.zero_grad()"
    if config.skip_zero_grad:
        zero = "# optimizer.zero_grad()  # skipped: .grad keeps accumulating"
    body = ["y_pred = model(x_batch)", "loss = criterion(y_pred, y_batch)", zero]
    body += ["loss.backward()", "optimizer.step()"]
    lines += loop + [indent + line for line in body]
    first = setup + len(loop) + 1  # 1-based line of `y_pred = model(x_batch)`
    phase_lines = {phase: first + i for i, phase in enumerate(PHASES)}
    return {"lines": lines, "phase_lines": phase_lines, "setup_lines": setup}
