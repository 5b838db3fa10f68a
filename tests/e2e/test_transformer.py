"""A 2-block transformer in the page: the grouped autograd graph (folded by module, a block
opened and folded again without moving the rest, backward lighting the visible units in the
engine's order) and the Layers tab with every parameter. Served by a test-only server whose
charlm run trains tests/backend/_tiny_transformer.py's model (_transformer_server.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, WebSocket, expect

from .conftest import ROOT, save_screenshot, serving

pytestmark = pytest.mark.e2e

SERVER = ROOT / "tests" / "e2e" / "_transformer_server.py"
URL = "/#scenario=charlm&corpus=english&batch_size=4"
BLOCK_PARAMS = [
    "ln1.weight",
    "ln1.bias",
    "attn.query.weight",
    "attn.key.weight",
    "attn.value.weight",
    "attn.proj.weight",
    "attn.proj.bias",
    "ln2.weight",
    "ln2.bias",
    "mlp.0.weight",
    "mlp.0.bias",
    "mlp.2.weight",
    "mlp.2.bias",
]
PARAMS = (
    ["token_embedding.weight", "position_embedding.weight"]
    + [f"blocks.{b}.{p}" for b in (0, 1) for p in BLOCK_PARAMS]
    + ["ln_f.weight", "ln_f.bias", "lm_head.weight", "lm_head.bias"]
)
POSITIONS = """() => Object.fromEntries(
  [...document.querySelectorAll('[data-testid=graph-node], [data-testid=graph-group]')].map(
    n => [n.dataset.nodeId ?? 'group:' + n.dataset.group, n.getAttribute('transform')]))"""
# The run state of every drawn unit that backward reaches (node or folded group).
STATES = """() => Object.fromEntries(
  [...document.querySelectorAll('[data-testid=graph-node], [data-testid=graph-group]')]
    .filter(n => n.dataset.state !== 'idle')
    .map(n => [n.dataset.nodeId ?? 'group:' + n.dataset.group, n.dataset.state]))"""


@pytest.fixture(scope="module")
def transformer_url() -> Iterator[str]:
    with serving(lambda port: [str(SERVER), str(port)]) as url:
        yield url


@pytest.fixture
def tf(browser: Browser, transformer_url: str) -> Iterator[tuple[Page, list[dict[str, Any]]]]:
    """The page on the transformer's run, at 1280×720, and the phase events it received."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 720}, locale="en-US", base_url=transformer_url
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    events: list[dict[str, Any]] = []

    def on_socket(ws: WebSocket) -> None:
        def on_frame(payload: str | bytes) -> None:
            if isinstance(payload, str) and payload.startswith(
                ('{"type":"phase"', '{"type":"graph"')
            ):
                events.append(json.loads(payload))

        ws.on("framereceived", on_frame)

    page.on("websocket", on_socket)
    page.goto(URL)
    page.locator("[data-testid=connection][data-state=open]").wait_for()
    expect(page.get_by_test_id("param-blocks.1.mlp.2.bias")).to_be_attached()
    yield page, events
    assert not errors, errors
    context.close()


def step_phase(page: Page, expected: str) -> None:
    """Press Step and wait for `expected`: a captured backward of this model takes seconds
    on a loaded machine (every node's gradient is summarized)."""
    page.get_by_test_id("control-step").click()
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", expected, timeout=60_000)


def zoom_out(page: Page) -> None:
    """Scroll out over the graph until all of it is in view (the picture a learner gets)."""
    box = page.get_by_test_id("graph-svg").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(8):
        page.mouse.wheel(0, 400)
    page.wait_for_timeout(400)
    # At the smallest zoom the wheel goes on to scroll the page: bring the graph back.
    page.evaluate("window.scrollTo(0, 0)")
    page.get_by_test_id("area-graph").scroll_into_view_if_needed()


def positions(page: Page) -> dict[str, tuple[float, float]]:
    raw: dict[str, str] = page.evaluate(POSITIONS)
    out = {}
    for key, transform in raw.items():
        found = re.fullmatch(r"translate\(([-\d.e]+),([-\d.e]+)\)", transform)
        assert found, transform
        out[key] = (float(found.group(1)), float(found.group(2)))
    return out


def press(page: Page, selector: str) -> None:
    """Activate an in-graph control from the keyboard (it may lie outside the panned view)."""
    page.locator(selector).focus()
    page.keyboard.press("Enter")


def group(page: Page, name: str) -> Locator:
    return page.locator(f"[data-testid=graph-group][data-group='{name}']")


