"""Small page actions shared by the journeys (by role and test id only)."""

from __future__ import annotations

import json
from collections.abc import Callable

from playwright.sync_api import Browser, Page, WebSocket, expect

PHASES = ["forward", "loss", "zero_grad", "backward", "step"]


def current_phase(page: Page) -> str:
    """The phase the status bar says ran last ("" before any)."""
    return page.get_by_test_id("phase").get_attribute("data-phase") or ""


def step_phase(page: Page, expected: str) -> None:
    """Press Step and wait until the page shows `expected` as the phase that ran."""
    page.get_by_test_id("control-step").click()
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", expected)


def values(page: Page, testid: str) -> list[float | str] | None:
    """The exact values a param-/grad- box carries in data-value (JSON as received)."""
    raw = page.get_by_test_id(testid).get_attribute("data-value")
    assert raw is not None, f"{testid} has no data-value"
    parsed: list[float | str] | None = json.loads(raw)
    return parsed


def iteration(page: Page) -> int:
    """The iteration number shown in the status bar."""
    return int(page.get_by_test_id("iteration").get_attribute("data-value") or "0")


def restart_with(page: Page, optimizer: str, lr: str) -> None:
    """Restart the run from the settings form with this optimizer and learning rate."""
    page.get_by_role("button", name="Run settings").click()
    form = page.get_by_test_id("config-form")
    form.locator("select[name=optimizer]").select_option(optimizer)
    page.get_by_label("Learning rate").fill(lr)
    page.get_by_role("button", name="Restart with these settings").click()
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "")


def frame_count(page: Page) -> int:
    """How many frames the timeline holds."""
    return int(page.get_by_test_id("timeline").get_attribute("data-count") or "0")


def step_iteration(page: Page) -> None:
    """Press Step iteration and wait for its one frame."""
    before = frame_count(page)
    page.get_by_role("button", name="Step iteration", exact=True).click()
    expect(page.get_by_test_id("timeline")).to_have_attribute("data-count", str(before + 1))


def open_page(
    browser: Browser,
    server_url: str | None,
    path: str = "/",
    *,
    size: tuple[int, int] = (1440, 900),
    ready: str | None = None,
    on_websocket: Callable[[WebSocket], None] | None = None,
) -> Page:
    """A new English page in its own browser context at `path` (relative to `server_url`, or
    a whole URL when it is None), once its socket is open and, when given, the test id
    `ready` is on the page. Fails on an uncaught page error during the load. The caller
    closes `page.context`."""
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]}, locale="en-US", base_url=server_url
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    if on_websocket is not None:
        page.on("websocket", on_websocket)
    page.goto(path)
    page.locator("[data-testid=connection][data-state=open]").wait_for()
    if ready is not None:
        page.get_by_test_id(ready).wait_for()
    assert not errors, errors
    return page
