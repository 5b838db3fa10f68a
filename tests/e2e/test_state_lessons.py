"""What the page says about the run's state, and how lessons begin and end, in real Chromium.

A multi-phase command (Step iteration) sends one event for its last phase: the phases before
it ran all the same and must not read "not run yet". The program pane follows the run's lr
after a branch with another one; a lesson ends with its scenario, and closing one puts the
scenario's defaults back.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from .conftest import save_screenshot
from .helpers import PHASES, step_iteration, step_phase

pytestmark = pytest.mark.e2e


def wait_for_hash(page: Page, condition: str) -> None:
    """Wait until `location.hash` satisfies a JS expression over `h`."""
    page.wait_for_function(f"() => {{ const h = location.hash; return {condition}; }}")


def start_lesson(page: Page, lesson: str) -> None:
    page.get_by_test_id("lessons-button").click()
    page.get_by_test_id(f"lesson-{lesson}").click()
    expect(page.get_by_test_id("lesson-card")).to_have_attribute("data-lesson", lesson)


def optimizer_line(page: Page) -> Locator:
    """The program pane's `optimizer = torch.optim.…(…)` line."""
    return page.get_by_test_id("code-line").filter(has_text="optimizer = torch.optim.")


# ---------------------------------------------------------------- phases run uncaptured


def test_step_iteration_shows_the_earlier_phases_as_run(page: Page) -> None:
    step_iteration(page)
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "step")
    for phase in PHASES[:-1]:
        row = page.locator(f"[data-phase-row={phase}]")
        expect(row).to_have_attribute("data-ran", "uncaptured")
        expect(row).to_contain_text("details skipped")
        expect(row).not_to_contain_text("not run yet")
    expect(page.locator("[data-phase-row=step]")).to_have_attribute("data-ran", "captured")
    # The loss of the iteration still arrived with the event: the row shows the status bar's.
    loss = page.get_by_test_id("loss").inner_text()
    expect(page.locator("[data-phase-row=loss]")).to_contain_text(f"loss = {loss}")
    # The loss chart's latest value is the same number.
    expect(page.get_by_test_id("loss-latest")).to_contain_text(loss)
    formula = page.get_by_test_id("formula-loss")
    expect(formula).to_contain_text("ran in this iteration")
    expect(formula).not_to_contain_text("Appears once")
    save_screenshot(page, "50-step-iteration-ran-uncaptured")
    # model(x) unfolded: it ran, unrecorded; it does not ask the learner to press Step.
    page.get_by_test_id("explain-tab-call").click()
    pending = page.get_by_test_id("call-trace-pending")
    expect(pending).to_contain_text("ran in this iteration without a record")
    step_phase(page, "forward")  # phase by phase: the calls are recorded again
    expect(pending).to_have_count(0)
    expect(page.get_by_test_id("call-trace")).to_contain_text("forward pre-hooks")


def test_phase_by_phase_rows_still_say_not_run_yet_ahead(page: Page) -> None:
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "forward")
    expect(page.locator("[data-phase-row=forward]")).to_have_attribute("data-ran", "captured")
    for phase in PHASES[1:]:
        row = page.locator(f"[data-phase-row={phase}]")
        expect(row).to_have_attribute("data-ran", "no")
        expect(row).to_contain_text("not run yet")


def test_loss_chart_latest_agrees_with_the_status_bar_mid_iteration(page: Page) -> None:
    step_iteration(page)
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "loss")
    status = page.get_by_test_id("loss").get_attribute("data-value")
    expect(page.get_by_test_id("loss-latest")).to_have_attribute("data-value", status or "")


# ---------------------------------------------------------------- the program pane


def test_code_line_shows_the_new_lr_after_continue_from_here(page: Page) -> None:
    expect(optimizer_line(page)).to_contain_text("lr=0.01")
    step_iteration(page)
    step_iteration(page)
    page.get_by_role("button", name="Back one frame").click()
    expect(page.get_by_test_id("timeline")).to_have_attribute("data-viewing", "true")
    page.get_by_test_id("continue-lr").fill("0.02")
    page.get_by_test_id("continue-here").click()
    wait_for_hash(page, "h.includes('lr=0.02')")
    expect(optimizer_line(page)).to_contain_text("lr=0.02")
    expect(optimizer_line(page)).not_to_contain_text("lr=0.01")
    step_iteration(page)
    expect(optimizer_line(page)).to_contain_text("lr=0.02")


