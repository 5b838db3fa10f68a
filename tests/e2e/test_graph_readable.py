"""The autograd graph is drawn at a readable size in every scenario (1440x900 window)."""

from __future__ import annotations

import pytest
from playwright.sync_api import FloatRect, Page, expect

from .conftest import save_screenshot
from .helpers import step_phase

pytestmark = pytest.mark.e2e

# Node names are 11.5 px text; the view never shrinks them below 0.75 of that.
MIN_LABEL_PX = 9.0

LABEL_HEIGHTS = "nodes => nodes.map(n => n.querySelector('text.op').getBoundingClientRect().height)"

# The node the engine ran last (the highest order badge) lies inside the graph's view.
LAST_RUN_IN_VIEW = """() => {
  const svg = document.querySelector('[data-testid=graph-svg]').getBoundingClientRect();
  let last = null, best = -1;
  for (const node of document.querySelectorAll('[data-testid=graph-node]')) {
    const badge = node.querySelector('.badge text');
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