def assert_stable(
    before: dict[str, tuple[float, float]],
    after: dict[str, tuple[float, float]],
    opened: str,
    shifts: int,
) -> None:
    """Opening `opened` moved every other unit along one axis only, by at most `shifts`
    vectors (one per level it sits in), and left the units before it where they were."""
    moved = set()
    for key, (x, y) in before.items():
        if key == f"group:{opened}":
            continue
        ax, ay = after[key]
        assert ax == x or ay == y, (key, (x, y), (ax, ay))
        moved.add((round(ax - x, 3), round(ay - y, 3)))
    assert len(moved) <= shifts, moved
    assert (0.0, 0.0) in moved


def test_the_graph_folds_by_module_and_opens_level_by_level(
    tf: tuple[Page, list[dict[str, Any]]],
) -> None:
    page, _ = tf
    step_phase(page, "forward")
    step_phase(page, "loss")
    groups = page.get_by_test_id("graph-group")
    # Hundreds of nodes: every module group starts folded, the blocks among them.
    for block in ("blocks.0", "blocks.1"):
        expect(group(page, block)).to_be_attached()
    assert groups.count() >= 4
    block = group(page, "blocks.1")
    members = int(block.get_attribute("data-members") or "0")
    assert members > 60  # attention written out: q, k, v, scores, mask, softmax, mlp, norms
    # It opens into four parts, which its name for a screen reader says.
    expect(block).to_have_attribute("data-parts", "4")
    expect(block).to_have_attribute("aria-label", re.compile(r"blocks\.1 .*4 parts"))
    page.get_by_test_id("area-graph").scroll_into_view_if_needed()
    zoom_out(page)
    save_screenshot(page, "transformer-graph-folded-en")

    # Open the block: its attention, MLP and layer norms appear folded, its residual adds
    # as nodes, between them the gradient's way.
    folded = positions(page)
    nodes = page.get_by_test_id("graph-node")
    shown = nodes.count()
    press(page, "[data-testid=graph-group][data-group='blocks.1']")
    parts = {"attn": 0, "ln1": 0, "ln2": 0, "mlp": 0}
    for part in parts:
        box = group(page, f"blocks.1.{part}")
        expect(box).to_be_attached()
        expect(box.locator("text").first).to_have_text(part)
        parts[part] = int(box.get_attribute("data-members") or "0")
    assert sum(parts.values()) < members  # and the block's own nodes
    expect(nodes).to_have_count(shown + members - sum(parts.values()))
    opened = positions(page)
    assert_stable(folded, opened, "blocks.1", 3)
    frame = "[data-testid=graph-group-frame][data-group='blocks.1']"
    expect(page.locator(frame)).to_be_attached()
    zoom_out(page)
    save_screenshot(page, "transformer-graph-block-open-en")

    # Open its attention: its nodes appear, with its parameters' leaves, inside the block.
    press(page, "[data-testid=graph-group][data-group='blocks.1.attn']")
    expect(nodes).to_have_count(shown + members - sum(parts.values()) + parts["attn"])
    for name in ("attn.query.weight", "attn.proj.bias"):
        leaf = page.locator("[data-testid=graph-node][data-op=AccumulateGrad]").filter(
            has_text=f"blocks.1.{name}"
        )
        expect(leaf).to_have_count(1)
    expect(group(page, "blocks.1.mlp")).to_be_attached()
    attn = positions(page)
    assert_stable(opened, attn, "blocks.1.attn", 5)
    attn_frame = page.locator("[data-testid=graph-group-frame][data-group='blocks.1.attn']")
    expect(attn_frame.locator("text")).to_have_text("attn －")
    zoom_out(page)
    save_screenshot(page, "transformer-graph-attn-open-en")
    page.get_by_test_id("lang-toggle").click()
    expect(page.get_by_test_id("lang-toggle")).to_have_text("English")
    expect(group(page, "blocks.1.mlp")).to_have_attribute("aria-label", re.compile("展开"))
    zoom_out(page)
    save_screenshot(page, "transformer-graph-attn-open-zh")
    press(page, "[data-testid=graph-group-frame][data-group='blocks.1.attn']")
    zoom_out(page)
    save_screenshot(page, "transformer-graph-block-open-zh")
    page.get_by_test_id("lang-toggle").click()

    # Folding gives back each earlier picture exactly.
    expect(nodes).to_have_count(shown + members - sum(parts.values()))
    assert positions(page) == opened
    press(page, frame)
    expect(nodes).to_have_count(shown)
    assert positions(page) == folded


