"""`loopscope trace` in Chromium on scripts the tracer can only partly see: a notebook
export that calls `get_ipython()` (fails as Python does, and the page says why, in
Chinese here), and a `torch.compile`d model (shown as the module it wraps)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from .conftest import save_screenshot
from .tracing import SCRIPTS, step_phase, traced_page

pytestmark = pytest.mark.e2e


def test_a_notebook_export_says_why_it_failed(browser: Browser) -> None:
    with traced_page(browser, SCRIPTS / "notebook_magic.py", lang="zh") as page:
        banner = page.get_by_test_id("end-banner")
        banner.wait_for(timeout=120_000)
        expect(banner).to_have_attribute("data-status", "failed")
        expect(page.get_by_test_id("end-exception")).to_have_text(
            "NameError: name 'get_ipython' is not defined"
        )
        notice = page.locator("[data-testid=trace-notice][data-code=notebook_only]")
        expect(notice).to_contain_text("只有 Jupyter 才提供的函数")
        expect(notice).to_contain_text("get_ipython() exists only inside IPython/Jupyter")
        save_screenshot(page, "trace-notebook-zh")


def test_a_compiled_model_is_shown_as_the_module_it_wraps(browser: Browser) -> None:
    with traced_page(browser, SCRIPTS / "compiled_model.py") as page:
        step_phase(page, "zero_grad")
        step_phase(page, "forward")
        notice = page.locator("[data-testid=trace-notice][data-code=compiled_module]")
        expect(notice).to_contain_text("compiled with torch.compile")
        expect(notice).not_to_contain_text("break its compiled graph")  # no detail shown
        save_screenshot(page, "trace-compiled-en")
