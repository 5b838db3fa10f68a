"""The page's words follow what the run did, in real Chromium, in English and Chinese.

At lr = 1.5 the first step throws the weight from 0.1447 to hundreds; the narration must not
call that "a little", the loss that follows rose, the next step overshot, and the landscape's
caption explains the zigzag instead of praising a small learning rate. A frozen bias is
named as not moved; after "Continue from here" the page says where the run stands.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import save_screenshot
from .helpers import PHASES, restart_with, step_iteration, step_phase, values

pytestmark = pytest.mark.e2e


def kinds(page: Page) -> list[str]:
    """The narration's sentence kinds now shown (data-kinds)."""
    return (page.get_by_test_id("narration").get_attribute("data-kinds") or "").split()


def wait_for_kind(page: Page, kind: str) -> None:
    expect(page.get_by_test_id("narration")).to_have_attribute(
        "data-kinds", re.compile(rf"(^| ){re.escape(kind)}( |$)")
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_too_large_learning_rate_is_called_what_it_is(page: Page, lang: str) -> None:
    restart_with(page, "sgd", "1.5")
    if lang == "zh":
        page.get_by_test_id("lang-toggle").click()
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    for phase in PHASES:
        step_phase(page, phase)
    before, after = 0.1446575, values(page, "param-linear.weight")
    assert after is not None and isinstance(after[0], float) and abs(after[0]) > 10 * before
    wait_for_kind(page, "step.far")
    assert "step.sgd" in kinds(page)
    narration = page.get_by_test_id("narration").inner_text()
    if lang == "en":
        assert "a little" not in narration and "more than weight's own size" in narration
    else:
        assert "超过了 weight 本身的大小" in narration
    # The next iteration: the loss rose, and the step went past the minimum.
    for phase in PHASES[:2]:
        step_phase(page, phase)
    wait_for_kind(page, "loss.rose")
    for phase in PHASES[2:]:
        step_phase(page, phase)
    wait_for_kind(page, "step.overshoot")
    assert "step.sgd" not in kinds(page)
    # The landscape's caption no longer says the learning rate is small enough.
    page.get_by_test_id("control-step-iteration").click()
    expect(page.get_by_test_id("iteration")).to_have_attribute("data-value", "2")
    valley = page.get_by_test_id("landscape-valley")
    expect(valley).to_have_attribute("data-kind", "diverging")
    if lang == "en":
        expect(valley).not_to_contain_text("small enough")
        expect(valley).to_contain_text("too big for this valley")
    page.wait_for_timeout(300)
    save_screenshot(page, f"60-learner-overshoot-{lang}")


def test_a_frozen_bias_is_named_as_left_alone(page: Page) -> None:
    page.get_by_test_id("lessons-button").click()
    page.get_by_test_id("lesson-frozen-bias").click()
    page.wait_for_function("() => location.hash.includes('frozen=linear.bias')")
    for phase in PHASES:
        step_phase(page, phase)
    wait_for_kind(page, "step.frozen")
    narration = page.get_by_test_id("narration")
    expect(narration).to_contain_text("bias: frozen (requires_grad=False)")
    expect(narration).not_to_contain_text("each parameter")


def test_after_continue_from_here_the_page_says_where_the_run_stands(page: Page) -> None:
    for phase in PHASES:  # phase by phase, so the page holds this model's graph
        step_phase(page, phase)
    for _ in range(2):
        step_iteration(page)
    page.get_by_role("button", name="Back one frame").click()
    page.get_by_role("button", name="Continue from here").click()
    expect(page.get_by_test_id("timeline")).to_have_attribute("data-viewing", "false")
    wait_for_kind(page, "resumed")
    narration = page.get_by_test_id("narration")
    expect(narration).to_contain_text("Iteration 2 (epoch")
    expect(narration).to_contain_text("before forward")
    expect(narration).to_contain_text("still the one built in iteration 1")
    expect(narration).not_to_contain_text("Nothing has run yet")
    expect(page.get_by_test_id("graph-caption")).not_to_contain_text("Nothing has run yet")
    save_screenshot(page, "61-learner-after-branch")
    # Reset: back at the start, the old graph called old.
    page.get_by_role("button", name="Reset").click()
    expect(page.get_by_test_id("iteration")).to_have_attribute("data-value", "0")
    wait_for_kind(page, "idle")
    assert "resumed" not in kinds(page)
