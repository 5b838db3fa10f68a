"""Compared runs: torch's numbers, and no time budget of their own (the server's applies)."""

from __future__ import annotations

import pytest
import torch

from loopscope.capture.values import decode_float
from loopscope.training import compare
from loopscope.training.compare import compare_runs
from loopscope.training.errors import CommandError
from loopscope.training.session import Session


def test_each_variant_trains_as_its_own_run() -> None:
    runs = compare_runs("linear", {}, [{"batch_size": None}, {"batch_size": 10}], 3)
    for run, batch in zip(runs, (None, 10), strict=True):
        alone = Session("linear", {"batch_size": batch}, history_bytes=0)
        alone.step("epoch", 3, capture=False)
        assert len(run["losses"]) == 3 * alone.stepper.n_batches
        last = torch.tensor(decode_float(run["losses"][-1]), dtype=torch.float32)
        assert torch.equal(last, torch.tensor(alone.stepper.loss_value, dtype=torch.float32))


def test_time_is_not_bounded_by_a_constant_fitted_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """How long a compare may train is decided by the server from this machine's measured
    speed (server/work.py); compare_runs itself refuses only by iteration count. An estimate
    made a thousand times larger must not refuse a one-epoch request."""
    monkeypatch.setattr(compare, "US_PER_MODULE", compare.US_PER_MODULE * 1000)
    runs = compare_runs("linear", {}, [{}], 1)
    assert len(runs[0]["losses"]) == 1


def test_the_iteration_bound_still_names_epochs() -> None:
    with pytest.raises(CommandError) as info:
        compare_runs("linear", {"batch_size": 1}, [{}], compare.MAX_ITERATIONS)
    assert (info.value.code, info.value.field) == ("out_of_range", "epochs")
