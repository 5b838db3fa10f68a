"""`loopscope trace` on scripts that never call backward(), in Chromium: the page names why
it shows no backward, update or iteration (gradients from torch.autograd.grad, from
torch.func), steps what it can, and ends with the script's whole output."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from .conftest import save_screenshot
from .test_trace_scripts import phase, plain_output, play_to_end, step_once
from .tracing import SCRIPTS, traced_page

pytestmark = pytest.mark.e2e


def test_autograd_grad_training_says_what_is_not_shown(browser: Browser) -> None:
    with traced_page(browser, SCRIPTS / "autograd_grad_sgd.py") as page:
        seen = []
        for _ in range(3):
            step_once(page)
            seen.append(phase(page))
        assert seen == ["forward", "loss", "forward"], seen
        # said as soon as the first torch.autograd.grad ran, not only at the end
        notice = page.locator("[data-testid=trace-notice][data-code=grad_without_backward]")
        expect(notice).to_contain_text("takes its gradients from torch.autograd.grad")
        banner = play_to_end(page)
        expect(banner).to_have_attribute("data-status", "finished")
        expect(page.get_by_test_id("end-no-step")).to_have_text("No training step was seen.")
        ending = page.locator("[data-testid=trace-notice][data-code=no_training_step]")
        expect(ending).to_contain_text("no backward() and no optimizer.step() were seen")
        lines = page.get_by_test_id("console-line")
        expect(lines).to_have_count(len(plain_output("autograd_grad_sgd.py")))
        save_screenshot(page, "trace-autograd-grad-en")


def test_torch_func_training_is_named_in_chinese(browser: Browser) -> None:
    with traced_page(browser, SCRIPTS / "func_grad_training.py", lang="zh") as page:
        slider = page.get_by_test_id("speed")
        slider.fill(slider.get_attribute("max") or "0")
        page.get_by_test_id("control-play").click()  # (the Chinese page names it otherwise)
        banner = page.get_by_test_id("end-banner")
        expect(banner).to_have_attribute("data-status", "finished", timeout=120_000)
        notice = page.locator("[data-testid=trace-notice][data-code=func_transform]")
        expect(notice).to_contain_text("torch.func 的变换")
        expect(page.get_by_test_id("console-line")).to_have_count(
            len(plain_output("func_grad_training.py"))
        )
        save_screenshot(page, "trace-func-grad-zh")
