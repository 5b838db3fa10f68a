"""Shared helpers: the wire round trip, decoding TensorValues, and the plain oracle loop."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import numpy as np
import orjson
import torch
from starlette.testclient import WebSocketTestSession

from loopscope.capture.values import decode_float
from loopscope.protocol import EVENT_ADAPTER
from loopscope.training.scenarios import Built, build, get_scenario
from loopscope.training.session import CHECKPOINT_EVERY, Session

PHASES = ("forward", "loss", "zero_grad", "backward", "step")
# float32 values that are easy to get wrong: signed zeros, subnormals, the extremes, and
# decimals that do not round-trip through a naive formatter
F32_MAX = float(np.finfo(np.float32).max)
F32_TINY = float(np.finfo(np.float32).smallest_subnormal)
EDGES = [0.0, -0.0, F32_TINY, -F32_TINY, 1.1754942e-38, F32_MAX, -F32_MAX, 0.1, 1 / 3, 16777217.0]


def wire(event: dict[str, Any]) -> dict[str, Any]:
    """What a client receives: the event through orjson (as the socket sends it) and back."""
    return orjson.loads(orjson.dumps(event, option=orjson.OPT_SERIALIZE_NUMPY))


def check_event(event: dict[str, Any]) -> dict[str, Any]:
    """The event after a wire round trip, validated against the protocol's models."""
    data = wire(event)
    EVENT_ADAPTER.validate_python(data)
    return data


def decode(value: dict[str, Any]) -> torch.Tensor:
    """A wire TensorValue (all values, not a summary) as the tensor it stands for."""
    assert value.get("summary") is None, "a summary cannot be decoded"
    raw = value["values"]
    if value["dtype"] == "float32":
        # Python floats (doubles) rounded to float32: what Math.fround does in the browser.
        array = np.array([decode_float(v) for v in raw], dtype=np.float32)
        tensor = torch.from_numpy(array)
    else:
        tensor = torch.tensor(raw, dtype=getattr(torch, value["dtype"]))
    return tensor.reshape(value["shape"])


def wire_loss(value: float | str) -> torch.Tensor:
    """A wire loss as a float32 scalar tensor."""
    return torch.tensor(decode_float(value), dtype=torch.float32)


def make_session(
    scenario: str = "linear",
    *,
    history_bytes: int = 4 * 1024 * 1024,
    cap: int = 4096,
    checkpoint_every: int = CHECKPOINT_EVERY,
    **config: Any,
) -> Session:
    """A session on the CPU (the oracle loop runs there too); `config` is the run's config.
    Its session event is built, as a `start` sends it, so phase events leave out what it held."""
    session = Session(
        scenario,
        config,
        default_device="cpu",
        cap=cap,
        history_bytes=history_bytes,
        checkpoint_every=checkpoint_every,
    )
    session.session_event()  # a start is answered by one: the client holds its tensors
    return session


def params_of(session: Session) -> list[torch.Tensor]:
    return list(session.stepper.params.values())


def all_equal(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


def step_phases(session: Session, n: int) -> list[dict[str, Any]]:
    """Step `n` single phases (each fully captured); every event, validated, in order."""
    events: list[dict[str, Any]] = []
    for _ in range(n):
        events += [check_event(e) for e in session.step("phase", 1)]
    return events


def phase_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "phase"]


def by_phase(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The phase events of one iteration, by phase name (graph events left out)."""
    out = {e["phase"]: e for e in phase_events(events)}
    assert len(out) == len(phase_events(events))
    return out


@dataclass
class PlainStep:
    """One finished iteration of the plain loop."""

    iteration: int
    epoch: int
    batch: int
    n_batches: int
    built: Built
    loss: torch.Tensor  # the loss tensor of this iteration (graph already freed by backward)
    grads: list[torch.Tensor | None]  # each parameter's .grad right after backward


def plain_iterations(
    scenario: str, config: dict[str, Any], *, zero_grad: bool = True
) -> Iterator[PlainStep]:
    """The uninstrumented loop, as a learner writes it, one iteration per `next()`.

    Built like scenarios.build (seed, data, model, optimizer); batches like the stepper's:
    a generator seeded with `seed`, one randperm at the start of every epoch, batch b is
    perm[b*bs:(b+1)*bs]. The caller may change the optimizer between iterations.
    """
    sc = get_scenario(scenario)
    cfg = sc.validate(config)
    built = build(sc, cfg, "cpu")
    generator = torch.Generator().manual_seed(cfg.seed)
    n = int(built.x.shape[0])
    bs = cfg.batch_size
    n_batches = 1 if bs is None else math.ceil(n / bs)
    iteration = 0
    epoch = 0
    while True:
        if bs is None:
            batches = [(built.x, built.y)]
        else:
            perm = torch.randperm(n, generator=generator)
            batches = []
            for b in range(n_batches):
                index = perm[b * bs : (b + 1) * bs]
                batches.append((built.x[index], built.y[index]))
        for b, (x_batch, y_batch) in enumerate(batches):
            y_pred = built.model(x_batch)
            loss = built.criterion(y_pred, y_batch)
            if zero_grad:
                built.optimizer.zero_grad()
            loss.backward()
            grads = [None if p.grad is None else p.grad.clone() for p in built.model.parameters()]
            built.optimizer.step()
            yield PlainStep(iteration, epoch, b, n_batches, built, loss.detach(), grads)
            iteration += 1
        epoch += 1


def plain_params(step: PlainStep) -> list[torch.Tensor]:
    return [p.detach() for p in step.built.model.parameters()]


def comparable(event: dict[str, Any]) -> dict[str, Any]:
    """A phase event without what differs between two runs at the same point:
    the history range and the step capture's object identities."""
    out = {k: v for k, v in event.items() if k != "history"}
    capture = out.get("capture")
    if capture and "references" in capture:
        out["capture"] = {k: v for k, v in capture.items() if k != "references"}
    return out


def receive_text(ws: WebSocketTestSession, timeout: float = 10.0) -> str:
    """The text of the next TestClient message; fails (instead of hanging) after `timeout`,
    raises WebSocketDisconnect when the server closed."""

    async def receive() -> Any:
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()

    message = ws.portal.call(receive)
    ws._raise_on_close(message)
    assert message["type"] == "websocket.send", message
    text: str = message["text"]
    return text


def points(event: dict[str, Any]) -> list[dict[str, Any]]:
    """A phase event's losses, one {iteration, epoch, loss} per iteration (its chunk unrolled)."""
    chunk = event["losses"]
    return [
        {"iteration": i, "epoch": i // event["n_batches"], "loss": loss}
        for i, loss in enumerate(chunk["values"], chunk["first"])
    ]
