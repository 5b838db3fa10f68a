"""The Layers tab's "show all values": charlm's weight matrices travel as summaries; the page
asks for one in full and draws every value torch holds (checked against plain torch)."""

from __future__ import annotations

import pytest
import torch
from playwright.sync_api import Page, expect

from .conftest import save_screenshot
from .test_layers import open_layers_after_one_step

pytestmark = pytest.mark.e2e


def test_charlm_weight_shows_every_value_on_request(page: Page) -> None:
    open_layers_after_one_step(page, "charlm")
    bias = page.locator("[data-testid=layer-row][data-name='lm_head.bias']")
    expect(bias.get_by_test_id("layer-show-all")).to_have_count(0)  # its values come in full
    weight = page.locator("[data-testid=layer-row][data-name='lm_head.weight']")
    weight.get_by_test_id("layer-show-all").click()
    full = page.get_by_test_id("full-tensor")
    when = full.get_by_test_id("full-tensor-when")
    expect(when).to_have_attribute("data-iteration", "1")
    shape = torch.Size([1015, 32])  # vocabulary of poetry_zh × n_embd
    expect(when).to_have_attribute("data-count", str(shape.numel()))
    canvas = full.get_by_test_id("full-tensor-canvas")
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100
    canvas.hover(position={"x": 3, "y": 3})
    expect(full.get_by_test_id("full-tensor-cell")).to_contain_text("[0, 0] =")
    page.get_by_test_id("area-formulas").scroll_into_view_if_needed()
    save_screenshot(page, "layers-full-tensor-en")
    # Adam's first moment of the same matrix, then close
    full.get_by_test_id("full-tensor-kind").filter(has_text="exp_avg").first.click()
    expect(when).to_have_attribute("data-count", str(shape.numel()))
    page.get_by_test_id("lang-toggle").click()
    save_screenshot(page, "layers-full-tensor-zh")
    full.get_by_test_id("full-tensor-close").click()
    expect(page.get_by_test_id("full-tensor")).to_have_count(0)
