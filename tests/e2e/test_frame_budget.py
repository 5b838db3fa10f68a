"""A model of many tensors: its step frame sends the updates as norms only (within the frame
budget), and the update the learner picks comes on request, as torch computed it; its
backward frame leaves some nodes' gradients out (`…` on their edges), and pressing one asks
for them. Served by the transformer test server (_transformer_server.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, WebSocket, expect

from .conftest import save_screenshot
from .test_transformer import step_phase, transformer_url  # noqa: F401 (a fixture)

pytestmark = pytest.mark.e2e

URL = "/#scenario=charlm&corpus=english&batch_size=4"
FRAME_BUDGET = 64 * 1024
BACK = "Back one frame"


@pytest.fixture
def run(
    browser: Browser,
    transformer_url: str,  # noqa: F811
) -> Iterator[tuple[Page, list[dict[str, Any]], list[str], list[int]]]:
    """The page, the events it received and the commands it sent, and each phase frame's size."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US", base_url=transformer_url
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    events: list[dict[str, Any]] = []
    sent: list[str] = []
    sizes: list[int] = []

    def on_socket(ws: WebSocket) -> None:
        def on_frame(payload: str | bytes) -> None:
            if isinstance(payload, str) and payload.startswith(
                ('{"type":"phase"', '{"type":"up', '{"type":"sent"')
            ):
                events.append(json.loads(payload))
                if payload.startswith('{"type":"phase"'):
                    sizes.append(len(payload.encode()))

        ws.on("framereceived", on_frame)
        ws.on("framesent", lambda p: sent.append(p if isinstance(p, str) else ""))

    page.on("websocket", on_socket)
    page.goto(URL)
    page.locator("[data-testid=connection][data-state=open]").wait_for()
    yield page, events, sent, sizes
    assert not errors, errors
    context.close()


def test_the_picked_update_comes_on_request_as_torch_computed_it(
    run: tuple[Page, list[dict[str, Any]], list[str], list[int]],
) -> None:
    page, events, sent, sizes = run
    for phase in ("forward", "loss", "zero_grad", "backward", "step"):
        step_phase(page, phase)
    step = next(e for e in events if e["type"] == "phase" and e["phase"] == "step")
    brief = step["capture"]["brief"]
    assert step["capture"]["updates"] == [] and len(brief) > 8  # every one, as norms only
    assert all(size <= FRAME_BUDGET for size in sizes)
    # Paused on the step: the page asks for the update of the parameter the panel shows.
    first = brief[0]
    page.get_by_test_id("area-formulas").scroll_into_view_if_needed()
    shown = page.get_by_test_id(f"formula-update-{first}")
    expect(shown).to_be_visible(timeout=30_000)
    answers = [e for e in events if e["type"] == "update"]
    assert [a["name"] for a in answers] == [first]
    assert any(json.loads(m).get("type") == "update" for m in sent if m.startswith("{"))
    update = answers[0]["update"]
    assert answers[0]["iteration"] == step["iteration"] and update["same_bits"] is True
    # The panel writes out element 0 with the numbers torch's step used and left.
    after = update["after"]
    element = (after.get("values") or after["summary"]["first"])[0]
    assert float(shown.get_attribute("data-after") or "nan") == pytest.approx(element, rel=1e-6)
    expect(page.get_by_test_id("formula-update-brief")).to_have_count(0)
    # Another parameter picked: its update is asked for and shown in turn.
    other = "blocks.1.ln2.weight"
    page.get_by_test_id("formula-param").select_option(other)
    expect(page.get_by_test_id(f"formula-update-{other}")).to_be_visible(timeout=30_000)
    names = [e["name"] for e in events if e["type"] == "update"]
    assert names == [first, other]
    save_screenshot(page, "frame-budget-update-en")


def _shape_text(shape: list[int]) -> str:
    """A gradient's shape as the edge label writes it."""
    return f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"


def test_a_left_out_gradient_comes_on_request_and_labels_its_edge(
    run: tuple[Page, list[dict[str, Any]], list[str], list[int]],
) -> None:
    page, events, sent, sizes = run
    for phase in ("forward", "loss", "zero_grad", "backward"):
        step_phase(page, phase)
    first = next(e for e in events if e["type"] == "phase" and e["phase"] == "backward")
    assert first["capture"]["left_out"] and all(size <= FRAME_BUDGET for size in sizes)
    can_ask = page.locator("text.left-out[aria-disabled=false]")
    expect(can_ask.first).to_be_attached(timeout=30_000)
    assert "Press" in (can_ask.first.locator("title").text_content() or "")
    save_screenshot(page, "frame-budget-left-out-en")
    # The next forward, then scrubbed back to that backward: the run moved past it, so its
    # labels say why they cannot be asked for, and pressing one sends nothing.
    step_phase(page, "step")
    step_phase(page, "forward")
    back = page.get_by_role("button", name=BACK)
    for _ in range(2):
        back.click()
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "backward")
    past = page.locator("text.left-out[aria-disabled=true]")
    expect(past.first).to_be_attached()
    assert "paused" in (past.first.locator("title").text_content() or "")
    assert can_ask.count() == 0
    past.first.focus()
    page.keyboard.press("Enter")
    # The next backward, live: a label pressed from the keyboard asks for that node, and
    # the answer fills it in with the gradient's shape.
    for phase in ("loss", "zero_grad", "backward"):
        step_phase(page, phase)
    backward = [e for e in events if e["type"] == "phase" and e["phase"] == "backward"][-1]
    assert backward["iteration"] == first["iteration"] + 1
    expect(can_ask.first).to_be_attached(timeout=30_000)
    node = can_ask.first.get_attribute("data-node")
    assert node in backward["capture"]["left_out"]
    can_ask.first.focus()
    page.keyboard.press("Enter")
    filled = page.locator(f"text.sent:not(.left-out)[data-node='{node}']")
    expect(filled.first).to_be_attached(timeout=30_000)
    asked = [json.loads(m) for m in sent if m.startswith('{"type":"sent"')]
    assert asked == [{"type": "sent", "node": node}]
    (answer,) = [e for e in events if e["type"] == "sent"]
    assert (answer["node"], answer["iteration"]) == (node, backward["iteration"])
    shapes = {_shape_text(g["shape"]) for g in answer["sent"] if g is not None}
    texts = {filled.nth(i).text_content() for i in range(filled.count())}
    assert texts and texts <= shapes
    expect(page.locator(f"text.left-out[data-node='{node}']")).to_have_count(0)
    save_screenshot(page, "frame-budget-sent-en")
    # The step after it, then scrubbed back: the answer stays in that backward's frame.
    step_phase(page, "step")
    back.click()
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "backward")
    expect(filled.first).to_be_attached()
