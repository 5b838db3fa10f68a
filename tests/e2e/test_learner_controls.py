"""Controls a learner expects, in real Chromium: a first-visit hint, Space wherever focus is
(the speed slider too), Lessons not dressed as a warning, and a reload that resumes the run.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .conftest import save_screenshot
from .helpers import iteration, step_iteration, step_phase, values

pytestmark = pytest.mark.e2e


def test_first_visit_hint_says_what_to_press_and_goes_once_used(page: Page) -> None:
    hint = page.get_by_test_id("first-hint")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("Step")
    save_screenshot(page, "62-learner-first-hint")
    step_phase(page, "forward")
    expect(hint).to_have_count(0)
    page.reload()
    page.locator("[data-testid=connection][data-state=open]").wait_for()
    expect(page.get_by_test_id("first-hint")).to_have_count(0)


def test_space_plays_and_pauses_after_using_the_speed_slider(page: Page) -> None:
    controls = page.get_by_test_id("controls")
    slider = page.get_by_test_id("speed")
    slider.focus()
    page.keyboard.press("ArrowRight")  # the slider keeps its arrows: the speed changed
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "")
    page.keyboard.press("Space")
    expect(controls).not_to_have_attribute("data-play-state", "paused")
    page.keyboard.press("Space")
    expect(controls).to_have_attribute("data-play-state", "paused")


def test_lessons_is_not_labelled_as_a_warning(page: Page) -> None:
    button = page.get_by_test_id("lessons-button")
    expect(button).to_contain_text("Lessons")
    expect(button).not_to_contain_text("⚠")


def test_reloading_the_page_resumes_the_same_run(page: Page) -> None:
    for _ in range(3):
        step_iteration(page)
    weight = values(page, "param-linear.weight")
    assert iteration(page) == 2
    page.reload()
    page.locator("[data-testid=connection][data-state=open]").wait_for()
    expect(page.get_by_test_id("iteration")).to_have_attribute("data-value", "3")
    assert values(page, "param-linear.weight") == weight
    # The run goes on from there: the next iteration is the fourth, not the first again.
    step_iteration(page)
    expect(page.get_by_test_id("iteration")).to_have_attribute("data-value", "3")
    assert values(page, "param-linear.weight") != weight
