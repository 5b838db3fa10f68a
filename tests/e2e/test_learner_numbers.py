"""One value, one format: the same number at the same moment reads the same in every panel;
and the long numbers (id(), data_ptr()) fit their boxes at 1280×720 and at 900 px.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import save_screenshot
from .helpers import open_page, step_phase

pytestmark = pytest.mark.e2e

MINUS = "\u2212"


def hover_text(page: Page, symbol: str) -> str:
    page.locator(f".tok.live[data-symbol='{symbol}']").first.hover()
    hover = page.get_by_test_id("code-hover")
    expect(hover).to_have_attribute("data-symbol", symbol)
    return hover.inner_text()


def renderings(text: str, digits: str) -> set[str]:
    """Every way `text` writes the number whose leading digits are `digits` (sign included)."""
    pattern = rf"[-{MINUS}]?\(?[-{MINUS}]?{re.escape(digits)}\d*"
    return {m.replace("(", "") for m in re.findall(pattern, text)}


def test_a_parameters_grad_reads_the_same_in_every_panel(page: Page) -> None:
    for phase in ["forward", "loss", "zero_grad", "backward"]:
        step_phase(page, phase)
    # backward's animation has written every .grad, and the graph shows the weight's.
    expect(page.get_by_test_id("grad-linear.weight")).not_to_contain_text("None")
    expect(
        page.locator(
            "[data-testid=graph-node][data-node-id='AccumulateGrad:linear.weight'] text.val"
        )
    ).to_contain_text(".grad =")
    shown = page.get_by_test_id("grad-linear.weight").inner_text().split()[-1]
    assert re.fullmatch(rf"{MINUS}\d+\.\d{{4}}", shown), shown  # the stated rule: 4 decimals
    head = shown.lstrip(MINUS).split(".")[0] + "."
    texts = {
        "narration": page.get_by_test_id("narration").inner_text(),
        "graph": page.locator(
            "[data-testid=graph-node][data-node-id='AccumulateGrad:linear.weight'] text.val"
        ).text_content()
        or "",
        # KaTeX's visible layer (its MathML copy holds the same digits again).
        "formula": "".join(
            page.get_by_test_id("formula-chain-linear.weight")
            .locator(".katex-html")
            .all_inner_texts()
        ),
        "tooltip": hover_text(page, "self.linear"),
    }
    for panel, text in texts.items():
        flat = re.sub(r"[\s\u200b]", "", text)
        assert shown in flat, (panel, shown, text)
        # ...and no other rounding of the same value anywhere in that panel.
        assert renderings(flat, head) == {shown}, (panel, renderings(flat, head), text)


def test_the_loss_reads_the_same_in_every_panel(page: Page) -> None:
    step_phase(page, "forward")
    step_phase(page, "loss")
    shown = page.get_by_test_id("loss").inner_text()
    head = shown.split(".")[0] + "."
    texts = {
        "loop": page.locator("[data-phase-row=loss]").inner_text(),
        "narration": page.get_by_test_id("narration").inner_text(),
        "chart": page.get_by_test_id("loss-latest").inner_text(),
        "graph": page.locator(
            "[data-testid=graph-node][data-node-id=MseLossBackward0] text.val"
        ).text_content()
        or "",
        "tooltip": hover_text(page, "loss"),
    }
    for panel, text in texts.items():
        assert shown in text, (panel, shown, text)
        assert renderings(text, head) == {shown}, (panel, text)
    save_screenshot(page, "77-one-value-one-format")


@pytest.mark.parametrize("size", [(1280, 720), (900, 1000)])
def test_id_and_data_ptr_fit_their_boxes(
    browser: Browser, server_url: str, size: tuple[int, int]
) -> None:
    page = open_page(browser, server_url, size=size, ready="param-linear.weight")
    try:
        for phase in ["forward", "loss", "zero_grad", "backward", "step"]:
            step_phase(page, phase)
        page.get_by_test_id("explain-tab-refs").click()
        box = page.locator("[data-testid^=ref-box-]").first
        expect(box).to_be_visible()
        # Nothing inside the box is wider than its column, nor the box than the panel.
        overflowing = box.evaluate(
            """box => [box, ...box.querySelectorAll('td, th, .num')]
              .filter(el => el.scrollWidth > el.clientWidth + 0.5)
              .map(el => el.outerHTML.slice(0, 80))"""
        )
        assert overflowing == []
        for what, attr in (("id", "data-id"), ("data-ptr", "data-data-ptr")):
            number = box.get_by_test_id(f"ref-{what}")
            full = box.get_attribute(attr) or ""
            assert len(full) > 9
            # Cut in the middle, both ends kept; the whole number on hover and focus.
            text = number.inner_text()
            assert text == f"{full[:4]}…{full[-4:]}", (text, full)
            assert number.get_attribute("data-full") == full
            assert number.get_attribute("title") == full
            number.focus()
            after = number.evaluate("el => getComputedStyle(el, '::after').content")
            assert after == f'"{full}"', after
        panel = page.get_by_test_id("reference-proof")
        assert panel.evaluate("el => el.scrollWidth <= el.clientWidth + 0.5")
        save_screenshot(page, f"78-ref-numbers-fit-{size[0]}")
    finally:
        page.context.close()
