"""The autograd graph is drawn at a readable size in every scenario (1440x900 window).

For `linear` at its default zoom every node's name is at least 12 px on screen with WCAG AA
contrast at 1280×720, 1440×900 and 1920×1080, and the data nodes carry the shape of the
batch that entered the forward, not the dataset's.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, FloatRect, Page, expect

from .conftest import save_screenshot
from .helpers import PHASES, open_page, step_phase

pytestmark = pytest.mark.e2e

# Node names are 11.5 px text; the view never shrinks them below 0.75 of that.
MIN_LABEL_PX = 9.0

LABEL_HEIGHTS = "nodes => nodes.map(n => n.querySelector('text.op').getBoundingClientRect().height)"

# The node the engine ran last (the highest order badge) lies inside the graph's view.
LAST_RUN_IN_VIEW = """() => {
  const svg = document.querySelector('[data-testid=graph-svg]').getBoundingClientRect();
  let last = null, best = -1;
  for (const node of document.querySelectorAll('[data-testid=graph-node]')) {
    const badge = node.querySelector('.badge:not(.off) text');
    if (badge && Number(badge.textContent) > best) {
      best = Number(badge.textContent);
      last = node.querySelector('rect').getBoundingClientRect();
    }
  }
  return !!last && last.left >= svg.left && last.right <= svg.right
    && last.top >= svg.top && last.bottom <= svg.bottom;
}"""


def label_heights(page: Page) -> list[float]:
    """On-screen heights (px) of every graph node's op name."""
    heights: list[float] = page.get_by_test_id("graph-node").evaluate_all(LABEL_HEIGHTS)
    return heights


def show_graph(page: Page, scenario: str, nodes: int) -> None:
    """Switch to `scenario` and step to the loss phase, when its graph first appears."""
    if scenario != "linear":
        page.get_by_test_id("scenario-select").select_option(scenario)
        expect(page.get_by_test_id("param-layers.0.weight")).to_be_attached()
    step_phase(page, "forward")
    step_phase(page, "loss")
    expect(page.get_by_test_id("graph-node")).to_have_count(nodes)


@pytest.mark.parametrize(("scenario", "nodes"), [("mlp", 15), ("classify", 16)])
def test_deep_graphs_are_drawn_readable(page: Page, scenario: str, nodes: int) -> None:
    show_graph(page, scenario, nodes)
    heights = label_heights(page)
    assert len(heights) == nodes
    assert min(heights) >= MIN_LABEL_PX, heights
    # Too big for the panel at that size: part of it shows, and the legend says so.
    expect(page.get_by_test_id("graph-svg")).to_have_attribute("data-partial", "true")
    step_phase(page, "zero_grad")
    step_phase(page, "backward")
    expect(page.locator("[data-testid=graph-node][data-state=done]")).to_have_count(nodes)
    assert min(label_heights(page)) >= MIN_LABEL_PX
    # The view followed backward to the last node the engine ran.
    page.wait_for_function(LAST_RUN_IN_VIEW)
    save_screenshot(page, f"graph-readable-{scenario}")

    # Zoomed out by the learner, "Fit" brings the readable view back.
    page.get_by_test_id("graph-svg").hover()
    for _ in range(4):
        page.mouse.wheel(0, 400)
    page.wait_for_function(
        f"() => [...document.querySelectorAll('[data-testid=graph-node] text.op')]"
        f".every(t => t.getBoundingClientRect().height < {MIN_LABEL_PX})"
    )
    page.get_by_test_id("graph-fit").click()
    page.wait_for_function(
        f"() => [...document.querySelectorAll('[data-testid=graph-node] text.op')]"
        f".every(t => t.getBoundingClientRect().height >= {MIN_LABEL_PX})"
    )


def test_linear_graph_keeps_the_loss_below_the_parameters(page: Page) -> None:
    show_graph(page, "linear", 5)
    expect(page.get_by_test_id("graph-svg")).to_have_attribute("data-rankdir", "BT")
    expect(page.get_by_test_id("graph-svg")).to_have_attribute("data-partial", "false")
    assert min(label_heights(page)) >= MIN_LABEL_PX

    def box(node_id: str) -> FloatRect:
        found = page.locator(f"[data-testid=graph-node][data-node-id='{node_id}'] > rect").first
        rect = found.bounding_box()
        assert rect is not None, node_id
        return rect

    loss = box("MseLossBackward0")
    for param in ["AccumulateGrad:linear.weight", "AccumulateGrad:linear.bias"]:
        leaf = box(param)
        assert loss["y"] >= leaf["y"] + leaf["height"], (param, leaf, loss)
    save_screenshot(page, "graph-readable-linear")


