"""A model of many tensors: its step frame sends the updates as norms only (within the frame
budget), and the update the learner picks comes on request, as torch computed it. Served by
the transformer test server (_transformer_server.py)."""

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
            if isinstance(payload, str) and payload.startswith(('{"type":"phase"', '{"type":"up')):
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
