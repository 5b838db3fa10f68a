"""Engine speed, as ratios measured in one run (printed, never asserted).

    python benchmarks/engine.py [--iterations N] [--device cpu] [--breakdown] [--cpu-time]

Per scenario, microseconds per iteration of:
  bare          the five torch calls in a plain loop (no loopscope code at all)
  full capture  Session.step("phase", 1) five times: every phase captured
  fast-forward  Session.step("epoch", k): capture only on the last iteration
and the websocket round trip of a one-phase `step` against a real uvicorn server.
With --breakdown, also how much of full capture each part costs (switched off in turn).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import socket
import statistics
import threading
import time
from typing import Any
from unittest.mock import patch

import orjson
import torch
import uvicorn
import websockets

from loopscope.config import Settings
from loopscope.server.app import create_app
from loopscope.training.scenarios import SCENARIOS, build
from loopscope.training.session import Session

# What the loops are timed with: wall time, or with --cpu-time this thread's CPU time (on a
# machine other jobs load, wall time counts their time slices too).
clock = time.perf_counter


def bare_loop(scenario: str, iterations: int, device: str) -> float:
    """µs per iteration of the plain loop."""
    sc = SCENARIOS[scenario]
    b = build(sc, sc.validate({"device": device}))
    model, criterion, optimizer, x, y = b.model, b.criterion, b.optimizer, b.x, b.y
    windows, generator = b.windows, torch.Generator().manual_seed(0)
    start = clock()
    for _ in range(iterations):
        if windows is not None:  # a scenario of random windows draws a batch every iteration
            x, y = windows.draw(b.x, b.y, generator)
        y_pred = model(x)
        loss = criterion(y_pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss.item()  # the stepper reads each loss too
    return (clock() - start) / iterations * 1e6


def full_capture(scenario: str, iterations: int, device: str) -> float:
    """µs per iteration stepping phase by phase with every phase captured."""
    session = Session(scenario, {"device": device})
    start = clock()
    for _ in range(iterations * 5):
        session.step("phase", 1)
    return (clock() - start) / iterations * 1e6


def fast_forward(scenario: str, iterations: int, device: str) -> float:
    """µs per iteration of one `iteration` step over many iterations (capture at the end only)."""
    session = Session(scenario, {"device": device})
    start = clock()
    session.step("iteration", iterations)
    return (clock() - start) / iterations * 1e6


class _NoRecorder:
    """Stands in for a recorder in the breakdown: records nothing, captures nothing."""

    def __init__(self, *_args: Any) -> None:
        self.start = None  # no parameters kept from before a step

    def remove(self) -> None:
        pass

    def capture(self) -> None:
        return None

    def layers(self) -> list[Any]:
        return []


def _without(part: str) -> contextlib.AbstractContextManager[Any]:
    """The engine with one part of the capture switched off (for the breakdown only)."""
    import loopscope.training.stepper as stepper_module

    def fake_value(_tensor: Any, _cap: int = 0) -> dict[str, Any]:
        return {"shape": [], "dtype": "float32", "values": []}

    if part == "backward recorder (hooks, grads sent, fills)":
        return patch.object(stepper_module, "BackwardRecorder", _NoRecorder)
    if part == "step recorder + fit (skipped with it)":
        return patch.object(stepper_module, "StepRecorder", _NoRecorder)
    if part == "fit (model on its grid)":
        return patch.object(Session, "_fit", lambda _self: None)
    if part == "phase events (incl. fit)":
        import loopscope.training.session as session_module

        return patch.object(session_module, "phase_event", lambda *_args: {})
    if part == "tensor encoding (all values)":
        stack = contextlib.ExitStack()
        for module in _modules_using_tensor_value():
            stack.enter_context(patch.object(module, "tensor_value", fake_value))
        return stack
    raise ValueError(part)


def _modules_using_tensor_value() -> list[Any]:
    import loopscope.capture.modules
    import loopscope.capture.optimizer
    import loopscope.capture.update
    import loopscope.capture.values
    import loopscope.training.events
    import loopscope.training.stepper
    import loopscope.training.views

    return [
        loopscope.capture.values,
        loopscope.capture.modules,
        loopscope.capture.optimizer,
        loopscope.capture.update,
        loopscope.training.stepper,
        loopscope.training.views,
        loopscope.training.events,
    ]


BREAKDOWN = (
    "backward recorder (hooks, grads sent, fills)",
    "step recorder + fit (skipped with it)",
    "fit (model on its grid)",
    "phase events (incl. fit)",
    "tensor encoding (all values)",
)


# Switched off one after another (cumulative): what is left at the end is the forward
# recording and the graph walk, the floor under any capture of what the loop did.
CUMULATIVE = (
    "tensor encoding (all values)",
    "phase events (incl. fit)",
    "step recorder + fit (skipped with it)",
    "backward recorder (hooks, grads sent, fills)",
)


def _without_all(parts: tuple[str, ...]) -> contextlib.ExitStack:
    stack = contextlib.ExitStack()
    for part in parts:
        stack.enter_context(_without(part))
    return stack


def breakdown(scenario: str, iterations: int, device: str, rounds: int = 5) -> None:
    """Where full capture's time goes: µs saved per iteration when one part is switched
    off, then with parts switched off cumulatively, as ratios to the bare loop (best of
    `rounds`, interleaved so that drift hits every variant alike)."""
    variants: list[tuple[str, tuple[str, ...]]] = [("", ())]
    variants += [(part, (part,)) for part in BREAKDOWN]
    # The first cumulative step is a single part, already timed above.
    variants += [(f"+{i}", CUMULATIVE[:i]) for i in range(2, len(CUMULATIVE) + 1)]
    best: dict[str, float] = {}
    bare = math.inf
    for _ in range(rounds):
        bare = min(bare, bare_loop(scenario, iterations * 3, device))
        for key, parts in variants:
            with _without_all(parts):
                value = full_capture(scenario, iterations, device)
            best[key] = min(best.get(key, math.inf), value)
    best["+1"] = best[CUMULATIVE[0]]
    print(f"  {scenario}: full capture {best['']:.1f} µs/iteration; switched off, it saves:")
    for part in BREAKDOWN:
        print(f"    {part:<46}{best[''] - best[part]:7.1f} µs")
    print(f"  {scenario}: switched off one after another (bare loop {bare:.1f} µs):")
    print(f"    {'nothing (full capture)':<46}{best['']:7.1f} µs {best[''] / bare:5.2f}x")
    for i, part in enumerate(CUMULATIVE, start=1):
        value = best[f"+{i}"]
        print(f"    {'+ ' + part:<46}{value:7.1f} µs {value / bare:5.2f}x")


def graph_capture_vs_torchviz(scenario: str, repeats: int = 200) -> tuple[float, float] | None:
    """µs per graph: our walk (ids, saved tensors, edges) vs torchviz's make_dot (Graphviz
    source, not rendered), on the same loss graph. None when torchviz is not installed."""
    try:
        from torchviz import make_dot
    except ImportError:
        return None
    from loopscope.capture.graph import walk_graph

    sc = SCENARIOS[scenario]
    b = build(sc, sc.validate({}))
    y_pred = b.model(b.x)
    loss = b.criterion(y_pred, b.y)
    params = dict(b.model.named_parameters())
    names = {id(p): n for n, p in params.items()}
    named = {"x": b.x, "y": b.y, "y_pred": y_pred, **params}
    start = time.perf_counter()
    for _ in range(repeats):
        walk_graph(loss.grad_fn, names, named, {})
    ours = (time.perf_counter() - start) / repeats * 1e6
    start = time.perf_counter()
    for _ in range(repeats):
        _ = make_dot(loss, params=params, show_saved=True).source
    theirs = (time.perf_counter() - start) / repeats * 1e6
    return ours, theirs


def encoded_bytes(scenario: str) -> dict[str, int]:
    """Bytes of each phase's frame (and the graph event) for one captured iteration."""
    session = Session(scenario, {})
    # the session event first, as a start sends it: phase events leave out what it holds
    opening = len(orjson.dumps(session.session_event(), option=orjson.OPT_SERIALIZE_NUMPY))
    sizes: dict[str, int] = {}
    for _ in range(5):
        for event in session.step("phase", 1):
            key = event.get("phase", event["type"])
            sizes[key] = len(orjson.dumps(event, option=orjson.OPT_SERIALIZE_NUMPY))
    sizes["session"] = opening
    return sizes


