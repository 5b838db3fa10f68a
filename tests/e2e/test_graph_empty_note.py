"""What the graph panel says while it has no graph: on the live run, that Step builds one;
on a scrubbed frame before the loss, that this frame comes before it (Step is not what is
missing there); on a traced script that ended without a loss, that none was captured."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import save_screenshot
from .helpers import step_phase
from .tracing import SCRIPTS, traced_page

pytestmark = pytest.mark.e2e


def test_live_and_scrubbed_frames_say_what_is_missing(page: Page) -> None:
    note = page.get_by_test_id("graph-empty")
    expect(note).to_have_text(
        "The graph appears once the loss has been computed (press Step twice)."
    )
    step_phase(page, "forward")
    step_phase(page, "loss")  # the graph is drawn
    expect(note).to_have_count(0)
    back = page.get_by_role("button", name="Back one frame")
    back.click()
    back.click()  # the frame before forward
    expect(page.get_by_test_id("timeline")).to_have_attribute("data-viewing", "true")
    expect(note).to_have_text(
        "This frame comes before its iteration's loss was computed, so it has no graph yet."
    )
    save_screenshot(page, "graph-empty-frame-en")


def test_an_ended_script_without_a_loss_says_none_was_captured(browser: Browser) -> None:
    with traced_page(browser, SCRIPTS / "func_grad_training.py") as page:
        slider = page.get_by_test_id("speed")
        slider.fill(slider.get_attribute("max") or "0")
        page.get_by_test_id("control-play").click()
        banner = page.get_by_test_id("end-banner")
        expect(banner).to_have_attribute("data-status", "finished", timeout=120_000)
        expect(page.get_by_test_id("graph-empty")).to_have_text(
            "The script has ended and no loss was captured, so there is no graph."
        )
        expect(page.get_by_test_id("control-step")).to_be_disabled()
        expect(page.get_by_test_id("first-hint")).to_have_count(0)  # "press Step" would mislead
        save_screenshot(page, "graph-empty-ended-en")
