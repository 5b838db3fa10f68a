"""One screen, overview first: at 1280×720 and larger, in English and Chinese, the five phases,
the parameters and the param_groups entries that point at them, the graph and the current
line of code are all in view without scrolling anything; at 900 px the page stacks and
nothing is wider than the window.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from .conftest import save_screenshot
from .helpers import PHASES, open_page, step_phase

pytestmark = pytest.mark.e2e

# True when the element's centre is on screen and the element itself (not a panel's
# scrolled-away part, the footer or another panel) is what the browser shows there.
IN_VIEW = """el => {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) return false;
  const x = r.left + r.width / 2, y = r.top + Math.min(r.height / 2, 8);
  if (x < 0 || y < 0 || x > innerWidth || y > innerHeight) return false;
  const hit = document.elementFromPoint(x, y);
  return hit !== null && (el === hit || el.contains(hit));
}"""


def assert_in_view(target: Locator, what: str) -> None:
    for i in range(target.count()):
        assert target.nth(i).evaluate(IN_VIEW), f"{what} #{i} is not in view"


def open_in(browser: Browser, url: str, width: int, height: int, lang: str) -> Page:
    path = "/" + ("#lang=zh" if lang == "zh" else "")
    return open_page(browser, url, path, size=(width, height), ready="param-linear.weight")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", [(1280, 720), (1440, 900), (1920, 1080)])
def test_the_overview_fits_one_screen(
    browser: Browser, server_url: str, size: tuple[int, int], lang: str
) -> None:
    page = open_in(browser, server_url, *size, lang)
    try:
        for phase in PHASES:
            step_phase(page, phase)
        page.wait_for_timeout(400)
        rows = page.locator("[data-phase-row]")
        expect(rows).to_have_count(5)
        assert_in_view(rows, "phase")
        # The notes' diagram: the set-up block, then the loop's forward and backward parts
        # and its "repeat until converged" return.
        assert_in_view(page.locator("#objects-title"), "initialisation block")
        parts = page.locator("[data-loop-part]")
        expect(parts).to_have_count(3)
        assert [parts.nth(i).get_attribute("data-loop-part") for i in range(3)] == [
            "forward",
            "backward",
            "repeat",
        ]
        assert_in_view(parts.locator(".glabel"), "loop part's name")
        assert_in_view(page.locator("[data-loop-part=repeat]"), "the loop's return")
        assert_in_view(page.locator("[data-testid^=param-linear]"), "parameter")
        assert_in_view(page.locator("[data-ref]"), "param_groups entry")
        assert_in_view(page.get_by_test_id("graph-svg"), "graph")
        current = page.locator("[data-testid=code-line][data-state=current]")
        expect(current).to_have_count(1)
        assert_in_view(current, "current line of code")
        # The page itself does not scroll.
        width, height = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        assert (width, height) == size
        save_screenshot(page, f"63-learner-screen-{size[0]}x{size[1]}-{lang}")
    finally:
        page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_at_900_px_the_panels_stack_and_nothing_is_clipped_sideways(
    browser: Browser, server_url: str, lang: str
) -> None:
    page = open_in(browser, server_url, 900, 1000, lang)
    try:
        for phase in PHASES:
            step_phase(page, phase)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 900
        objects = page.get_by_test_id("area-objects").bounding_box()
        graph = page.get_by_test_id("area-graph").bounding_box()
        assert objects is not None and graph is not None
        assert graph["y"] >= objects["y"] + objects["height"]  # stacked, not side by side
        for area in ("objects", "loop", "graph", "code"):
            box = page.get_by_test_id(f"area-{area}").bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 900
        save_screenshot(page, f"64-learner-screen-900-{lang}")
    finally:
        page.context.close()
