"""Plain vs traced (fast-forward, full capture) time per iteration of a few training loops.

    .venv/bin/python benchmarks/trace.py [--iterations N] [--repeat R]

Each workload is written to a temporary script that times its own loop in CPU seconds of
its process (`time.process_time()`: start-up and torch's import are not counted, and other
work on a shared machine disturbs it less than wall time) and prints them last.  Traced
fast-forward steps all iterations in one command (only the last is captured); full
capture steps phase by phase with every phase captured.  Ratios are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from loopscope.trace.source import TraceSource

_HEADER = """
import sys, time
import torch
from torch import nn
import torch.nn.functional as F
torch.manual_seed(0)
torch.set_num_threads(1)
iterations = int(sys.argv[1])
"""

WORKLOADS: dict[str, str] = {
    "linear (notes)": """
x = torch.rand(100, 1) * 10
y = 2 * x + 1 + torch.randn(100, 1) * 0.1
model = nn.Sequential(nn.Linear(1, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
criterion = nn.MSELoss()
def batch(i):
    return x, y
""",
    "mlp 64x3": """
x, y = torch.randn(256, 16), torch.randn(256, 1)
model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
criterion = nn.MSELoss()
def batch(i):
    return x, y
""",
    "cnn 28x28": """
x, y = torch.randn(32, 1, 28, 28), torch.randint(0, 10, (32,))
model = nn.Sequential(
    nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(16 * 7 * 7, 10),
)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
criterion = nn.CrossEntropyLoss()
def batch(i):
    return x, y
""",
}

_LOOP = """
start = time.process_time()
for i in range(iterations):
    xb, yb = batch(i)
    loss = criterion(model(xb), yb)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"{time.process_time() - start:.6f}")
"""


def _plain(script: Path, iterations: int) -> float:
    done = subprocess.run(
        [sys.executable, str(script), str(iterations)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def _traced(script: Path, iterations: int, unit: str) -> float:
    lines: list[str] = []
    source = TraceSource(str(script), [str(iterations)], echo=False)
    try:
        source.start()
        while source.end is None:
            events = source.step(unit, 10**9)
            lines += [e["text"] for e in events if e["type"] == "output"]
        lines += [e["text"] for e in source.events() if e["type"] == "output"]
    finally:
        source.close()
    return float(lines[-1])


def table(scripts: dict[str, str], width: int = 16) -> None:
    """Time each workload (its whole script text) plain, fast-forwarded and fully captured,
    from the command line's --iterations and --repeat, and print its row of the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    print(f"{'workload':{width}} {'plain µs/it':>12} {'fast-fwd':>10} {'capture':>10}")
    with tempfile.TemporaryDirectory() as folder:
        for name, text in scripts.items():
            script = Path(folder) / f"{name.split()[0]}.py"
            script.write_text(text)
            n = args.iterations
            runs: dict[str, list[float]] = {"plain": [], "fast": [], "full": []}
            for _ in range(args.repeat):  # interleaved, so that load changes hit all three
                runs["plain"].append(_plain(script, n))
                runs["fast"].append(_traced(script, n, "iteration"))
                runs["full"].append(_traced(script, n, "phase"))
            plain, fast, full = (min(runs[k]) for k in ("plain", "fast", "full"))
            print(
                f"{name:{width}} {plain / n * 1e6:12.1f} {fast / plain:9.2f}x {full / plain:9.2f}x"
            )


def main() -> None:
    """Print a table of seconds per iteration and ratios to the plain script."""
    table({name: _HEADER + body + _LOOP for name, body in WORKLOADS.items()})


if __name__ == "__main__":
    main()
