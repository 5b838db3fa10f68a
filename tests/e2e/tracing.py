"""A real `loopscope trace --no-open` server on a test script, and a Chromium page on it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from .conftest import ROOT, serving

SCRIPTS = ROOT / "tests" / "trace" / "scripts"
# A traced script's child starts torch: slower than the built-in server under load.
START_TIMEOUT_S = 90.0


@contextmanager
def traced_server(script: Path, args: tuple[str, ...] = ()) -> Iterator[str]:
    """`loopscope trace --no-open --port P script -- args` in a subprocess; yields its base
    URL."""
    command = ["-m", "loopscope.cli", "trace", "--no-open"]
    after = ("--", *args) if args else ()
    with serving(
        lambda port: [*command, "--port", str(port), str(script), *after],
        timeout=START_TIMEOUT_S,
        quiet=True,
    ) as url:
        yield url


@contextmanager
def traced_page(
    browser: Browser,
    script: Path,
    lang: str = "en",
    size: tuple[int, int] = (1440, 900),
    args: tuple[str, ...] = (),
) -> Iterator[Page]:
    """A page on a traced script, once the script's session arrived; fails on console errors."""
    with traced_server(script, args) as url:
        context = browser.new_context(
            viewport={"width": size[0], "height": size[1]}, locale="en-US", base_url=url
        )
        context.set_default_timeout(60_000)
        page = context.new_page()
        problems: list[str] = []

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                problems.append(f"console error: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.goto("/#lang=zh" if lang == "zh" else "/")
        page.locator("[data-testid=connection][data-state=open]").wait_for()
        # the script's own source: its session has arrived
        page.get_by_test_id("code-line").first.wait_for()
        try:
            yield page
        finally:
            context.close()
        assert not problems, "\n".join(problems)


def step_phase(page: Page, expected: str) -> None:
    """Press Step and wait until the page shows `expected` as the phase that ran (the first
    waits for the script's child to start torch: longer than a built-in run's)."""
    page.get_by_test_id("control-step").click()
    expect(page.get_by_test_id("phase")).to_have_attribute(
        "data-phase", expected, timeout=START_TIMEOUT_S * 1000
    )


def frames(page: Page) -> int:
    """How many frames the timeline holds."""
    return int(page.get_by_test_id("timeline").get_attribute("data-count") or "0")


def wait_for(page: Page, test: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    """Poll `test` until it holds (the page's state comes from a server it cannot see)."""
    deadline = time.monotonic() + timeout_s
    while not test():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        page.wait_for_timeout(100)
