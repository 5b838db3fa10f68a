"""The notes' worked examples, live: torch's results next to the notes' arithmetic, with the
learner's own numbers, in real Chromium (English and Chinese).
"""

from __future__ import annotations

import pytest
import torch
from playwright.sync_api import Page, expect

from .conftest import save_screenshot

pytestmark = pytest.mark.e2e


def open_notes(page: Page) -> None:
    page.get_by_test_id("explain-tab-math").click()
    details = page.locator("details.notes")
    details.locator("summary").click()
    expect(page.get_by_test_id("notes-live")).to_be_visible()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_notes_examples_run_in_torch(page: Page, lang: str) -> None:
    if lang == "zh":
        page.get_by_test_id("lang-toggle").click()
    open_notes(page)
    page.get_by_test_id("notes-run").click()
    sgd = page.get_by_test_id("notes-sgd")
    expect(sgd).to_be_visible()
    # torch's float32 step, 1.5 - 0.01 * (-0.8), is the notes' 1.508 rounded to float32.
    assert torch.tensor(float(sgd.get_attribute("data-after") or "nan")) == torch.tensor(1.508)
    mse = float(page.get_by_test_id("notes-mse").get_attribute("data-loss") or "nan")
    oracle = torch.nn.MSELoss()(torch.tensor([2.0, 4.0, 6.0]), torch.tensor([1.8, 4.2, 5.5]))
    assert torch.tensor(mse) == oracle
    expect(page.get_by_test_id("notes-mse")).to_contain_text("0.11")
    expect(page.get_by_test_id("notes-zero-grad")).to_contain_text("None")
    expect(page.get_by_test_id("notes-state-dict")).to_contain_text("0.01")
    page.get_by_test_id("notes-live").scroll_into_view_if_needed()
    save_screenshot(page, f"65-learner-notes-{lang}")


def test_the_learners_numbers_and_a_refusal(page: Page) -> None:
    open_notes(page)
    live = page.get_by_test_id("notes-live")
    live.locator("input[name=w]").fill("2")
    live.locator("input[name=grad]").fill("4")
    live.locator("input[name=lr]").fill("0.25")
    page.get_by_test_id("notes-run").click()
    expect(page.get_by_test_id("notes-sgd")).to_have_attribute("data-after", "1")
    live.locator("input[name=lr]").fill("50")
    page.get_by_test_id("notes-run").click()
    expect(page.get_by_test_id("notes-error")).to_contain_text("lr")