FRAME_BUDGET = 64 * 1024  # bytes per phase frame, for a model of ~1 M parameters
SESSION_BUDGET = 256 * 1024


def _one_million(kind: str) -> Any:
    """The charlm record with its model swapped for one of ~1 M parameters (benchmark only:
    the built-in configs stop at 260 k): tests/backend/_million.py's "bigram" (three tensors)
    or "transformer" (28 tensors, 157 graph nodes)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "backend"))
    from _million import one_million

    return one_million(kind)


def million_bytes(kind: str) -> tuple[int, dict[str, int]]:
    """Parameters, and bytes of each frame of the second captured iteration (the first
    step has no optimizer state yet) of a ~1 M-parameter model (`_one_million`)."""
    with patch.dict(SCENARIOS, {"charlm": _one_million(kind)}):
        session = Session("charlm", {"device": "cpu"})
        session.session_event()  # as a start sends it: phase events leave out what it holds
        sizes: dict[str, int] = {}
        for _ in range(10):
            for event in session.step("phase", 1):
                key = event.get("phase", event["type"])
                sizes[key] = len(orjson.dumps(event, option=orjson.OPT_SERIALIZE_NUMPY))
        sizes["session"] = len(
            orjson.dumps(session.session_event(), option=orjson.OPT_SERIALIZE_NUMPY)
        )
        n = sum(p.numel() for p in session.stepper.params.values())
    return n, sizes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _round_trips(port: int, n: int) -> list[float]:
    times: list[float] = []
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as ws:
        await ws.send('{"type":"start","scenario":"linear"}')
        await ws.recv()
        for _ in range(n):
            start = time.perf_counter()
            await ws.send('{"type":"step","unit":"phase","count":1}')
            while True:
                frame: Any = orjson.loads(await ws.recv())
                if frame["type"] == "error":
                    raise RuntimeError(frame["message"])
                if frame["type"] == "phase":
                    break
            times.append(time.perf_counter() - start)
    return times


def websocket_round_trip(n: int) -> list[float]:
    """Seconds per `step` round trip, against a real uvicorn server on loopback."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(Settings(port=port, commands_per_second=1e6)), port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        return asyncio.run(_round_trips(port, n))
    finally:
        server.should_exit = True
        thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--breakdown", action="store_true", help="also time full capture with parts switched off"
    )
    parser.add_argument(
        "--cpu-time", action="store_true", help="time the loops in thread CPU time, not wall time"
    )
    args = parser.parse_args()
    if args.cpu_time:
        global clock
        clock = time.thread_time
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, device {args.device}, threads {torch.get_num_threads()}")
    print(f"timed in {'thread CPU time' if args.cpu_time else 'wall time'}")
    print(f"{'scenario':<10}{'bare µs':>10}{'capture µs':>12}{'ratio':>8}{'ff µs':>10}{'ratio':>8}")
    # Warm every code path up before the first timing: a warm-up of one scenario's bare loop
    # alone left the first scenario's timings cold.
    for name in SCENARIOS:
        bare_loop(name, 20, args.device)
        full_capture(name, 5, args.device)
        fast_forward(name, 20, args.device)
    for name in SCENARIOS:
        bare = min(bare_loop(name, args.iterations, args.device) for _ in range(3))
        full = min(full_capture(name, args.iterations // 3, args.device) for _ in range(3))
        ff = min(fast_forward(name, args.iterations, args.device) for _ in range(3))
        print(
            f"{name:<10}{bare:>10.1f}{full:>12.1f}{full / bare:>7.2f}x{ff:>10.1f}{ff / bare:>7.2f}x"
        )
    if args.breakdown:
        print("\nbreakdown of full capture (each part switched off in turn):")
        for name in SCENARIOS:
            breakdown(name, args.iterations // 3, args.device)
    print("\ngraph capture vs torchviz.make_dot (show_saved=True, .source; same graph):")
    for name in SCENARIOS:
        pair = graph_capture_vs_torchviz(name)
        if pair is None:
            print("  torchviz not installed: pip install torchviz")
            break
        ours, theirs = pair
        print(
            f"  {name:<9} ours {ours:8.1f} µs   make_dot {theirs:8.1f} µs   {theirs / ours:5.1f}x"
        )
    print("\nbytes per frame (one captured iteration, default config):")
    for name in SCENARIOS:
        print(f"  {name:<9}", ", ".join(f"{k} {v}" for k, v in encoded_bytes(name).items()))
    print(f"\nbytes per frame, ~1 M parameters (budget {FRAME_BUDGET} per phase frame,")
    print(f"session {SESSION_BUDGET}; over budget marked *):")
    for kind in ("bigram", "transformer"):
        n, sizes = million_bytes(kind)
        marks = {
            k: "*" if v > (SESSION_BUDGET if k == "session" else FRAME_BUDGET) else ""
            for k, v in sizes.items()
        }
        listed = ", ".join(f"{k} {v}{marks[k]}" for k, v in sizes.items())
        print(f"  {kind:<11} {n} params: {listed}")
    times = sorted(websocket_round_trip(1000))
    p50 = statistics.median(times) * 1e3
    p99 = times[int(len(times) * 0.99) - 1] * 1e3
    print(f"\nwebsocket step round trip (linear, 1000 steps): p50 {p50:.2f} ms, p99 {p99:.2f} ms")


if __name__ == "__main__":
    main()
