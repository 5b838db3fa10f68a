"""What the script's own module calls a tensor it updates by hand (no model names it).

A from-scratch loop keeps its tensors in globals (`W1`, `b1`), in a list (`parameters`),
or as attributes of plain Python layer objects in a list (makemore's `layers[0].weight`).
A module-level `for p in parameters:` also binds `p` to one of them, to whichever the loop
reached last: a name that says nothing about which tensor it is, so it is used only when
nothing else holds the tensor.
"""

from __future__ import annotations

import ast
import sys
from functools import cache
from types import ModuleType
from typing import Any

import torch
from torch import nn

_MAX_ITEMS = 4096  # a longer global list is data, not the script's parameters


@cache
def _loop_targets(path: str) -> frozenset[str]:
    """Names bound by `for` statements at module level (outside functions and classes)."""
    try:
        with open(path, encoding="utf-8") as file:
            tree = ast.parse(file.read())
    except (OSError, SyntaxError, ValueError):
        return frozenset()
    found: set[str] = set()
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, ast.For | ast.AsyncFor):
            found.update(n.id for n in ast.walk(node.target) if isinstance(n, ast.Name))
        stack.extend(ast.iter_child_nodes(node))
    return frozenset(found)


def _attributes(owner: Any) -> list[tuple[str, torch.Tensor]]:
    """The tensor attributes of a plain Python object (not a module, not a tensor)."""
    if isinstance(owner, torch.Tensor | nn.Module):
        return []
    try:
        items = list(vars(owner).items())
    except Exception:  # noqa: BLE001 - no __dict__, or an object that guards it: not a layer
        return []
    return [(k, v) for k, v in items if isinstance(v, torch.Tensor) and not k.startswith("_")]


def _held(key: str, value: Any, by_attribute: dict[int, str], by_item: dict[int, str]) -> None:
    """Tensors a global container holds: `layers[0].weight`, `parameters[3]`, `params['w']`."""
    if isinstance(value, list | tuple) and len(value) <= _MAX_ITEMS:
        items: list[tuple[str, Any]] = [(f"{key}[{i}]", item) for i, item in enumerate(value)]
    elif isinstance(value, dict) and len(value) <= _MAX_ITEMS:
        items = [(f"{key}[{k!r}]", item) for k, item in value.items() if isinstance(k, str | int)]
    else:
        return
    for name, item in items:
        if isinstance(item, torch.Tensor):
            by_item.setdefault(id(item), name)
        else:
            for attr, tensor in _attributes(item):
                by_attribute.setdefault(id(tensor), f"{name}.{attr}")


def global_names(main: ModuleType | None = None) -> dict[int, str]:
    """id → the script's name for each tensor its `__main__` module holds: a global variable
    (`W1`), else an attribute of a layer object in a list (`layers[0].weight`), else a list
    or dict entry (`parameters[3]`), else a module-level loop variable (`p`)."""
    main = main or sys.modules.get("__main__")
    if main is None:
        return {}
    path = getattr(main, "__file__", None)
    loops = _loop_targets(path) if isinstance(path, str) else frozenset()
    direct: dict[int, str] = {}
    looped: dict[int, str] = {}
    by_attribute: dict[int, str] = {}
    by_item: dict[int, str] = {}
    for key, value in list(vars(main).items()):
        if key.startswith("_"):
            continue
        if isinstance(value, torch.Tensor):
            (looped if key in loops else direct).setdefault(id(value), key)
        else:
            _held(key, value, by_attribute, by_item)
    return {**looped, **by_item, **by_attribute, **direct}
