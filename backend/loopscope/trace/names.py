"""What the learner's modules and parameters are called: the class the script wrote (through
`torch.jit.script` and `torch.compile` wrappers) and the parameter names of each model."""

from __future__ import annotations

import sys
import weakref
from collections.abc import Callable, Mapping
from types import FrameType

import torch
from torch import nn

_WRAPPERS: dict[type, bool] = {}


def compiled_from(module: nn.Module) -> nn.Module | None:
    """The module `torch.compile` wrapped (its OptimizedModule keeps it as `_orig_mod`);
    None for any other module (known by its class after the first look: this runs for
    every module call of a shown iteration)."""
    cls = type(module)
    wrapper = _WRAPPERS.get(cls)
    if wrapper is None:
        wrapper = _WRAPPERS[cls] = cls.__name__ == "OptimizedModule"
    inner = getattr(module, "_orig_mod", None) if wrapper else None
    return inner if isinstance(inner, nn.Module) else None


def module_name(module: nn.Module) -> str:
    """The class name the script wrote: a `torch.jit.script`ed module's original one, the
    class of the module that `torch.compile` wrapped."""
    if isinstance(module, torch.jit.ScriptModule):
        return str(getattr(module, "original_name", type(module).__name__))
    inner = compiled_from(module)
    return type(module if inner is None else inner).__name__


def _variable_of(module: nn.Module, owns: Callable[[str], bool]) -> str | None:
    """The name the script holds `module` under (`netG`): a variable of the outermost frame
    of the script's files that holds it (the frame that created it, usually: `main()`'s
    `netG`, not `train()`'s parameter `model`, and a global at the top level), else an
    attribute of a method's `self` (a trainer's `self.netG`), if any."""
    name = attribute = None
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if owns(frame.f_code.co_filename):
            # (a module-level frame's f_locals is its globals; reading a function's makes a
            # snapshot of its locals that the frame keeps until it returns)
            scope = frame.f_locals
            name = _key_of(scope, module) or name
            owner = scope.get("self")
            if attribute is None and owner is not None and not isinstance(owner, nn.Module):
                attribute = _key_of(getattr(owner, "__dict__", {}), module)
        frame = frame.f_back
    return name or attribute


def _key_of(scope: Mapping[str, object], value: object) -> str | None:
    """The first public name in `scope` bound to `value` (`self` is never one)."""
    for key, held in scope.items():
        if held is value and not key.startswith("_") and key != "self":
            return key
    return None


class NameTable:
    """Parameter names for the run: the first model's as named_parameters() gives them,
    each later model's prefixed with its class name (`Discriminator.net.0.weight`), or with
    the script's variable for it when that class is taken (`netG.0.weight`: found in the
    frames of the script's files, so models made inside `main()` are named too).

    Models are held weakly: a script that builds a fresh model per fold or per stage lets
    the old one go (its memory too), and a model found while no other is alive is named as
    the first one was (`0.weight`, not `Sequential#5.0.weight`)."""

    def __init__(self, owns: Callable[[str], bool]) -> None:
        self._owns = owns  # whether a file is one of the script's (its frames name models)
        self._models: list[tuple[str, weakref.ref[nn.Module]]] = []
        self.by_id: dict[int, str] = {}
        self._params: dict[str, weakref.ref[nn.Parameter]] = {}
        self._modules: set[int] = set()
        self._dead: list[tuple[int, list[int]]] = []

    @property
    def models(self) -> list[tuple[str, nn.Module]]:
        """The models still alive, in the order they were found."""
        self._purge()
        return [(label, m) for label, ref in self._models if (m := ref()) is not None]

    @property
    def params(self) -> dict[str, nn.Parameter]:
        """Every live model's parameters by name."""
        self._purge()
        return {name: p for name, ref in self._params.items() if (p := ref()) is not None}

    def add(self, module: nn.Module) -> bool:
        """Name `module`'s parameters; True when it is a model not seen before."""
        self._purge()
        if id(module) in self._modules:
            return False
        live = self.models
        label = ""
        if live:
            taken = {known for known, _ in live}
            base = module_name(module)
            label, k = base, 1
            if any(module_name(m) == base for _, m in live):  # netD, netG: two Sequential
                label = _variable_of(module, self._owns) or label
            while label in taken:
                k += 1
                label = f"{base}#{k}"
        key = id(module)
        self._modules.add(key)
        self._models.append((label, weakref.ref(module)))
        owned: list[int] = []
        for name, param in module.named_parameters():
            if id(param) not in self.by_id:
                full = f"{label}.{name}" if label else name
                self.by_id[id(param)] = full
                self._params[full] = weakref.ref(param)
                owned.append(id(param))
        # ids are reused once an object dies: forget the model's when it goes
        weakref.finalize(module, self._forget, key, owned)
        return True

    def _forget(self, key: int, owned: list[int]) -> None:
        # (a finalizer may run inside any allocation, also while these dicts are iterated:
        # it only notes the model, _purge() drops it at the next look)
        self._dead.append((key, owned))

    def _purge(self) -> None:
        while self._dead:
            key, owned = self._dead.pop()
            self._modules.discard(key)
            for pid in owned:
                name = self.by_id.pop(pid, None)
                if name is not None:
                    self._params.pop(name, None)
        self._models = [(label, ref) for label, ref in self._models if ref() is not None]

    def label_of(self, module: nn.Module) -> str | None:
        """The label of a known model, None for another module."""
        for label, known in self.models:
            if known is module:
                return label
        return None

    def named(self, params: list[torch.Tensor], fallback: str) -> dict[str, torch.Tensor]:
        """`params` by name: the model's name, else `fallback` with the index."""
        return {self.by_id.get(id(p), f"{fallback}[{i}]"): p for i, p in enumerate(params)}

    def for_optimizer(self, optimizer: torch.optim.Optimizer) -> dict[str, nn.Parameter]:
        """The known parameters plus, named by position, those of `optimizer` not in a model."""
        named = self.params
        for g, group in enumerate(optimizer.param_groups):
            for i, param in enumerate(group["params"]):
                if id(param) not in self.by_id:
                    named[f"param_groups[{g}][{i}]"] = param
        return named