# ---------------------------------------------------------------- lessons


def test_lesson_card_closes_when_the_scenario_changes(page: Page) -> None:
    start_lesson(page, "batch-sizes")
    expect(page.get_by_test_id("compare-chart")).to_have_attribute(
        "data-status", "done", timeout=30_000
    )
    page.get_by_test_id("scenario-select").select_option("classify")
    wait_for_hash(page, "h.includes('scenario=classify')")
    expect(page.get_by_test_id("lesson-card")).to_have_count(0)
    expect(page.get_by_test_id("compare-chart")).to_have_count(0)
    expect(page.get_by_test_id("loss-chart")).to_be_visible()


def test_a_lesson_starts_clean_and_closing_it_restores_the_defaults(page: Page) -> None:
    start_lesson(page, "lr-too-high")
    wait_for_hash(page, "h.includes('lr=0.03')")
    page.get_by_test_id("lesson-action").click()
    expect(page.get_by_test_id("diverged")).to_be_visible(timeout=20_000)
    # The next lesson starts from the defaults: no diverged lr=0.03 run left behind.
    start_lesson(page, "no-zero-grad")
    wait_for_hash(page, "h.includes('skip_zero_grad=true') && !h.includes('lr=')")
    expect(page.get_by_test_id("diverged")).to_have_count(0)
    expect(page.get_by_test_id("switch-skip-zero-grad")).to_be_visible()
    expect(page.get_by_test_id("lesson-close-note")).to_be_visible()
    page.get_by_role("button", name="Close the lesson").click()
    wait_for_hash(page, "h === '#scenario=linear&lang=en'")
    expect(page.get_by_test_id("lesson-card")).to_have_count(0)
    expect(page.get_by_test_id("switch-skip-zero-grad")).to_have_count(0)
    line = page.locator("[data-phase-row=zero_grad] code.code")
    expect(line).to_have_text("optimizer.zero_grad()")


def test_teaching_switch_can_be_turned_off_from_the_status_bar(page: Page) -> None:
    start_lesson(page, "frozen-bias")
    wait_for_hash(page, "h.includes('frozen=linear.bias')")
    expect(page.get_by_test_id("switch-frozen")).to_contain_text("linear.bias")
    page.get_by_role("button", name="Unfreeze parameters").click()
    wait_for_hash(page, "!h.includes('frozen')")
    expect(page.get_by_test_id("switch-frozen")).to_have_count(0)
    # The lesson was about the frozen bias: it ended with it.
    expect(page.get_by_test_id("lesson-card")).to_have_count(0)


# ---------------------------------------------------------------- controls and links


def test_speed_stops_only_get_faster_with_full_batch(page: Page) -> None:
    slider = page.get_by_test_id("speed")
    stops = []
    for i in range(int(slider.get_attribute("max") or "0") + 1):
        slider.fill(str(i))
        stops.append(
            (slider.get_attribute("data-unit"), float(slider.get_attribute("data-rate") or 0))
        )
    # Full batch: an epoch is one iteration, so 10 epochs/s (slower than 30 iterations/s) is gone.
    assert ("epoch", 10.0) not in stops
    assert stops.index(("iteration", 30.0)) < stops.index(("epoch", 60.0))
    slider.fill("1")
    expect(slider).to_have_attribute("aria-valuetext", "1 phase/s")


def test_an_unknown_scenario_in_the_link_is_reported(page: Page) -> None:
    page.goto("/#scenario=nope")
    page.reload()
    page.locator("[data-testid=connection][data-state=open]").wait_for()
    toast = page.get_by_test_id("error").filter(has_text="unknown_scenario").first
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("does not have")
    # The page says so, and runs the scenario it had (linear) instead.
    wait_for_hash(page, "h.startsWith('#scenario=linear')")