# ---------------------------------------------------------------- linear at the default zoom

# Each op name's on-screen font size (CSS px × the view's zoom), its own colour composited
# over the node's box (fill-opacity and every enclosing opacity), and the box's colour.
OP_TEXT = """nodes => nodes.map(n => {
  const t = n.querySelector('text.op');
  const rect = n.querySelector(':scope > rect');
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  let alpha = Number(getComputedStyle(t).fillOpacity);
  for (let e = t.parentElement; e && e.tagName !== 'svg'; e = e.parentElement)
    alpha *= Number(getComputedStyle(e).opacity);
  return {
    id: n.dataset.nodeId,
    px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a,
    ink: rgb(getComputedStyle(t).fill),
    alpha,
    paper: rgb(getComputedStyle(rect).fill),
  };
})"""


def luminance(rgb: list[float]) -> float:
    """WCAG relative luminance of an sRGB colour (0–255 channels)."""

    def channel(v: float) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(ink: list[float], alpha: float, paper: list[float]) -> float:
    """WCAG contrast ratio of `ink` drawn at `alpha` over `paper`."""
    shown = [alpha * i + (1 - alpha) * p for i, p in zip(ink, paper, strict=True)]
    hi, lo = sorted([luminance(shown), luminance(paper)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("size", [(1280, 720), (1440, 900), (1920, 1080)])
def test_linear_names_are_12px_and_aa_contrast_at_the_default_zoom(
    browser: Browser, server_url: str, size: tuple[int, int]
) -> None:
    page = open_page(browser, server_url, size=size, ready="param-linear.weight")
    try:
        for phase in PHASES:
            step_phase(page, phase)
            if phase in ("forward", "zero_grad"):
                continue
            page.wait_for_timeout(700)  # the phase's animation ends (nodes fully drawn)
            nodes = page.locator("[data-testid=graph-node], [data-testid=graph-data]")
            found = nodes.evaluate_all(OP_TEXT)
            assert len(found) == 7  # five autograd nodes, x and y
            for node in found:
                assert node["px"] >= 12, (phase, node)
                ratio = contrast(node["ink"], node["alpha"], node["paper"])
                assert ratio >= 4.5, (phase, node, ratio)
        save_screenshot(page, f"75-graph-readable-linear-{size[0]}x{size[1]}")
    finally:
        page.context.close()


# ---------------------------------------------------------------- the batch's shape


def data_labels(page: Page) -> list[str]:
    return [
        " ".join((t or "").split())
        for t in page.get_by_test_id("graph-data").evaluate_all(
            "nodes => nodes.map(n => [...n.querySelectorAll('text')].map(t => t.textContent)"
            ".join(' '))"
        )
    ]


def test_data_nodes_carry_the_batch_shape_not_the_datasets(page: Page) -> None:
    step_phase(page, "forward")
    step_phase(page, "loss")
    expect(page.get_by_test_id("graph-data")).to_have_count(2)
    assert data_labels(page) == ["x (100, 1)", "y (100, 1)"]
    # Mini-batches of 10: the graph of the old batch size goes, the new one says (10, 1).
    page.get_by_role("button", name="Run settings").click()
    page.get_by_test_id("config-form").locator("input[name=batch_size]").fill("10")
    page.get_by_role("button", name="Restart with these settings").click()
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "")
    expect(page.get_by_test_id("graph-data")).to_have_count(0)
    step_phase(page, "forward")
    expect(page.get_by_test_id("graph-data")).to_have_count(0)  # no graph until loss
    step_phase(page, "loss")
    expect(page.get_by_test_id("graph-data")).to_have_count(2)
    assert data_labels(page) == ["x (10, 1)", "y (10, 1)"]
    save_screenshot(page, "76-graph-batch-shape")
