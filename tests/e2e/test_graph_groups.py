"""Module groups of the autograd graph fold into one box and open in place (1440x900).

The largest built-in model (an MLP of four hidden layers) is below the size at which groups
start folded, so the learner folds them from the legend and the frames; the layout code
is the same one that folds a transformer's graph by default (lib/graph/grouplayout.ts,
tested on a recorded 2-block transformer in vitest).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import save_screenshot
from .helpers import step_phase

pytestmark = pytest.mark.e2e

URL = "/#scenario=mlp&hidden=16,16,16,16"
# Layout coordinates of every drawn node and folded group (from their translate()).
POSITIONS = """() => Object.fromEntries(
  [...document.querySelectorAll('[data-testid=graph-node], [data-testid=graph-group]')].map(
    n => [n.dataset.nodeId ?? 'group:' + n.dataset.group, n.getAttribute('transform')]))"""
VIEW = "() => document.querySelector('[data-testid=graph-svg] > g').getAttribute('transform')"


@pytest.fixture
def mlp(browser: Browser, server_url: str) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="en-US", base_url=server_url
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(URL)
    page.locator("[data-testid=connection][data-state=open]").wait_for()
    expect(page.get_by_test_id("param-layers.8.weight")).to_be_attached()
    step_phase(page, "forward")
    step_phase(page, "loss")
    yield page
    assert not errors, errors
    context.close()


def press(page: Page, selector: str) -> None:
    """Activate an in-graph control from the keyboard (it may lie outside the panned view)."""
    page.locator(selector).focus()
    page.keyboard.press("Enter")


def settled_view(page: Page) -> str:
    """The view's transform once it has stayed the same for a second: the view follows the
    phase animation node by node, and pauses between two nodes are not the end of it."""
    readings: list[str] = []
    for _ in range(100):
        readings.append(page.evaluate(VIEW))
        if len(readings) >= 10 and len(set(readings[-10:])) == 1:
            return readings[-1]
        page.wait_for_timeout(100)
    raise AssertionError("the view kept moving")


def positions(page: Page) -> dict[str, tuple[float, float]]:
    raw: dict[str, str] = page.evaluate(POSITIONS)
    out = {}
    for key, transform in raw.items():
        found = re.fullmatch(r"translate\(([-\d.e]+),([-\d.e]+)\)", transform)
        assert found, transform
        out[key] = (float(found.group(1)), float(found.group(2)))
    return out


def test_folding_and_opening_a_group_keeps_the_rest_in_place(mlp: Page) -> None:
    page = mlp
    nodes = page.get_by_test_id("graph-node")
    expect(nodes).to_have_count(25)  # 5 linears × 4, 4 tanh, the loss
    # Nothing folded by default in a graph this small; the legend offers each layer.
    expect(page.get_by_test_id("graph-group")).to_have_count(0)
    page.locator("[data-testid=graph-fold][data-group='layers.0']").click()
    first = page.locator("[data-testid=graph-group][data-group='layers.0']")
    expect(first).to_have_attribute("data-members", "4")
    expect(nodes).to_have_count(21)
    # The other layers are open, each in a frame whose name folds it.
    press(page, "[data-testid=graph-group-frame][data-group='layers.4']")
    group = page.locator("[data-testid=graph-group][data-group='layers.4']")
    expect(group).to_be_attached()
    expect(nodes).to_have_count(17)
    # Gradients leave a folded group along one edge standing for its nodes' edges.
    out = page.locator("[data-testid=graph-edge][data-source='group:layers.4']")
    expect(out).to_have_count(1)
    expect(out).to_have_attribute("data-merged", "1")

    # The legend changed height with the first fold, and the view refitted: let it settle.
    view = settled_view(page)
    before = positions(page)
    press(page, "[data-testid=graph-group][data-group='layers.4']")
    expect(nodes).to_have_count(21)
    after = positions(page)
    # Nothing outside the opened group jumps: the view stays, and the other nodes either
    # stay or move all together (the ranks after it, and its rank's nodes after it).
    assert settled_view(page) == view
    shifts = set()
    for key, (x, y) in before.items():
        if key == "group:layers.4":
            continue
        ax, ay = after[key]
        assert ax == x or ay == y, (key, (x, y), (ax, ay))
        shifts.add((round(ax - x, 3), round(ay - y, 3)))
    assert len(shifts) <= 3, shifts
    assert (0.0, 0.0) in shifts
    save_screenshot(page, "graph-groups-opened")

    # Folding it again gives back exactly the picture before.
    press(page, "[data-testid=graph-group-frame][data-group='layers.4']")
    expect(nodes).to_have_count(17)
    assert positions(page) == before


def test_a_folded_group_lights_up_in_backward_and_opens_done(mlp: Page) -> None:
    page = mlp
    page.locator("[data-testid=graph-fold][data-group='layers.2']").click()
    group = page.locator("[data-testid=graph-group][data-group='layers.2']")
    expect(group).to_have_attribute("data-state", "idle")
    step_phase(page, "zero_grad")
    step_phase(page, "backward")
    # Every node the engine ran is done, the folded ones included (counted on the box).
    expect(group).to_have_attribute("data-state", "done")
    expect(group).to_contain_text("4/4")
    expect(page.locator("[data-testid=graph-node]:not([data-state=done])")).to_have_count(0)
    save_screenshot(page, "graph-groups-backward")
    press(page, "[data-testid=graph-group][data-group='layers.2']")
    expect(page.locator("[data-testid=graph-node][data-state=done]")).to_have_count(25)
