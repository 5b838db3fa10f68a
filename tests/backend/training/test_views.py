"""The fit view: the model's own output on a fixed grid over the data, checked against torch."""

from __future__ import annotations

import pytest
import torch

from loopscope.training.views import CURVE_POINTS, REGION_SIZE

from .._helpers import decode, make_session, params_of, step_phases


@pytest.mark.parametrize("scenario", ["linear", "mlp", "classify"])
def test_fit_output_is_the_model_on_the_grid_after_each_step(scenario: str) -> None:
    session = make_session(scenario)
    model = session.stepper.model
    fits = []
    for _ in range(3):
        fit = step_phases(session, 5)[-1]["fit"]
        if scenario == "classify":  # 48×48×2 values: over the cap, the grid is a summary;
            # the client rebuilds it from the extent, row-major over y, then x
            x0, x1, y0, y1 = fit["extent"]
            xs, ys = torch.linspace(x0, x1, REGION_SIZE), torch.linspace(y0, y1, REGION_SIZE)
            grid = torch.cartesian_prod(ys, xs).flip(1)
            assert fit["grid"]["summary"]["numel"] == grid.numel()
        else:
            grid = decode(fit["grid"])
        with torch.no_grad():
            expected = model(grid)
        if scenario == "classify":
            # softmax over the two classes (as the view computes it: along the grid)
            probs = torch.softmax(expected.t(), dim=0)[1]
            assert torch.allclose(probs, torch.softmax(expected, dim=1)[:, 1], atol=1e-6)
            expected = probs.reshape(REGION_SIZE, REGION_SIZE)
        assert torch.equal(decode(fit["output"]), expected)
        fits.append(fit)
    # The grid is made once per run; the output follows the parameters as they change.
    assert fits[0]["grid"] == fits[-1]["grid"]
    assert fits[0]["output"] != fits[-1]["output"]


@pytest.mark.parametrize(
    ("scenario", "kind", "size"),
    [("linear", "line", 2), ("mlp", "curve", CURVE_POINTS), ("classify", "regions", REGION_SIZE)],
)
def test_fit_grid_spans_the_data(scenario: str, kind: str, size: int) -> None:
    session = make_session(scenario)
    fit = session.session_event()["fit"]
    x = session.stepper.x
    assert (fit["kind"], fit["size"]) == (kind, size)
    if kind == "regions":
        x0, x1, y0, y1 = fit["extent"]
        assert x0 < float(x[:, 0].min()) and float(x[:, 0].max()) < x1
        assert y0 < float(x[:, 1].min()) and float(x[:, 1].max()) < y1
        assert fit["grid"]["shape"] == [size * size, 2]
    else:
        low, high = fit["extent"]
        assert low <= float(x.min()) and float(x.max()) <= high
        assert fit["grid"]["shape"] == [size, 1]


def test_fit_evaluation_changes_nothing_in_the_run() -> None:
    """Running the model on the grid under no_grad leaves no grad, no version bump."""
    session = make_session("mlp")
    step_phases(session, 3)  # mid-iteration: grads exist, the next phase is backward
    versions = [p._version for p in params_of(session)]
    grads = [None if p.grad is None else p.grad.clone() for p in params_of(session)]
    session.session_event()
    assert [p._version for p in params_of(session)] == versions
    for p, g in zip(params_of(session), grads, strict=True):
        assert (p.grad is None and g is None) or torch.equal(p.grad, g)
