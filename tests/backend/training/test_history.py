"""Rewind history: snapshots restore exactly, the byte budget evicts the oldest first."""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

import pytest
import torch

from loopscope.server.memory import release_free_memory
from loopscope.training.errors import CommandError
from loopscope.training.history import History, restore_snapshot, take_snapshot
from loopscope.training.session import Session

from .._helpers import all_equal, comparable, make_session, params_of, step_phases


def snapshot_of(iteration: int, nbytes: int) -> object:
    """A bare snapshot of a one-element parameter, its size forced to `nbytes` (and no
    generator state: nothing counted besides that size)."""
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=0.1)
    generator = torch.Generator().manual_seed(0)
    snap = take_snapshot(iteration, [param], optimizer, generator.get_state(), None, False, False)
    snap.nbytes = nbytes
    snap.generator = None  # type: ignore[assignment]
    return snap


def kept(history: History, iteration: int) -> bool:
    """True when `history` holds a snapshot taken at the start of `iteration`."""
    snapshot = history.latest_at_or_before(iteration)
    return snapshot is not None and snapshot.iteration == iteration


def span(history: History) -> dict[str, int | None]:
    """The oldest and newest iteration kept, and the bytes they take."""
    newest = history.latest_at_or_before(10**9)
    last = None if newest is None else newest.iteration
    return {"first": history.first, "last": last, "bytes": history.nbytes}


def test_history_evicts_the_oldest_beyond_the_budget() -> None:
    history = History(max_bytes=250)
    for i in range(5):
        history.add(snapshot_of(i, 100))  # type: ignore[arg-type]
    assert span(history) == {"first": 3, "last": 4, "bytes": 200}
    assert not kept(history, 2) and kept(history, 3)


def test_history_keeps_the_newest_even_over_budget() -> None:
    history = History(max_bytes=0)
    history.add(snapshot_of(0, 100))  # type: ignore[arg-type]
    history.add(snapshot_of(1, 100))  # type: ignore[arg-type]
    assert span(history) == {"first": 1, "last": 1, "bytes": 100}


def test_truncate_after_forgets_the_later_branch() -> None:
    history = History(max_bytes=10_000)
    for i in range(6):
        history.add(snapshot_of(i, 10))  # type: ignore[arg-type]
    history.truncate_after(2)
    assert span(history) == {"first": 0, "last": 2, "bytes": 30}
    history.add(snapshot_of(2, 10))  # replacing an iteration does not count it twice
    assert span(history)["bytes"] == 30


def test_snapshot_restores_params_grads_adam_state_and_generator() -> None:
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(8, 2)

    def iterate() -> None:
        optimizer.zero_grad()
        model(x).pow(2).mean().backward()
        optimizer.step()

    iterate()
    params = list(model.parameters())
    snap = take_snapshot(1, params, optimizer, generator.get_state(), None, False, True)
    expected_perm = torch.randperm(8, generator=torch.Generator().manual_seed(3))
    saved = [p.detach().clone() for p in params]
    saved_grads = [p.grad.clone() for p in params]
    saved_state = {k: v.clone() for k, v in optimizer.state[params[0]].items()}
    for _ in range(3):
        iterate()
    torch.randperm(8, generator=generator)
    optimizer.param_groups[0]["lr"] = 0.5
    restore_snapshot(snap, params, optimizer, generator)
    assert all_equal([p.detach() for p in params], saved)
    assert all_equal([p.grad for p in params], saved_grads)
    for key, value in saved_state.items():
        assert torch.equal(optimizer.state[params[0]][key], value)
    assert optimizer.param_groups[0]["lr"] == 0.1
    assert optimizer.param_groups[0]["params"] == params  # the very same objects
    assert torch.equal(torch.randperm(8, generator=generator), expected_perm)
    # The snapshot is not aliased: stepping on does not change it.
    iterate()
    assert all_equal(snap.params, saved)


def test_small_history_budget_moves_first_and_refuses_evicted_iterations() -> None:
    session = make_session("linear", n_points=10, history_bytes=16_000)  # ~3 checkpoints
    session.step("iteration", 60)
    info = session.history_info()
    assert info["last"] == 60
    assert info["first"] > 0  # the oldest were evicted
    assert info["bytes"] <= 16_000
    first = info["first"]
    session.step("iteration", 20)
    assert session.history_info()["first"] > first
    first = session.history_info()["first"]
    before = [p.detach().clone() for p in params_of(session)]
    with pytest.raises(CommandError) as exc:
        session.rewind(first - 1)
    assert (exc.value.code, exc.value.field) == ("out_of_range", "iteration")
    assert all_equal(params_of(session), before)
    session.rewind(first)  # the oldest kept is still reachable


