"""What the script's module calls a tensor it updates by hand: a global, else an attribute of
a layer object in a list, else a list or dict entry, else a module-level loop variable."""

from __future__ import annotations

import types
from pathlib import Path

import torch

from loopscope.trace.held import global_names

SOURCE = """
for p in parameters:
    p.requires_grad = True
with context():
    for i, (name, q) in enumerate(pairs):
        pass
def f():
    for local in range(3):
        pass
"""


class Layer:
    def __init__(self) -> None:
        self.weight = torch.zeros(2)
        self._hidden = torch.zeros(1)


class NoDict:
    __slots__ = ()


def _module(tmp_path: Path) -> types.ModuleType:
    script = tmp_path / "train.py"
    script.write_text(SOURCE)
    module = types.ModuleType("__main__")
    module.__file__ = str(script)
    return module


def test_a_loop_variable_is_the_last_resort(tmp_path: Path) -> None:
    module = _module(tmp_path)
    layer, loose, only_looped = Layer(), torch.ones(1), torch.ones(3)
    module.layers = [layer, NoDict(), 3]
    module.parameters = [layer.weight, loose]
    module.p = loose  # the loop variable, left on the last tensor
    module.q = only_looped
    module.local = torch.ones(4)  # a function's loop variable, at module level: a global
    module.W1 = torch.ones(5)
    module.config = {"scale": torch.ones(6)}
    names = global_names(module)
    assert names[id(layer.weight)] == "layers[0].weight"
    assert names[id(loose)] == "parameters[1]"
    assert names[id(only_looped)] == "q"
    assert names[id(module.local)] == "local"
    assert names[id(module.W1)] == "W1"
    assert names[id(module.config["scale"])] == "config['scale']"
    assert id(layer._hidden) not in names
