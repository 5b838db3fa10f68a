"""The session lists the `set`s of the branch it is on, and replaying that list on a new run
(steps to each, the set, steps on) gives torch's same numbers: what a shared link does."""

from __future__ import annotations

from typing import Any

import torch

from loopscope.protocol import PHASES
from loopscope.training.session import MAX_SET_LOG, Session

N = len(PHASES)


def sets_of(session: Session) -> dict[str, Any]:
    event = session.session_event()
    sets: dict[str, Any] = event["sets"]
    return sets


def position(record: dict[str, Any]) -> int:
    return int(record["iteration"]) * N + PHASES.index(record["next_phase"])


def replay(log: list[dict[str, Any]], to: int, config: dict[str, Any] | None = None) -> Session:
    """A new run brought to position `to` (phases), making each `set` of `log` on the way."""
    fresh = Session("linear", config or {}, history_bytes=0)
    for record in log:
        fresh.step("phase", position(record) - fresh.position(), capture=False)
        fresh.set(record["changes"])
    fresh.step("phase", to - fresh.position(), capture=False)
    return fresh


def test_the_sets_made_are_listed_where_they_were_made() -> None:
    run = Session("linear", {})
    run.step("iteration", 3)
    run.set({"lr": 0.02})
    run.step("phase", 2)
    run.set({"lr": 0.005, "skip_zero_grad": True})
    entries = sets_of(run)["entries"]
    assert entries == [
        {"iteration": 3, "next_phase": "forward", "changes": {"lr": 0.02}},
        {
            "iteration": 3,
            "next_phase": "zero_grad",
            "changes": {"lr": 0.005, "skip_zero_grad": True},
        },
    ]
    assert sets_of(run)["dropped"] == 0


def test_replaying_the_list_reaches_torch_s_same_numbers() -> None:
    run = Session("linear", {})
    run.step("iteration", 5)
    run.set({"lr": 0.02})
    run.step("iteration", 7)
    run.step("phase", 2)
    run.set({"lr": 0.003})
    run.step("iteration", 4)
    run.step("phase", 3)
    sets = sets_of(run)
    assert sets["start_config"]["lr"] == 0.01  # what the link starts from, not lr now
    twin = replay(sets["entries"], run.position(), sets["start_config"])
    assert twin.position() == run.position()
    for name, p in run.stepper.params.items():
        assert torch.equal(p, twin.stepper.params[name])
    # Without the sets, the numbers differ: the list is what makes them the same.
    plain = replay([], run.position())
    assert not torch.equal(
        run.stepper.params["linear.weight"], plain.stepper.params["linear.weight"]
    )


def test_a_rewind_keeps_only_the_sets_before_the_iteration_it_lands_on() -> None:
    run = Session("linear", {})
    run.step("iteration", 4)
    run.set({"lr": 0.02})  # at the start of iteration 4
    run.step("phase", 2)
    run.set({"lr": 0.03})  # inside iteration 4
    run.step("iteration", 3)
    run.set({"lr": 0.04})  # at the start of iteration 7
    run.step("iteration", 2)
    run.rewind(7)
    assert [r["changes"]["lr"] for r in sets_of(run)["entries"]] == [0.02, 0.03]
    assert run.config.lr == 0.03  # the state it landed on agrees with the list
    run.rewind(4)
    assert sets_of(run)["entries"] == []
    assert run.config.lr == 0.01
    twin = replay(sets_of(run)["entries"], run.position())
    for name, p in run.stepper.params.items():
        assert torch.equal(p, twin.stepper.params[name])


def test_reset_forgets_the_sets_and_a_flood_only_keeps_the_newest() -> None:
    run = Session("linear", {})
    for k in range(MAX_SET_LOG + 5):
        run.set({"lr": 0.01 + k * 1e-4})
    sets = sets_of(run)
    assert (len(sets["entries"]), sets["dropped"]) == (MAX_SET_LOG, 5)
    assert sets["entries"][-1]["changes"]["lr"] == 0.01 + (MAX_SET_LOG + 4) * 1e-4
    run.reset()  # rebuilt from the config as it stands: the newest lr
    assert sets_of(run) == {"entries": [], "dropped": 0, "start_config": run.config.model_dump()}
    assert run.config.lr == 0.01 + (MAX_SET_LOG + 4) * 1e-4
