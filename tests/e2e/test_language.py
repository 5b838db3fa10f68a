"""The language toggle switches every label, and the choice survives a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import save_screenshot
from .helpers import PHASES, step_phase

pytestmark = pytest.mark.e2e


def test_toggle_changes_labels_and_is_remembered(page: Page) -> None:
    step = page.get_by_test_id("control-step")
    expect(step).to_contain_text("Step")
    expect(page.get_by_role("button", name="Step", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Training loop")).to_be_visible()
    page.get_by_test_id("lang-toggle").click()
    # The visible words and the accessible names (what a screen reader says) both change.
    expect(step).to_contain_text("单步")
    expect(page.get_by_role("button", name="单步", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Step", exact=True)).to_have_count(0)
    expect(page.get_by_role("heading", name="训练循环")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    for phase in PHASES:
        step_phase(page, phase)
    page.wait_for_timeout(1200)
    save_screenshot(page, "10-chinese")
    page.reload()
    page.locator("[data-testid=connection][data-state=open]").wait_for()
    expect(page.get_by_role("heading", name="训练循环")).to_be_visible()
    page.get_by_test_id("lang-toggle").click()
    expect(page.get_by_role("heading", name="Training loop")).to_be_visible()


def test_default_follows_the_browser_language(browser: Browser, server_url: str) -> None:
    context = browser.new_context(locale="zh-CN", base_url=server_url)
    try:
        page = context.new_page()
        page.goto("/")
        expect(page.get_by_role("heading", name="训练循环")).to_be_visible()
        expect(page.get_by_role("button", name="单步", exact=True)).to_be_visible()
    finally:
        context.close()
