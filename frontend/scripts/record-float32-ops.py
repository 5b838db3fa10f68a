"""Record torch's float32 results of the ops an optimizer step uses (for float32.test.ts).

    ../.venv/bin/python scripts/record-float32-ops.py

Writes src/lib/__fixtures__/float32-ops.json: for each op, inputs and torch's output on the
CPU, both for one-element tensors (the scalar kernel) and for a 64-element tensor (the
vectorized kernel). Numbers are the shortest decimals that round-trip to float32.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

OUT = Path(__file__).resolve().parent.parent / "src" / "lib" / "__fixtures__" / "float32-ops.json"
N = 64


def _num(x: np.float32) -> float:
    """The shortest decimal that round-trips to this float32 (numpy's repr), as a float."""
    return float(repr(np.float32(x)).replace("np.float32(", "").rstrip(")"))


def _inputs(gen: torch.Generator) -> list[torch.Tensor]:
    """Three float32 vectors with varied magnitudes (the last one positive)."""

    def scale() -> torch.Tensor:
        return torch.exp(torch.randn(N, generator=gen) * 3)

    a = torch.randn(N, generator=gen) * scale()
    b = torch.randn(N, generator=gen) * scale()
    c = torch.rand(N, generator=gen) * scale() + 1e-6
    return [a, b, c]


# name → (scalars passed to the op, op on float32 tensors a, b, c)
OPS: dict[str, tuple[dict[str, float], Callable[..., torch.Tensor]]] = {
    "addAlpha": ({"alpha": -0.01}, lambda a, b, c, s: a.add_(b, alpha=s["alpha"])),
    "mulScalar": ({"s": 0.999}, lambda a, b, c, s: a.mul_(s["s"])),
    "divScalar": ({"s": (1 - 0.999**3) ** 0.5}, lambda a, b, c, s: c / s["s"]),
    "addScalar": ({"s": 1e-8}, lambda a, b, c, s: c.add_(s["s"])),
    "lerp": ({"weight": 1 - 0.9}, lambda a, b, c, s: a.lerp_(b, s["weight"])),
    "lerpWide": ({"weight": 1 - 0.3}, lambda a, b, c, s: a.lerp_(b, s["weight"])),
    "addcmul": ({"value": 1 - 0.999}, lambda a, b, c, s: a.addcmul_(b, b, value=s["value"])),
    "addcdiv": (
        {"value": -0.001 / (1 - 0.9**2)},
        lambda a, b, c, s: a.addcdiv_(b, c, value=s["value"]),
    ),
    "sqrt32": ({}, lambda a, b, c, s: c.sqrt()),
}


def record() -> dict[str, Any]:
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(7)
    out: dict[str, Any] = {"torch": torch.__version__, "ops": {}}
    for name, (scalars, op) in OPS.items():
        a, b, c = _inputs(gen)
        vector = op(a.clone(), b.clone(), c.clone(), scalars)
        scalar = torch.cat(
            [
                op(a[i : i + 1].clone(), b[i : i + 1].clone(), c[i : i + 1].clone(), scalars)
                for i in range(N)
            ]
        )
        out["ops"][name] = {
            "scalars": scalars,
            "a": [_num(v) for v in a.numpy()],
            "b": [_num(v) for v in b.numpy()],
            "c": [_num(v) for v in c.numpy()],
            "scalar": [_num(v) for v in scalar.numpy()],
            "vector": [_num(v) for v in vector.numpy()],
        }
    return out


def main() -> None:
    OUT.write_text(json.dumps(record(), separators=(",", ":")) + "\n")
    print(f"{OUT.name}: {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
