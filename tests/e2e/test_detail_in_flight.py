"""Detail asked for on request, while it is on its way: a `…` edge label pressed and the
formula panel's update of a parameter say they are being fetched (aria-busy) until the
answer comes, a refusal says why where it was asked (en and zh), and an answer that comes
after the learner scrubbed away goes into the frame it belongs to.

The page's socket holds `sent` and `update` commands back until the test lets them go: a
slow server, seen from the page. Let go with another node or parameter, the real server
refuses them. Served by the transformer test server (_transformer_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import save_screenshot
from .test_transformer import step_phase, transformer_url  # noqa: F401 (a fixture)

pytestmark = pytest.mark.e2e

URL = "/#scenario=charlm&corpus=english&batch_size=4"

# Runs before the page's scripts: its socket's `sent`/`update` commands wait in `__held`.
HOLD = """
(() => {
  const send = WebSocket.prototype.send;
  const held = [];
  WebSocket.prototype.send = function (data) {
    const type = typeof data === "string" && data.startsWith("{") ? JSON.parse(data).type : "";
    if (type === "sent" || type === "update") held.push([this, data]);
    else send.call(this, data);
  };
  window.__heldCount = () => held.length;
  window.__release = (from, to) => {
    for (const [ws, data] of held.splice(0)) send.call(ws, from ? data.replace(from, to) : data);
  };
})();
"""


def open_held(browser: Browser, url: str, lang: str) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US", base_url=url
    )
    context.add_init_script(HOLD)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{URL}&lang={lang}")
    page.locator("[data-testid=connection][data-state=open]").wait_for()
    yield page
    assert not errors, errors
    context.close()


@pytest.fixture
def en_page(browser: Browser, transformer_url: str) -> Iterator[Page]:  # noqa: F811
    yield from open_held(browser, transformer_url, "en")


@pytest.fixture
def zh_page(browser: Browser, transformer_url: str) -> Iterator[Page]:  # noqa: F811
    yield from open_held(browser, transformer_url, "zh")


def held(page: Page) -> int:
    return int(page.evaluate("window.__heldCount()"))


def release(page: Page, swap: tuple[str, str] | None = None) -> None:
    """Let the held commands go, with `swap[0]` written as `swap[1]` in them."""
    page.evaluate("([from, to]) => window.__release(from, to)", list(swap or ("", "")))


def test_a_left_out_gradient_says_it_is_on_its_way_and_why_it_was_refused(
    en_page: Page,
) -> None:
    page = en_page
    for phase in ("forward", "loss", "zero_grad", "backward"):
        step_phase(page, phase)
    can_ask = page.locator("text.left-out[aria-disabled=false]")
    expect(can_ask.first).to_be_attached(timeout=30_000)
    node = can_ask.first.get_attribute("data-node")
    label = page.locator(f"text.left-out[data-node='{node}']").first
    label.focus()
    page.keyboard.press("Enter")
    # On its way: the label says so, for eyes and for screen readers, and is asked once.
    expect(label).to_have_attribute("aria-busy", "true")
    expect(label).to_have_attribute("data-ask", "asking")
    expect(label).to_contain_text("fetching")
    assert "Fetching" in (label.get_attribute("aria-label") or "")
    label.focus()
    page.keyboard.press("Enter")
    assert held(page) == 1
    save_screenshot(page, "detail-sent-fetching-en")
    # Refused by the server (asked about a node it did not leave out): the label says so
    # where it was pressed, and why, and no toast stands in for it.
    release(page, (node, "NoSuchNode_0"))
    expect(label).to_have_attribute("data-ask", "refused", timeout=30_000)
    expect(label).to_have_attribute("aria-busy", "false")
    expect(label).to_contain_text("unavailable")
    assert "does not keep it" in (label.get_attribute("aria-label") or "")
    expect(page.locator("[data-testid=error]")).to_have_count(0)
    save_screenshot(page, "detail-sent-refused-en")
    # Pressed again, it is asked again; the learner scrubs away before the answer comes,
    # and it lands in the backward, not in the frame shown.
    label.click()
    expect(label).to_have_attribute("data-ask", "asking")
    page.get_by_role("button", name="Back one frame").click()
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "zero_grad")
    release(page)
    page.wait_for_function("window.__heldCount() === 0")
    page.wait_for_timeout(500)  # time for the answer to arrive; the frame shown stays put
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "zero_grad")
    page.get_by_role("button", name="Forward one frame").click()
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "backward")
    filled = page.locator(f"text.sent:not(.left-out)[data-node='{node}']")
    expect(filled.first).to_be_attached(timeout=30_000)
    expect(page.locator(f"text.left-out[data-node='{node}']")).to_have_count(0)


def test_the_formula_panel_says_an_update_is_on_its_way_and_why_it_was_refused(
    zh_page: Page,
) -> None:
    page = zh_page
    for phase in ("forward", "loss", "zero_grad", "backward", "step"):
        step_phase(page, phase)
    page.get_by_test_id("area-formulas").scroll_into_view_if_needed()
    fetching = page.get_by_test_id("formula-update-fetching")
    expect(fetching).to_be_visible(timeout=30_000)
    expect(fetching).to_have_attribute("aria-busy", "true")
    expect(fetching).to_contain_text("正在从运行中取回")
    first = page.get_by_test_id("formula-param").input_value()
    assert first in (fetching.text_content() or "")
    assert held(page) == 1
    save_screenshot(page, "detail-update-fetching-zh")
    # Refused (asked about a parameter the run does not have): the panel says why, in zh.
    release(page, (f'"name":"{first}"', '"name":"no.such.param"'))
    refused = page.get_by_test_id("formula-update-refused")
    expect(refused).to_be_visible(timeout=30_000)
    expect(refused).to_have_attribute("data-code", "not_found")
    expect(refused).to_contain_text("运行没有为这一帧保留它")
    expect(fetching).to_have_count(0)
    expect(page.locator("[data-testid=error]")).to_have_count(0)
    save_screenshot(page, "detail-update-refused-zh")
    # Another parameter picked: asked, on its way, and shown once answered.
    other = "blocks.1.ln2.weight"
    page.get_by_test_id("formula-param").select_option(other)
    expect(fetching).to_contain_text(other)
    release(page)
    expect(page.get_by_test_id(f"formula-update-{other}")).to_be_visible(timeout=30_000)
    expect(fetching).to_have_count(0)
    expect(refused).to_have_count(0)
