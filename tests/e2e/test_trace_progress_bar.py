"""`loopscope trace` on a script that redraws a progress bar with `\\r` (as tqdm does, on
stderr), in Chromium: the console shows the bar's latest state in one line while it is
being drawn, and each finished bar as the terminal left it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser

from .conftest import save_screenshot
from .tracing import SCRIPTS, traced_page, wait_for

pytestmark = pytest.mark.e2e

BAR = re.compile(r"^train: +(\d+)%\|#* *\| (\d+)/10 \[loss=\d+\.\d+\]$")


def test_a_redrawn_bar_is_one_line_that_moves_while_the_script_runs(browser: Browser) -> None:
    # 0.15 s per batch: 3 s a bar, each redraw reaches the page on its own
    with traced_page(browser, SCRIPTS / "tqdm_style_bar.py", args=("-", "0.15")) as page:
        slider = page.get_by_test_id("speed")
        slider.fill(slider.get_attribute("max") or "0")
        page.get_by_role("button", name="Play", exact=True).click()
        stderr = page.locator("[data-testid=console-line][data-stream=stderr] .text")
        seen: set[int] = set()

        def bar_moved() -> bool:
            texts = stderr.all_inner_texts()
            if len(texts) == 1 and (match := BAR.match(texts[0].strip())):
                seen.add(int(match.group(2)))
            return len(seen) >= 3

        wait_for(page, bar_moved, "the first bar drawn at three states")
        # ... all while the first epoch ran: nothing on stdout yet, one stderr line
        assert page.get_by_test_id("end-banner").count() == 0
        assert sorted(seen)[0] < 10
        save_screenshot(page, "trace-progress-bar-drawing")
        page.get_by_test_id("end-banner").wait_for(timeout=60_000)
        texts = [t.strip() for t in stderr.all_inner_texts()]
        assert len(texts) == 2 and all(BAR.match(t) for t in texts)
        assert all(t.endswith("]") and " 10/10 " in t for t in texts)
        stdout = page.locator("[data-testid=console-line][data-stream=stdout] .text")
        assert [t.strip() for t in stdout.all_inner_texts()] == ["epoch 0 done", "epoch 1 done"]
        save_screenshot(page, "trace-progress-bar-done")
