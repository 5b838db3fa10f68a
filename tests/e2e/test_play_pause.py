"""Play runs the loop by itself; Pause stops it; the keyboard does the same."""

from __future__ import annotations

import json

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from .conftest import save_screenshot
from .helpers import current_phase, iteration, step_phase

pytestmark = pytest.mark.e2e


def test_play_advances_and_pause_stops(page: Page) -> None:
    page.get_by_role("button", name="Play", exact=True).click()
    pause = page.get_by_role("button", name="Pause", exact=True)
    expect(pause).to_be_visible()
    expect(page.get_by_test_id("phase")).not_to_have_attribute("data-phase", "")
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=iteration]').dataset.value) >= 1",
        timeout=15_000,
    )
    save_screenshot(page, "04-playing")
    pause.click()
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible()
    page.wait_for_timeout(600)  # a frame already on its way may still land
    settled = (iteration(page), current_phase(page))
    page.wait_for_timeout(1500)
    assert (iteration(page), current_phase(page)) == settled


def test_keyboard_shortcuts_and_help(page: Page) -> None:
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "forward")
    # Shift+→ runs the rest of the iteration: it ends on that iteration's step.
    page.keyboard.press("Shift+ArrowRight")
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "step")
    page.keyboard.press("Shift+ArrowRight")
    expect(page.get_by_test_id("iteration")).to_have_attribute("data-value", "1")
    page.keyboard.press("r")
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "")
    expect(page.get_by_test_id("iteration")).to_have_attribute("data-value", "0")
    page.keyboard.press(" ")
    expect(page.get_by_role("button", name="Pause", exact=True)).to_be_visible()
    page.keyboard.press(" ")
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible()
    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Shift + →")
    save_screenshot(page, "05-help")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()


def test_reset_gives_the_same_numbers(page: Page) -> None:
    for phase in ["forward", "loss", "zero_grad", "backward", "step"]:
        step_phase(page, phase)
    after = page.get_by_test_id("param-linear.weight").get_attribute("data-value")
    page.get_by_role("button", name="Reset", exact=True).click()
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "")
    expect(page.get_by_test_id("param-linear.weight")).to_have_attribute(
        "data-value", "[0.1446575]"
    )
    page.get_by_role("button", name="Step iteration", exact=True).click()
    expect(page.get_by_test_id("param-linear.weight")).to_have_attribute("data-value", after or "")


def test_reduced_motion_draws_end_states_at_once(page: Page) -> None:
    page.emulate_media(reduced_motion="reduce")
    for phase in ["forward", "loss", "zero_grad"]:
        step_phase(page, phase)
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "backward")
    # Read every node's state in the same frame the phase changed: nothing is still pending.
    states = page.locator("[data-testid=graph-node]").evaluate_all(
        "nodes => nodes.map(n => n.dataset.state)"
    )
    assert states and all(s == "done" for s in states), states


def test_formulas_catch_up_with_the_run_when_play_pauses(page: Page) -> None:
    """While playing, the formulas may trail the other panels by a frame; once paused they
    show the last step the server ran: its `after` is the weight the objects panel shows."""
    page.get_by_role("slider", name="Speed").fill("5")  # 30 phases/s
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=iteration]').dataset.value) >= 4",
        timeout=15_000,
    )
    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible()
    page.wait_for_timeout(600)  # a frame already on its way may still land
    shown = page.get_by_test_id("param-linear.weight").get_attribute("data-value")
    assert shown is not None
    (weight,) = json.loads(shown)
    update = page.get_by_test_id("formula-update-linear.weight")
    after = update.get_attribute("data-after")
    assert after is not None
    assert np.float32(after) == np.float32(weight)
    heading = page.get_by_test_id("formula-update").locator("h3")
    steps_done = iteration(page) + (1 if current_phase(page) == "step" else 0)
    expect(heading).to_contain_text(f"iteration {steps_done - 1}")
