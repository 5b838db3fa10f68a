"""The Layers tab: every parameter's histograms, gradient norm and ‖Δw‖/‖w‖ after a step,
for linear (checked against plain torch), mlp, classify and charlm."""

from __future__ import annotations

import pytest
import torch
from playwright.sync_api import Page, expect

from .conftest import save_screenshot
from .helpers import PHASES, step_iteration, step_phase
from .test_first_iteration import torch_first_step

pytestmark = pytest.mark.e2e


def open_layers_after_one_step(page: Page, scenario: str) -> None:
    page.goto(f"/#scenario={scenario}")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "open")
    page.get_by_test_id("explain-tab-layers").click()
    expect(page.get_by_test_id("layers-panel")).to_be_visible()
    for phase in PHASES:
        step_phase(page, phase)


def test_linear_layers_show_torchs_norms(page: Page) -> None:
    oracle = torch_first_step()
    open_layers_after_one_step(page, "linear")
    rows = page.get_by_test_id("layer-row")
    expect(rows).to_have_count(2)
    weight = page.locator("[data-testid=layer-row][data-name='linear.weight']")
    grad_norm = float(weight.get_attribute("data-grad-norm") or "nan")
    expected = torch.linalg.vector_norm(oracle["weight_grad"].double())
    assert grad_norm == float(expected)
    delta = (oracle["weight_after"] - oracle["weight_before"]).double()
    ratio = float(weight.get_attribute("data-ratio") or "nan")
    expected_ratio = torch.linalg.vector_norm(delta) / torch.linalg.vector_norm(
        oracle["weight_before"].double()
    )
    assert ratio == float(expected_ratio)
    expect(weight).to_have_attribute("data-points", "1")


@pytest.mark.parametrize("scenario", ["mlp", "classify", "charlm"])
def test_every_parameter_has_a_row_and_a_ratio_log(page: Page, scenario: str) -> None:
    open_layers_after_one_step(page, scenario)
    rows = page.get_by_test_id("layer-row")
    assert rows.count() >= 2
    for i in range(rows.count()):
        row = rows.nth(i)
        assert float(row.get_attribute("data-grad-norm") or "nan") > 0
        expect(row).to_have_attribute("data-points", "1")
    step_iteration(page)
    expect(rows.first).to_have_attribute("data-points", "2")
    page.get_by_test_id("area-formulas").scroll_into_view_if_needed()
    save_screenshot(page, f"layers-{scenario}-en")
    if scenario == "charlm":
        page.get_by_test_id("lang-toggle").click()
        save_screenshot(page, f"layers-{scenario}-zh")