def test_checkpoints_are_sparse_and_every_iteration_between_is_reachable() -> None:
    session = make_session("linear", n_points=10, checkpoint_every=4)
    session.step("iteration", 10)
    kept_at = [i for i in range(11) if kept(session.history, i)]
    assert kept_at == [0, 4, 8]
    assert session.history_info() == {"first": 0, "last": 10, "bytes": session.history.nbytes}
    at_seven = session.history.latest_at_or_before(7)
    assert at_seven is not None and at_seven.iteration == 4
    assert session.history.latest_at_or_before(-1) is None


@pytest.mark.parametrize("batch_size", [None, 3])
def test_rewind_between_checkpoints_replays_to_the_same_bits(batch_size: int | None) -> None:
    """A rewind to any iteration (on or between checkpoints) equals a fresh run stepped there,
    then steps on identically, with Adam state and a mini-batch order to restore."""
    config = {"n_points": 10, "optimizer": "adam", "lr": 0.05, "batch_size": batch_size}
    session = make_session("linear", checkpoint_every=4, **config)
    session.step("iteration", 13)
    for k in (11, 9, 5, 4, 2, 0):
        session.step("iteration", 13 - k)  # back to 13, so later checkpoints exist again
        step_phases(session, 2)  # and mid-iteration: the half-run iteration is dropped
        (event,) = session.rewind(k)
        assert event["iteration"] == k and event["history"]["last"] == k
        fresh = make_session("linear", **config)
        if k:
            fresh.step("iteration", k)
        assert all_equal(params_of(session), params_of(fresh)), k
        for p, q in zip(params_of(session), params_of(fresh), strict=True):
            assert (p.grad is None) == (q.grad is None)
            assert p.grad is None or torch.equal(p.grad, q.grad)
        ours = [e for e in step_phases(session, 5 * 3) if e["type"] == "phase"]
        theirs = [e for e in step_phases(fresh, 5 * 3) if e["type"] == "phase"]
        assert [comparable(e) for e in ours] == [comparable(e) for e in theirs], k
        session.rewind(k)


@pytest.mark.parametrize("change", [{"lr": 0.002}, {"skip_zero_grad": True}])
def test_a_set_mid_iteration_is_never_replayed_over(change: dict[str, object]) -> None:
    """Replay cannot repeat a `set`: the iteration after one is always a checkpoint, so a
    rewind past it gives what the run really did (the set applied mid-iteration 5)."""
    session = make_session("linear", n_points=10, checkpoint_every=8)
    twin = make_session("linear", n_points=10)
    for s in (session, twin):
        s.step("iteration", 5)
        step_phases(s, 2)
        s.set(change)
    twin.step("iteration", 2)  # to the start of iteration 7
    session.step("iteration", 5)  # on to 10, then back to 7
    (event,) = session.rewind(7)
    assert kept(session.history, 6)  # the forced checkpoint after the set
    assert all_equal(params_of(session), params_of(twin))
    assert event["config"] == twin.session_event()["config"]
    ours = [e for e in step_phases(session, 10) if e["type"] == "phase"]
    theirs = [e for e in step_phases(twin, 10) if e["type"] == "phase"]
    assert [comparable(e) for e in ours] == [comparable(e) for e in theirs]


def test_history_info_in_events() -> None:
    session = make_session("linear", n_points=10)
    events = step_phases(session, 10)
    assert events[-1]["history"]["first"] == 0
    assert events[-1]["history"]["last"] == 2
    assert events[-1]["history"]["bytes"] == session.history.nbytes > 0


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
@pytest.mark.parametrize(
    ("scenario", "config"),
    [
        ("linear", {}),
        ("mlp", {}),
        ("classify", {"optimizer": "adam"}),
        ("linear", {"n_points": 2000, "batch_size": 1}),
    ],
)
def test_the_budget_counts_at_least_what_snapshots_really_hold(
    scenario: str, config: dict[str, Any]
) -> None:
    """History.nbytes against the process's RSS growth over 1 500 snapshots taken as a run
    takes them: what is counted is an upper bound, so that max_runs × history bytes is one
    (docs/performance.md has the figures, counted against held)."""
    session = Session(scenario, {**config, "device": "cpu"}, history_bytes=0)
    s = session.stepper
    for _ in range(3):
        s.run_iteration()
    history = History(1 << 40)
    gc.collect()
    release_free_memory()
    before = _rss()
    for _ in range(1500):
        s.run_iteration()
        params = list(s.params.values())
        history.add(
            take_snapshot(s.iteration, params, s.optimizer, s.generator_state, s.perm, False, False)
        )
    gc.collect()
    held = _rss() - before
    assert held <= history.nbytes, (held, history.nbytes)
