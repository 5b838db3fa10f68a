"""Plain vs traced time per iteration of loops that update their tensors by hand (no
optimizer): the in-place wrappers of the hand-update tracking are installed there.

    .venv/bin/python benchmarks/trace_byhand.py [--iterations N] [--repeat R]

Same method as benchmarks/trace.py (whose runners it loads): each script times its own
loop in CPU seconds; fast-forward steps all iterations in one command, full capture steps
phase by phase.  Ratios are printed, never asserted.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("trace_bench", Path(__file__).with_name("trace.py"))
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

WORKLOADS: dict[str, str] = {
    "makemore by hand": """
g = torch.Generator().manual_seed(1)
X, Y = torch.randint(0, 27, (512, 3), generator=g), torch.randint(0, 27, (512,), generator=g)
C = torch.randn((27, 8), generator=g)
W1, b1 = torch.randn((24, 64), generator=g) * 0.2, torch.zeros(64)
W2, b2 = torch.randn((64, 27), generator=g) * 0.1, torch.zeros(27)
parameters = [C, W1, b1, W2, b2]
for p in parameters:
    p.requires_grad = True
start = time.process_time()
for i in range(iterations):
    ix = torch.randint(0, 512, (32,), generator=g)
    h = torch.tanh(C[X[ix]].view(-1, 24) @ W1 + b1)
    loss = F.cross_entropy(h @ W2 + b2, Y[ix])
    for p in parameters:
        p.grad = None
    loss.backward()
    for p in parameters:
        p.data += -0.1 * p.grad
print(f"{time.process_time() - start:.6f}")
""",
    "d2l sgd by hand": """
X = torch.randn(1000, 2)
y = X @ torch.tensor([[2.0], [-3.4]]) + 4.2
w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
b = torch.zeros(1, requires_grad=True)
start = time.process_time()
for i in range(iterations):
    j = (i * 10) % 1000
    l = ((X[j : j + 10] @ w + b - y[j : j + 10]) ** 2 / 2).sum()
    l.backward()
    with torch.no_grad():
        for param in (w, b):
            param -= 0.03 * param.grad / 10
            param.grad.zero_()
print(f"{time.process_time() - start:.6f}")
""",
}


def main() -> None:
    """Print a table of seconds per iteration and ratios to the plain script."""
    bench.table({name: bench._HEADER + body for name, body in WORKLOADS.items()}, width=18)


if __name__ == "__main__":
    main()
