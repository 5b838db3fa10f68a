"""The notes' worked examples, by torch: its results are the notes' numbers (to float32)."""

from __future__ import annotations

import math

import pytest
import torch

from loopscope.training.notes import (
    mse_example,
    sgd_example,
    state_dict_example,
    zero_grad_example,
)

F32_EPS = float(torch.finfo(torch.float32).eps)


def test_sgd_step_is_the_notes_1_508() -> None:
    ex = sgd_example()
    assert (ex.before, ex.grad, ex.lr) == (1.5, -0.8, 0.01)
    # The notes' answer, rounded to float32 once, is what torch's step() left in w.
    assert torch.tensor(ex.after) == torch.tensor(1.508)
    assert math.isclose(ex.by_hand, 1.508, rel_tol=1e-12)


def test_sgd_step_with_the_learners_own_numbers() -> None:
    ex = sgd_example(w=-2.0, grad=3.0, lr=0.5)
    assert ex.after == -3.5 == ex.by_hand


def test_mse_is_the_notes_0_11() -> None:
    ex = mse_example()
    assert [round(s, 10) for s in ex.squares] == [0.04, 0.04, 0.25]
    assert math.isclose(ex.by_hand, 0.11, rel_tol=1e-12)
    # float32 inputs (1.8, 4.2, 5.5 are not exact in binary): within float32 rounding.
    assert abs(ex.loss - 0.11) <= 4 * F32_EPS * 0.11


def test_mse_refuses_lengths_that_differ() -> None:
    with pytest.raises(ValueError, match="pred has 2 values and target 3"):
        mse_example((1.0, 2.0), (1.0, 2.0, 3.0))


def test_load_state_dict_brings_back_the_saved_lr_and_momentum() -> None:
    ex = state_dict_example(lr=0.01, changed_lr=0.1)
    assert ex.restored_lr == 0.01 != ex.changed_lr
    assert ex.momentum_restored == ex.momentum_saved
    # The first step's buffer is the gradient itself (torch's SGD with momentum).
    assert ex.momentum_saved == pytest.approx(-0.8)
    assert set(ex.saved_state) == {"state", "param_groups"}


def test_zero_grad_sets_none_by_default_and_zeros_on_request() -> None:
    ex = zero_grad_example()
    assert ex.after_none is None
    assert ex.after_zero == 0.0