def test_backward_lights_the_visible_units_in_the_engines_order(
    tf: tuple[Page, list[dict[str, Any]]],
) -> None:
    page, events = tf
    step_phase(page, "forward")
    step_phase(page, "loss")
    step_phase(page, "zero_grad")
    # One block open, and the attention inside it; its MLP and norms stay folded.
    press(page, "[data-testid=graph-group][data-group='blocks.0']")
    press(page, "[data-testid=graph-group][data-group='blocks.0.attn']")
    expect(
        page.locator("[data-testid=graph-group-frame][data-group='blocks.0.attn']")
    ).to_be_attached()
    # The page's clock stands still while backward's frame arrives and is drawn (seconds on
    # a loaded machine), then moves 40 ms at a time: each reading is the animation at t.
    page.clock.install()
    now = page.evaluate("Date.now()")
    page.clock.pause_at(now + 1_000)
    page.get_by_test_id("control-step").click()
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "backward", timeout=60_000)
    backward = next(e for e in events if e.get("phase") == "backward")
    order: list[str] = backward["capture"]["order"]
    graph = next(e for e in events if e["type"] == "graph")
    started: dict[str, int] = {}
    for tick in range(200):
        for key, state in page.evaluate(STATES).items():
            if state in ("running", "done"):
                started.setdefault(key, tick)
        if all(s == "done" for s in page.evaluate(STATES).values()):
            break
        page.clock.run_for(40)
    rank = {node: i for i, node in enumerate(order)}
    # A unit's place in the engine's order: a node's own, a folded group's first member's.
    for g in page.get_by_test_id("graph-group").all():
        name = g.get_attribute("data-group") or ""
        ids = [
            n["id"]
            for n in graph["nodes"]
            if n.get("module") and (n["module"] == name or n["module"].startswith(name + "."))
        ]
        assert len(ids) == int(g.get_attribute("data-members") or "0")
        rank[f"group:{name}"] = min(rank[i] for i in ids if i in rank)
    # Backward reached the opened attention's every node, and lit the folded parts beside it.
    attn = [n["id"] for n in graph["nodes"] if (n.get("module") or "").startswith("blocks.0.attn")]
    assert len(attn) > 20 and all(i in started for i in attn), set(attn) - set(started)
    for part in ("mlp", "ln1", "ln2"):
        assert f"group:blocks.0.{part}" in started
    ticks = sorted(set(started.values()))
    assert len(started) > 20 and len(ticks) > 10, ticks  # it animated, in many steps
    by_tick = {t: sorted(rank[k] for k, s in started.items() if s == t) for t in ticks}
    for earlier, later in zip(ticks, ticks[1:], strict=False):
        assert by_tick[earlier][-1] < by_tick[later][0], (by_tick[earlier], by_tick[later])


def test_the_layers_tab_lists_every_parameter(tf: tuple[Page, list[dict[str, Any]]]) -> None:
    page, _ = tf
    page.get_by_test_id("explain-tab-layers").click()
    expect(page.get_by_test_id("layers-panel")).to_be_visible()
    for phase in ("forward", "loss", "zero_grad", "backward", "step"):
        step_phase(page, phase)
    rows = page.get_by_test_id("layer-row")
    expect(rows).to_have_count(len(PARAMS), timeout=30_000)
    assert sorted(r.get_attribute("data-name") or "" for r in rows.all()) == sorted(PARAMS)
    for row in rows.all():
        assert float(row.get_attribute("data-grad-norm") or "nan") > 0
        name = row.get_attribute("data-name") or ""
        if re.search(r"(ln1|ln2|ln_f)\.bias$", name):
            # LayerNorm's bias starts at zero: ‖Δw‖/‖w‖ has no value on the first step,
            # so its log over time has no point yet.
            expect(row).to_have_attribute("data-ratio", "")
            expect(row).to_have_attribute("data-points", "0")
        else:
            assert float(row.get_attribute("data-ratio") or "nan") > 0
            expect(row).to_have_attribute("data-points", "1")
        # A histogram of the values and one of the gradient, each drawn with bars.
        assert row.locator("svg").nth(0).locator("rect").count() > 0
        assert row.locator("svg").nth(1).locator("rect").count() > 0
    page.get_by_test_id("area-formulas").scroll_into_view_if_needed()
    save_screenshot(page, "transformer-layers-en")
