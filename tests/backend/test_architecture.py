"""The house drawing: the backend's modules import each other without cycles, and the pure
torch floors (capture, training, trace) never reach the web layer."""

from __future__ import annotations

import ast
from pathlib import Path

import loopscope

PACKAGE = Path(loopscope.__file__).parent
WEB = ("fastapi", "starlette", "uvicorn", "websockets", "loopscope.server")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Modules that `path` imports at module level (TYPE_CHECKING blocks included)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = [*tree.body]
    nodes += [n for block in tree.body if isinstance(block, ast.If) for n in block.body]
    out: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            out.add(target)
            out.update(f"{target}.{alias.name}" for alias in node.names)
    return out


def graph() -> dict[str, set[str]]:
    """Each backend module → the backend modules it imports."""
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in imported(p) if m in paths and m != name} for name, p in paths.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module."""
    order: list[str] = []
    seen: set[str] = set()
    for start in edges:
        stack = [(start, iter(sorted(edges[start])))]
        if start in seen:
            continue
        seen.add(start)
        while stack:
            node, rest = stack[-1]
            nxt = next((m for m in rest if m not in seen), None)
            if nxt is None:
                order.append(node)
                stack.pop()
            else:
                seen.add(nxt)
                stack.append((nxt, iter(sorted(edges[nxt]))))
    reverse: dict[str, set[str]] = {n: set() for n in edges}
    for node, targets in edges.items():
        for target in targets:
            reverse[target].add(node)
    found, assigned = [], set()
    for node in reversed(order):
        if node in assigned:
            continue
        component, todo = [], [node]
        assigned.add(node)
        while todo:
            current = todo.pop()
            component.append(current)
            for prev in reverse[current] - assigned:
                assigned.add(prev)
                todo.append(prev)
        if len(component) > 1:
            found.append(sorted(component))
    return found


def test_no_import_cycles() -> None:
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_torch_code_never_imports_the_web_layer() -> None:
    for folder in ("capture", "training", "trace"):
        for path in (PACKAGE / folder).rglob("*.py"):
            web = {m for m in imported(path) if m.startswith(WEB)}
            assert not web, f"{path.relative_to(PACKAGE)} imports {sorted(web)}"


def test_capture_is_below_training() -> None:
    """Capture observes torch; it knows nothing of the built-in runs that use it."""
    for name, targets in graph().items():
        if name.startswith("loopscope.capture"):
            assert not {t for t in targets if t.startswith("loopscope.training")}, name
