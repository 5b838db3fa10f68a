"""Named scenarios: data, model, criterion and optimizer built from a validated config.

Build order follows the notes' reference script exactly: seed, then data, then the
model (so the model's initial weights come after the data draws), then the optimizer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

from . import data
from .charlm import BigramLM, TextRun, Windows, corpus_data, corpus_vocabulary
from .configs import CharLMConfig, ClassifyConfig, LinearConfig, MlpConfig, RunConfig
from .models import MLP, SimpleNet

# torch.manual_seed seeds one global generator: building two runs at once in
# different threads would interleave their draws, so builds take turns.
_BUILD_LOCK = threading.Lock()


class ConfigError(ValueError):
    """A config value that passed its bounds but cannot be used (names the field)."""

    def __init__(self, field: str, message: str, code: str = "invalid_config") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


@dataclass
class Built:
    """Everything one run is made of, on its device."""

    model: nn.Module
    criterion: nn.Module
    optimizer: torch.optim.Optimizer
    x: torch.Tensor
    y: torch.Tensor
    device: torch.device
    windows: Windows | None = None  # random windows of (x, y) each iteration, not epochs


FitKind = Literal["line", "curve", "regions"]


@dataclass(frozen=True)
class Scenario:
    """Everything about one built-in scenario: what it builds and what the page can show."""

    name: str
    description: str
    config_cls: type[RunConfig]
    fit: FitKind | None  # how the model's output over the data is drawn (None: not drawn)
    landscape: bool  # the loss over a (w, b) grid: a model of one weight and one bias only
    log_params: bool  # `loopscope run` also logs w and b (the notes' reference log)
    model_cls: type[nn.Module]
    build_model: Callable[[Any], nn.Module]
    model_source: Callable[[Any], str]  # the constructor call as the learner would write it
    make_data: Callable[[Any], tuple[torch.Tensor, torch.Tensor]]
    data_source: Callable[[Any], str]
    make_criterion: Callable[[Any], nn.Module]
    # Batches of random windows of (x, y) each iteration; None: epochs over x and y's rows.
    windows: Callable[[Any], Windows] | None = None
    # A language model's text: vocabulary, sampling (None: not a language model).
    text: Callable[[Any], TextRun] | None = None
    # The scenario's name as the server states it, in one language, for a record whose model
    # is not the one the page's own name says (None: the page names it in its language).
    title: str | None = None

    def validate(self, raw: dict[str, Any]) -> RunConfig:
        """Validate a raw config dict (pydantic errors name the field)."""
        return self.config_cls.model_validate(raw)


def resolve_device(requested: str, default: str = "auto") -> torch.device:
    """'auto' → cuda if available, else mps, else cpu; an explicit device must exist."""
    name = default if requested == "auto" else requested
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(
                "config.device", f"{name} is not available here", "device_unavailable"
            )
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigError(
                "config.device",
                f"{name} does not exist ({torch.cuda.device_count()} CUDA devices)",
                "device_unavailable",
            )
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("config.device", "mps is not available here", "device_unavailable")
    return device


def _optimizer(config: RunConfig, params: Any) -> torch.optim.Optimizer:
    wd = config.weight_decay
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, weight_decay=wd or 0.0)
    if config.optimizer == "momentum":
        return torch.optim.SGD(
            params, lr=config.lr, momentum=config.momentum, weight_decay=wd or 0.0
        )
    betas = (config.beta1, config.beta2)
    if config.optimizer == "adam":
        return torch.optim.Adam(
            params, lr=config.lr, betas=betas, eps=config.eps, weight_decay=wd or 0.0
        )
    return torch.optim.AdamW(
        params, lr=config.lr, betas=betas, eps=config.eps, weight_decay=0.01 if wd is None else wd
    )


_LOSSES: dict[str, type[nn.Module]] = {"mse": nn.MSELoss, "l1": nn.L1Loss}
_MLP_TASK = {"mlp": (1, 1), "classify": (2, 2)}


def _mlp(name: str) -> Callable[[Any], nn.Module]:
    n_in, n_out = _MLP_TASK[name]
    return lambda c: MLP([n_in, *c.hidden, n_out], c.activation)


def _mlp_source(name: str) -> Callable[[Any], str]:
    n_in, n_out = _MLP_TASK[name]
    return lambda c: f"MLP({[n_in, *c.hidden, n_out]}, {c.activation!r})"


SCENARIOS: dict[str, Scenario] = {
    "linear": Scenario(
        name="linear",
        description="The notes' example: fit y = 2x + 1 with SimpleNet, one nn.Linear(1, 1).",
        config_cls=LinearConfig,
        fit="line",
        landscape=True,
        log_params=True,
        model_cls=SimpleNet,
        build_model=lambda c: SimpleNet(),
        model_source=lambda c: "SimpleNet()",
        make_data=lambda c: data.make_line(c.n_points, c.noise),
        data_source=lambda c: (
            "x = torch.rand(n, 1) * 10;  y = 2 * x + 1 + torch.randn(n, 1) * noise"
        ),
        make_criterion=lambda c: _LOSSES[c.loss](),
    ),
    "mlp": Scenario(
        name="mlp",
        description="A small MLP learns a noisy sine: nonlinear 1-D regression.",
        config_cls=MlpConfig,
        fit="curve",
        landscape=False,
        log_params=False,
        model_cls=MLP,
        build_model=_mlp("mlp"),
        model_source=_mlp_source("mlp"),
        make_data=lambda c: data.make_sine(c.n_points, c.noise),
        data_source=lambda c: "x, y = noisy_sine(n, noise)  # y = sin(x) + noise",
        make_criterion=lambda c: _LOSSES[c.loss](),
    ),
    "classify": Scenario(
        name="classify",
        description="An MLP separates two classes in the plane, trained with CrossEntropyLoss.",
        config_cls=ClassifyConfig,
        fit="regions",
        landscape=False,
        log_params=False,
        model_cls=MLP,
        build_model=_mlp("classify"),
        model_source=_mlp_source("classify"),
        make_data=lambda c: (data.make_moons if c.dataset == "moons" else data.make_spiral)(
            c.n_points, c.noise
        ),
        data_source=lambda c: f"x, y = {c.dataset}(n, noise)  # y: class labels 0 / 1",
        make_criterion=lambda c: nn.CrossEntropyLoss(),
    ),
    "charlm": Scenario(
        name="charlm",
        description=(
            "A bigram character language model learns which character comes next,"
            " in classical Chinese poems or English texts."
        ),
        config_cls=CharLMConfig,
        fit=None,
        landscape=False,
        log_params=False,
        model_cls=BigramLM,
        build_model=lambda c: BigramLM(len(corpus_vocabulary(c.corpus)), c.n_embd),
        model_source=lambda c: f"BigramLM({len(corpus_vocabulary(c.corpus))}, {c.n_embd})",
        make_data=lambda c: corpus_data(c.corpus),
        data_source=lambda c: (
            f"ids = encode(open({c.corpus + '.txt'!r}).read());  x, y = ids[:-1], ids[1:]"
        ),
        make_criterion=lambda c: nn.CrossEntropyLoss(),
        windows=lambda c: Windows(c.batch_size, c.block_size),
        text=lambda c: TextRun(
            c.corpus,
            corpus_vocabulary(c.corpus),
            c.block_size,
            c.sample_every,
            c.sample_length,
            c.seed,
        ),
    ),
}


def get_scenario(name: str) -> Scenario:
    """The scenario called `name`, or a ConfigError naming the field."""
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ConfigError(
            "scenario", f"unknown scenario {name!r}; expected one of {sorted(SCENARIOS)}"
        ) from None


def build(scenario: Scenario, config: RunConfig, default_device: str = "auto") -> Built:
    """Seed, make the data, build the model, move it to its device, make criterion and optimizer."""
    device = resolve_device(config.device, default_device)
    with _BUILD_LOCK:
        torch.manual_seed(config.seed)
        x, y = scenario.make_data(config)
        model = scenario.build_model(config)
    names = [name for name, _ in model.named_parameters()]
    for i, name in enumerate(config.frozen):
        if name not in names:
            raise ConfigError(
                f"config.frozen.{i}", f"no parameter {name!r}; parameters are {names}"
            )
    if names and set(names) <= set(config.frozen):
        raise ConfigError(
            "config.frozen", "every parameter is frozen: loss.backward() would have nothing to do"
        )
    model.to(device)
    for name, param in model.named_parameters():
        if name in config.frozen:
            param.requires_grad_(False)
    criterion = scenario.make_criterion(config)
    optimizer = _optimizer(config, model.parameters())
    return Built(
        model=model,
        criterion=criterion,
        optimizer=optimizer,
        x=x.to(device),
        y=y.to(device),
        device=device,
        windows=None if scenario.windows is None else scenario.windows(config),
    )
