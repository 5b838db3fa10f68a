"""An error of the tracer's own never reaches the script; the script's own errors still do."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from loopscope.trace.channel import Channel, FrameBuffer
from loopscope.trace.hooks import _around
from loopscope.trace.location import Locator
from loopscope.trace.tracer import Tracer


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Tracer, socket.socket]:
    mine, theirs = socket.socketpair()
    tracer = Tracer(Channel(mine), Locator(str(tmp_path)))
    yield tracer, theirs
    mine.close()
    theirs.close()


def _frames(sock: socket.socket) -> list[dict[str, object]]:
    sock.setblocking(False)
    buffer = FrameBuffer()
    try:
        buffer.feed(sock.recv(1 << 16))
    except BlockingIOError:
        pass
    frames = []
    while (frame := buffer.next()) is not None:
        frames.append(frame)
    return frames


def test_a_tracer_error_before_the_call_turns_tracing_off(
    pair: tuple[Tracer, socket.socket],
) -> None:
    tracer, theirs = pair
    calls = []

    def broken(run: object) -> object:
        raise RuntimeError("a bug of ours")

    assert _around(tracer, broken, lambda: calls.append(1) or "result") == "result"
    assert calls == [1] and not tracer.active
    (notice,) = _frames(theirs)
    assert notice["code"] == "trace_error" and "a bug of ours" in str(notice["message"])


def test_a_tracer_error_after_the_call_does_not_run_it_twice(
    pair: tuple[Tracer, socket.socket],
) -> None:
    tracer, _ = pair
    calls = []

    def broken_after(run: object) -> object:
        run()  # type: ignore[operator]
        raise RuntimeError("a bug of ours")

    assert _around(tracer, broken_after, lambda: calls.append(1) or "result") == "result"
    assert calls == [1] and not tracer.active


def test_the_scripts_own_error_propagates(pair: tuple[Tracer, socket.socket]) -> None:
    tracer, _ = pair

    def failing() -> None:
        raise ValueError("the script's own")

    with pytest.raises(ValueError, match="the script's own"):
        _around(tracer, lambda run: run(), failing)
    assert tracer.active


def test_an_error_in_our_graph_hooks_stays_out_of_the_scripts_backward(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import torch

    from loopscope.capture import backward as capture_backward
    from loopscope.trace.names import NameTable
    from loopscope.trace.recorder import IterationCapture

    names = NameTable(lambda _: False)
    model = torch.nn.Linear(3, 1)
    names.add(model)
    capture = IterationCapture(names)
    x = torch.randn(4, 3)
    loss = model(x).pow(2).mean()
    capture.walk(loss, None, "loss")
    recorder = capture.backward_recorder()
    assert recorder is not None

    def broken(*_args: object) -> None:
        raise TypeError("a bug of ours inside a node hook")

    monkeypatch.setattr(capture_backward, "optional_tensor_value", broken)
    loss.backward()  # runs to its end: the hooks keep the error
    recorder.remove()
    assert isinstance(recorder.error, TypeError)
    # torch is the oracle: the gradient the backward made is the plain one
    plain = torch.nn.Linear(3, 1)
    plain.load_state_dict(model.state_dict())
    plain(x).pow(2).mean().backward()
    assert model.weight.grad is not None and plain.weight.grad is not None
    assert torch.equal(model.weight.grad, plain.weight.grad)
