"""The phase stepper: position, multi-step commands, divergence, devices."""

from __future__ import annotations

import math

import pytest
import torch

from loopscope.training.errors import CommandError
from loopscope.training.session import Session

from .._helpers import (
    PHASES,
    all_equal,
    by_phase,
    check_event,
    decode,
    make_session,
    params_of,
    plain_iterations,
    plain_params,
    points,
    step_phases,
    wire_loss,
)


def test_phases_come_in_order_with_position() -> None:
    session = make_session("linear", n_points=10, batch_size=4)
    s = session.stepper
    assert (s.n_batches, s.batch_size, s.full_batch) == (3, 4, False)
    expected = []
    for iteration in range(7):
        for i, phase in enumerate(PHASES):
            expected.append((phase, PHASES[(i + 1) % 5], iteration, iteration // 3, iteration % 3))
    got = [
        (e["phase"], e["next_phase"], e["iteration"], e["epoch"], e["batch"])
        for e in step_phases(session, 35)
        if e["type"] == "phase"
    ]
    assert got == expected
    assert (s.iteration, s.epoch, s.batch, s.next_phase) == (7, 2, 1, "forward")


def test_loss_is_reported_from_the_loss_phase_on() -> None:
    session = make_session("linear", n_points=10)
    phases = by_phase(step_phases(session, 5))
    assert phases["forward"]["loss"] is None
    loss = phases["loss"]["loss"]
    assert isinstance(loss, float)
    assert all(phases[p]["loss"] == loss for p in ("zero_grad", "backward", "step"))


@pytest.mark.parametrize("batch_size", [None, 3])
def test_step_epochs_reports_every_loss_and_captures_the_last_phase(batch_size: int | None) -> None:
    config = {"n_points": 10, "batch_size": batch_size}
    session = make_session("linear", **config)
    plain = plain_iterations("linear", config)
    n_batches = 1 if batch_size is None else 4
    events = [check_event(e) for e in session.step("epoch", 3)]
    *graph, event = events  # the graph of the captured last iteration, sent once
    assert [g["type"] for g in graph] == ["graph"]
    assert event["phase"] == "step" and event["next_phase"] == "forward"
    assert event["n_batches"] == n_batches
    assert (event["epoch"], event["batch"]) == (2, n_batches - 1)
    assert event["iteration"] == 3 * n_batches - 1
    references = [next(plain) for _ in range(3 * n_batches)]
    assert [(p["iteration"], p["epoch"]) for p in points(event)] == [
        (r.iteration, r.epoch) for r in references
    ]
    for point, reference in zip(points(event), references, strict=True):
        assert torch.equal(wire_loss(point["loss"]), reference.loss)
    # The last phase is captured in full: a StepCapture of the last iteration.
    capture = event["capture"]
    assert [u["name"] for u in capture["updates"]] == ["linear.weight", "linear.bias"]
    assert torch.equal(decode(capture["updates"][0]["after"]), params_of(session)[0])
    assert event["fit"] is not None
    assert all_equal(params_of(session), plain_params(references[-1]))
    # Nothing is reported twice: the next event carries only its own losses.
    # (a graph event may come first: the last mini-batch was smaller, so shapes changed)
    *_, following = [check_event(e) for e in session.step("iteration", 1)]
    assert [p["iteration"] for p in points(following)] == [3 * n_batches]


def test_step_iterations_mid_iteration_finishes_the_current_one_first() -> None:
    session = make_session("linear", n_points=10)
    step_phases(session, 2)
    (event,) = [check_event(e) for e in session.step("iteration", 2)]
    assert (event["phase"], event["iteration"]) == ("step", 1)
    assert [p["iteration"] for p in points(event)] == [0, 1]


def test_uncaptured_steps_carry_no_capture() -> None:
    session = make_session("linear", n_points=10)
    (event,) = session.step("iteration", 2, capture=False)
    assert event["capture"] is None and event["fit"] is None
    check_event(event)


def test_divergence_is_reported_and_reset_recovers() -> None:
    """lr=0.03 makes the notes' linear fit blow up: the loss overflows float32."""
    session = make_session("linear", lr=0.03)
    session.step("iteration", 265, capture=False)
    events = []
    while not session.stepper.diverged and session.stepper.iteration < 300:
        events += [e for e in step_phases(session, 1) if e["type"] == "phase"]
    assert session.stepper.diverged
    first = next(i for i, e in enumerate(events) if e["diverged"])
    assert all(not e["diverged"] for e in events[:first])
    assert events[first]["phase"] == "loss"
    assert events[first]["loss"] == "Infinity"  # non-finite: a string on the wire
    assert isinstance(events[first - 1]["loss"] or 0.0, float)
    later = step_phases(session, 10)
    assert all(e["diverged"] for e in later if e["type"] == "phase")
    assert all(isinstance(e["loss"], str) for e in later if e["type"] == "phase" and e["loss"])
    (reset,) = [check_event(e) for e in session.reset()]
    assert reset["iteration"] == 0 and not session.stepper.diverged
    fresh = make_session("linear", lr=0.03)
    assert all_equal(params_of(session), params_of(fresh))
    session.step("iteration", 3)
    fresh.step("iteration", 3)
    assert all_equal(params_of(session), params_of(fresh))


def test_non_finite_parameters_are_sent_as_strings() -> None:
    session = make_session("linear", lr=10.0, n_points=10)
    for _ in range(60):
        events = step_phases(session, 5)
        params = by_phase(events)["step"]["params"]
        if any(isinstance(v, str) for p in params.values() for v in p["values"]):
            break
    else:
        pytest.fail("lr=10 never made a parameter non-finite")
    assert session.stepper.diverged
    assert by_phase(events)["step"]["diverged"] is True
    values = [v for p in params.values() for v in p["values"]]
    assert set(v for v in values if isinstance(v, str)) <= {"NaN", "Infinity", "-Infinity"}
    live = torch.cat([p.detach().reshape(-1) for p in params_of(session)])
    decoded = torch.cat([decode(p).reshape(-1) for p in params.values()])
    assert torch.equal(torch.isnan(decoded), torch.isnan(live))
    finite = torch.isfinite(live)
    assert torch.equal(decoded[finite], live[finite])


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_on_a_cpu_machine_is_refused_naming_the_field() -> None:
    with pytest.raises(CommandError) as exc:
        make_session("linear", device="cuda")
    assert exc.value.code == "device_unavailable"
    assert exc.value.field == "config.device"


def test_freezing_every_parameter_is_refused_or_runs() -> None:
    config = {"n_points": 10, "frozen": ["linear.weight", "linear.bias"]}
    try:
        session = make_session("linear", **config)
    except CommandError as exc:
        assert exc.field is not None and exc.field.startswith("config.frozen")
        return
    start = [p.detach().clone() for p in params_of(session)]
    session.step("iteration", 2)
    assert all_equal(params_of(session), start)


@pytest.mark.cuda
def test_linear_on_cuda_matches_cpu() -> None:
    cuda = Session("linear", {"device": "cuda", "n_points": 50}, default_device="cpu")
    cpu = Session("linear", {"device": "cpu", "n_points": 50}, default_device="cpu")
    event = check_event(cuda.session_event())
    assert event["device"].startswith("cuda")
    assert cuda.stepper.x.device.type == "cuda"
    for _ in range(20):
        for e in cuda.step("phase", 1):
            check_event(e)
        cpu.step("phase", 1)
    cuda.step("epoch", 30)
    cpu.step("epoch", 30)
    for a, b in zip(params_of(cuda), params_of(cpu), strict=True):
        assert a.device.type == "cuda"
        torch.testing.assert_close(a.cpu(), b, rtol=1e-4, atol=1e-5)
    assert math.isclose(cuda.stepper.loss_value or 0.0, cpu.stepper.loss_value or 0.0, rel_tol=1e-3)
