"""Record `model(x)`: Module.__call__ runs forward pre-hooks, then forward, then forward hooks.

Our own pre-hook and hook are registered on every module; the trace is the order in
which torch called them.  Registering and removing hooks costs more than a small
model's forward pass, so while the loop is captured iteration after iteration the
hooks stay on (each module holds exactly one of each): `start()` opens a record,
`stop()` closes it, and a hook with no record open returns at once.  When the loop
runs uncaptured, `detach()` takes them off so the plain forward pays nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from .graph import Node
from .values import ValueCache, tensor_value

if TYPE_CHECKING:
    from ..protocol import (
        ForwardCapture,
        ModuleCall,
        ModuleInfo,
        ParameterInfo,
        TensorValue,
        TraceEntry,
    )


class ForwardRecorder:
    """Hooks on every module of a model; `capture()` gives the ForwardCapture dict of the
    last recorded call."""

    def __init__(self, values: ValueCache) -> None:
        self.values = values  # data inputs (the same tensor every full-batch iteration)
        self.cap = values.cap
        self.recording = False
        self._handles: list[Any] = []
        self._reset({})

    def _reset(self, named: dict[str, torch.Tensor]) -> None:
        self.calls: list[ModuleCall] = []
        self.trace: list[TraceEntry] = []
        self.tensors: dict[str, TensorValue] = {}
        self._data = set(named)
        self._keys: dict[int, str] = {id(t): name for name, t in named.items()}
        self._held: list[torch.Tensor] = list(named.values())  # ids stay unique while held
        self.outputs: dict[str, torch.Tensor] = {}  # module path → output tensor
        self.module_of: dict[Node, str] = {}  # output grad_fn → innermost module that made it
        self._open: dict[str, ModuleCall] = {}

    def attach(self, model: nn.Module) -> None:
        """Register a pre-hook and a hook on every module of `model` (once).  The recorder
        keeps no reference to the model: the model holds the hooks, the hooks the recorder."""
        if self._handles:
            return
        for path, module in model.named_modules():
            depth = 0 if path == "" else path.count(".") + 1
            self._handles.append(
                module.register_forward_pre_hook(self._pre_hook(path, module, depth))
            )
            self._handles.append(module.register_forward_hook(self._hook(path)))

    def detach(self) -> None:
        """Remove the hooks (the recorded data stays)."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def start(self, model: nn.Module, named: dict[str, torch.Tensor]) -> None:
        """Open a record of calls of `model`; `named` are its inputs, by the loop's names."""
        self.attach(model)
        self._reset(named)
        self.recording = True

    def stop(self) -> None:
        """Close the record: calls after this are not recorded."""
        self.recording = False

    def _key(self, tensor: Any, fallback: str) -> str | None:
        if not isinstance(tensor, torch.Tensor):
            return None
        key = self._keys.get(id(tensor))
        if key is None:
            key = fallback
            self._keys[id(tensor)] = key
            self._held.append(tensor)
        if key not in self.tensors:
            if key in self._data:
                self.tensors[key] = self.values.param(f"data:{key}", tensor)
            else:
                self.tensors[key] = tensor_value(tensor, self.cap)
        return key

    def _pre_hook(self, path: str, module: nn.Module, depth: int) -> Any:
        cls = type(module).__name__

        def pre_hook(_module: nn.Module, args: tuple[Any, ...]) -> None:
            if not self.recording:
                return
            self.trace.append({"event": "pre_hook", "module": path})
            key = self._key(args[0] if args else None, f"{path or 'model'}.input")
            call: ModuleCall = {
                "module": path,
                "cls": cls,
                "depth": depth,
                "input": key,
                "output": None,
            }
            self.calls.append(call)
            # The input was made inside the module that calls this one (unless a module's
            # output, already known): ops between two submodule calls (attention's
            # matmuls and softmax between its linears) belong to the caller, not to the
            # submodule whose output happens to sit above them in the graph.
            caller = next(reversed(self._open), None)
            first = args[0] if args else None
            if caller is not None and isinstance(first, torch.Tensor) and first.grad_fn is not None:
                self.module_of.setdefault(first.grad_fn, caller)
            self._open[path] = call

        return pre_hook

    def _hook(self, path: str) -> Any:
        def hook(_module: nn.Module, _args: tuple[Any, ...], output: Any) -> None:
            if not self.recording:
                return
            self.trace.append({"event": "hook", "module": path})
            call = self._open.pop(path)
            call["output"] = self._key(output, path or "model")
            if isinstance(output, torch.Tensor):
                self.outputs[path] = output
                if output.grad_fn is not None:
                    self.module_of.setdefault(output.grad_fn, path)

        return hook

    def rename(self, tensor: torch.Tensor, name: str) -> None:
        """Give an already keyed tensor a better name (the model output becomes `y_pred`)."""
        old = self._keys.get(id(tensor))
        if old is None or old == name:
            return
        self._keys[id(tensor)] = name
        self.tensors[name] = self.tensors.pop(old)
        for call in self.calls:
            if call["input"] == old:
                call["input"] = name
            if call["output"] == old:
                call["output"] = name

    def capture(self, batch_index: list[int] | None) -> ForwardCapture:
        """The ForwardCapture of the last record (`batch_index`: the batch's data rows)."""
        return {
            "calls": self.calls,
            "trace": self.trace,
            "tensors": self.tensors,
            "batch_index": batch_index,
        }

    def release(self) -> None:
        """Drop references to live tensors and nodes (call when the iteration ends)."""
        self._held.clear()
        self.outputs.clear()
        self.module_of.clear()


def module_tree(module: torch.nn.Module, path: str, name: str) -> ModuleInfo:
    """ModuleInfo: the module, the parameters in its own _parameters, its children."""
    params: list[ParameterInfo] = []
    for local, param in module._parameters.items():
        if param is None:
            continue
        qual = f"{path}.{local}" if path else local
        params.append(
            {
                "name": qual,
                "local": local,
                "shape": list(param.shape),
                "requires_grad": param.requires_grad,
                "numel": param.numel(),
            }
        )
    children = [
        module_tree(child, f"{path}.{child_name}" if path else child_name, child_name)
        for child_name, child in module._modules.items()
        if child is not None
    ]
    lines = repr(module).split("\n")
    return {
        "path": path,
        "name": name,
        "cls": type(module).__name__,
        "repr": lines[0] if len(lines) > 1 else repr(module),
        "parameters": params,
        "children": children,
    }
