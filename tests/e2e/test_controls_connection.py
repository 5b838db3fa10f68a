"""A close that means "do not come back" (4013 here: evicted while idle to make room) leaves
the page closed with the reason and a Reconnect button; it does not reconnect by itself, so
two tabs on a full server do not evict each other in turn. Also: the speed survives a reload."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import save_screenshot, serving
from .helpers import open_page

pytestmark = pytest.mark.e2e

SERVER_CODE = """
import json, sys, torch, uvicorn
from loopscope.server.app import create_app
from loopscope.config import Settings
port = int(sys.argv[1])
torch.set_num_threads(1)
settings = Settings(host="127.0.0.1", port=port, device="cpu", torch_threads=1,
                    **json.loads(sys.argv[2]))
uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
"""


@pytest.fixture
def full_server() -> Iterator[str]:
    """A server with room for one connection, which evicts an idle one at once (one per
    test: a run parked by an earlier test would hold the one slot)."""
    overrides = json.dumps({"max_runs": 1, "evict_idle_after_s": 0, "resume_grace_s": 120})
    with serving(lambda port: ["-c", SERVER_CODE, str(port), overrides]) as url:
        yield url


def open_tab(browser: Browser, url: str, lang: str = "en") -> Page:
    return open_page(browser, None, f"{url}/#lang={lang}", size=(1280, 720))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_evicted_tab_says_why_and_waits_for_the_learner(
    browser: Browser, full_server: str, lang: str
) -> None:
    first = open_tab(browser, full_server, lang)
    second: Page | None = None
    try:
        expect(first.get_by_test_id("iteration")).to_have_attribute("data-value", "0")
        first.get_by_test_id("control-step-iteration").click()
        expect(first.get_by_test_id("phase")).to_have_attribute("data-phase", "step")
        weight = first.get_by_test_id("param-linear.weight").get_attribute("data-value")
        second = open_tab(browser, full_server)  # the server is full: the idle first goes
        reason = first.get_by_test_id("closed-reason")
        expect(reason).to_have_attribute("data-code", "4013")
        expect(first.get_by_test_id("connection")).to_have_attribute("data-state", "closed")
        first.wait_for_timeout(3000)  # a tab that came back by itself would evict the second
        expect(first.get_by_test_id("connection")).to_have_attribute("data-state", "closed")
        expect(second.get_by_test_id("connection")).to_have_attribute("data-state", "open")
        expect(second.get_by_test_id("closed-reason")).to_have_count(0)
        save_screenshot(first, f"72-controls-closed-for-good-{lang}")
        # The learner asks: this tab comes back with its own run (same numbers)...
        first.get_by_test_id("reconnect").click()
        expect(first.get_by_test_id("connection")).to_have_attribute("data-state", "open")
        expect(reason).to_have_count(0)
        expect(first.get_by_test_id("param-linear.weight")).to_have_attribute(
            "data-value", weight or ""
        )
        # ...and the other, idle now, is the one that makes room, and says so.
        expect(second.get_by_test_id("closed-reason")).to_have_attribute("data-code", "4013")
    finally:
        first.context.close()
        if second is not None:
            second.context.close()


def test_the_speed_survives_a_reload(browser: Browser, full_server: str) -> None:
    page = open_tab(browser, full_server)
    try:
        slider = page.get_by_test_id("speed")
        slider.focus()
        page.keyboard.press("End")
        rate = slider.get_attribute("data-rate")
        unit = slider.get_attribute("data-unit")
        assert (unit, rate) != ("phase", "2")  # not the default
        page.reload()
        page.locator("[data-testid=connection][data-state=open]").wait_for()
        expect(page.get_by_test_id("iteration")).to_have_attribute("data-value", "0")
        expect(slider).to_have_attribute("data-rate", rate or "")
        expect(slider).to_have_attribute("data-unit", unit or "")
    finally:
        page.context.close()
