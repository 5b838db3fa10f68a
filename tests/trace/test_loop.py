"""Where iterations end with several optimizers, and the credits of the gate."""

from __future__ import annotations

import pytest
import torch

from loopscope.trace.channel import FrameBuffer, channel_pair
from loopscope.trace.loop import IDLE_LIMIT, Credits, OptimizerCycle, parse_command
from loopscope.trace.manual import HandState, leaves_of


def _optimizers(n: int) -> list[torch.optim.Optimizer]:
    return [torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1) for _ in range(n)]


def test_gan_iteration_ends_when_both_have_stepped() -> None:
    d, g = _optimizers(2)
    cycle = OptimizerCycle()
    cycle.add(d)
    cycle.add(g)
    assert [cycle.step(o)[0] for o in (d, g, d, g)] == [0, 1, 0, 1]


def test_several_critic_steps_per_generator_step() -> None:
    critic, generator = _optimizers(2)
    cycle = OptimizerCycle()
    cycle.add(critic)
    cycle.add(generator)
    ended = [cycle.step(critic)[0] for _ in range(5)] + [cycle.step(generator)[0]]
    assert ended == [0, 0, 0, 0, 0, 1]


def test_an_idle_optimizer_is_left_out_and_said() -> None:
    used, idle = _optimizers(2)
    cycle = OptimizerCycle()
    cycle.add(used)
    cycle.add(idle)
    results = [cycle.step(used) for _ in range(IDLE_LIMIT)]
    assert [n for n, _ in results[:-1]] == [0] * (IDLE_LIMIT - 1)
    ended, message = results[-1]
    assert ended == IDLE_LIMIT and message is not None and "#1" in message
    assert cycle.step(used) == (1, None)


def test_a_dropped_optimizer_is_not_waited_for() -> None:
    first, second = _optimizers(2)
    cycle = OptimizerCycle()
    cycle.add(first)
    cycle.add(second)
    del first
    assert cycle.step(second) == (1, None)


def test_credits_capture_the_last_iteration() -> None:
    credits = Credits()
    assert credits.exhausted
    credits.grant("iteration", 3)
    shown = []
    for _ in range(3):
        shown.append(credits.capture_iteration())
        credits.iteration_done()
    assert shown == [False, False, True] and credits.exhausted
    credits.grant("phase", 2)
    credits.iteration_done()
    credits.phase_done()
    assert credits.remaining == 1 and credits.capture_iteration()


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"cmd": "jump"}, "cmd"),
        ({"cmd": "go", "unit": "epoch"}, "unit"),
        ({"cmd": "go", "count": 0}, "count"),
    ],
)
def test_bad_commands_name_the_field(message: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field}:"):
        parse_command(message)


def test_frames_survive_arbitrary_splits() -> None:
    parent, child = channel_pair()
    try:
        parent.send({"type": "a", "n": 1})
        parent.send({"type": "b", "text": "é" * 3})
        data = child.recv(1 << 16)
    finally:
        parent.close()
        child.close()
    buffer = FrameBuffer()
    got = []
    for i in range(len(data)):
        buffer.feed(data[i : i + 1])
        while (frame := buffer.next()) is not None:
            got.append(frame)
    assert got == [{"type": "a", "n": 1}, {"type": "b", "text": "ééé"}]


def test_pydantic_models_inside_a_frame_are_written_as_json() -> None:
    from loopscope.protocol import ErrorEvent  # a pydantic model (TensorValue is a TypedDict)

    parent, child = channel_pair()
    try:
        parent.send({"type": "a", "value": ErrorEvent(type="error", code="internal", message="m")})
        buffer = FrameBuffer()
        buffer.feed(child.recv(1 << 16))
    finally:
        parent.close()
        child.close()
    assert buffer.next() == {
        "type": "a",
        "value": {"type": "error", "code": "internal", "message": "m", "field": None},
    }


def test_the_leaves_of_a_graph_are_the_tensors_backward_fills() -> None:
    w, b = torch.randn(3, requires_grad=True), torch.zeros(1, requires_grad=True)
    frozen = torch.randn(3)  # no grad: not a leaf of the graph
    loss = ((w * frozen).sum() + b).pow(2).sum()
    assert loss.grad_fn is not None
    assert {id(t) for t in leaves_of([loss.grad_fn])} == {id(w), id(b)}


def test_a_hand_update_is_captured_as_a_step() -> None:
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    assert loss.grad_fn is not None
    loss.backward()
    hand = HandState()
    hand.learn([loss.grad_fn], {id(w): "w"})
    hand.read_before(cap=16)
    with torch.no_grad():
        w -= 0.5 * w.grad  # type: ignore[operator]
    capture = hand.step_capture(cap=16)
    (update,) = capture["updates"]
    assert update["name"] == "w" and list(update["after"]["values"]) == [0.0, 0.0]
    (ref,) = capture["references"]
    assert ref["version_after"] == ref["version_before"] + 1  # changed in place


def test_a_second_stage_optimizer_does_not_wait_for_the_first() -> None:
    # the transfer-learning tutorial: the first optimizer stays in a variable, never used again
    first, second = _optimizers(2)
    cycle = OptimizerCycle()
    cycle.add(first)
    assert [cycle.step(first)[0] for _ in range(3)] == [1, 1, 1]
    cycle.add(second)
    assert [cycle.step(second) for _ in range(3)] == [(1, None)] * 3
    # the first one steps again: from then on both take part
    assert [cycle.step(o)[0] for o in (first, second, first, second)] == [0, 1, 0, 1]


def test_optimizers_sharing_a_parameter_do_not_wait_for_each_other() -> None:
    # fine-tuning with both made up front: the head's optimizer, then one over all parameters
    head, body = torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))
    only_head = torch.optim.SGD([head], lr=0.1)
    everything = torch.optim.Adam([body, head])
    cycle = OptimizerCycle()
    cycle.add(only_head)
    cycle.add(everything)
    assert [cycle.step(only_head) for _ in range(3)] == [(1, None)] * 3
    assert [cycle.step(everything) for _ in range(3)] == [(1, None)] * 3
    # a parameter group added later is seen: a third optimizer that shared nothing at first
    third = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    cycle.add(third)
    assert [cycle.step(o)[0] for o in (everything, third)] == [0, 1]
    third.add_param_group({"params": [body]})
    assert [cycle.step(everything) for _ in range(2)] == [(1, None)] * 2
