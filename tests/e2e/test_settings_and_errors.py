"""Changing scenario and settings restarts the run; refused settings show a toast."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .conftest import save_screenshot
from .helpers import PHASES, step_phase

pytestmark = pytest.mark.e2e


def test_switch_to_mlp_and_back(page: Page) -> None:
    select = page.get_by_test_id("scenario-select")
    select.select_option("mlp")
    expect(page.get_by_test_id("param-layers.2.weight")).to_be_attached()
    expect(page.get_by_test_id("param-linear.weight")).to_have_count(0)
    for phase in PHASES:
        step_phase(page, phase)
    expect(page.get_by_test_id("graph-node")).to_have_count(15)
    expect(page.locator("[data-testid=graph-node][data-op=TanhBackward0]")).to_have_count(2)
    page.wait_for_timeout(1200)
    save_screenshot(page, "06-mlp")
    select.select_option("linear")
    expect(page.get_by_test_id("param-linear.weight")).to_have_attribute(
        "data-value", "[0.1446575]"
    )
    expect(page.get_by_test_id("param-layers.2.weight")).to_have_count(0)
    step_phase(page, "forward")


def test_classify_runs(page: Page) -> None:
    page.get_by_test_id("scenario-select").select_option("classify")
    for phase in PHASES:
        step_phase(page, phase)
    expect(page.locator("[data-testid=graph-node][data-op=NllLossBackward0]")).to_have_count(1)
    page.wait_for_timeout(1200)
    save_screenshot(page, "07-classify")


def open_settings(page: Page) -> None:
    page.get_by_role("button", name="Run settings").click()
    expect(page.get_by_test_id("config-form")).to_be_visible()


def test_invalid_setting_shows_an_error_naming_the_field(page: Page) -> None:
    open_settings(page)
    page.get_by_label("Learning rate").fill("-1")
    page.get_by_role("button", name="Restart with these settings").click()
    # The form checks the schema's bounds itself and marks the field (nothing is sent).
    expect(page.get_by_label("Learning rate")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("config-form")).to_contain_text(
        "Learning rate must be greater than 0"
    )
    # A value only the server can refuse (no mps here) comes back as a toast naming the field.
    page.get_by_label("Learning rate").fill("0.01")
    page.get_by_test_id("config-form").locator("select[name=device]").select_option("mps")
    page.get_by_role("button", name="Restart with these settings").click()
    toast = page.get_by_test_id("error")
    expect(toast).to_be_visible()
    expect(toast).to_have_attribute("data-field", "config.device")
    expect(toast).to_contain_text("Device")
    save_screenshot(page, "08-error")
    toast.get_by_role("button", name="Dismiss").click()
    expect(toast).to_have_count(0)


def test_a_diverging_run_is_flagged(page: Page) -> None:
    open_settings(page)
    page.get_by_label("Learning rate").fill("10")
    page.get_by_role("button", name="Restart with these settings").click()
    step_iteration = page.get_by_role("button", name="Step iteration", exact=True)
    for _ in range(12):
        step_iteration.click()
        if page.get_by_test_id("diverged").count():
            break
        page.wait_for_timeout(150)
    expect(page.get_by_test_id("diverged")).to_be_visible()
    loss = page.get_by_test_id("loss").get_attribute("data-value")
    assert loss in ("NaN", "Infinity") or float(loss or "0") > 1e30
    save_screenshot(page, "09-diverged")
