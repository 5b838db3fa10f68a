"""Every panel has room at common window sizes, the header keeps to one row, the header's
popovers close alike, and the run-settings form holds back values the schema refuses."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, WebSocket, expect

from .conftest import save_screenshot
from .helpers import open_page, step_phase

pytestmark = pytest.mark.e2e

AREAS = ["objects", "loop", "graph", "code", "formulas", "charts"]


class SentCommands:
    """The JSON commands the page sent over its websocket, in order."""

    def __init__(self) -> None:
        self.commands: list[dict[str, object]] = []

    def attach(self, ws: WebSocket) -> None:
        ws.on("framesent", self._record)

    def _record(self, payload: str | bytes) -> None:
        if isinstance(payload, str):
            self.commands.append(json.loads(payload))

    def of_type(self, kind: str) -> list[dict[str, object]]:
        return [c for c in self.commands if c.get("type") == kind]


def open_sized(
    browser: Browser, server_url: str, width: int, height: int, sent: SentCommands | None = None
) -> Page:
    return open_page(
        browser,
        server_url,
        size=(width, height),
        ready="param-linear.weight",
        on_websocket=None if sent is None else sent.attach,
    )


@pytest.fixture
def sent_and_page(browser: Browser, server_url: str) -> Iterator[tuple[SentCommands, Page]]:
    sent = SentCommands()
    page = open_sized(browser, server_url, 1440, 900, sent)
    yield sent, page
    page.context.close()


# ---------------------------------------------------------------- layout


@pytest.mark.parametrize(("width", "height"), [(900, 800), (1440, 900)])
def test_every_main_panel_has_a_usable_height(
    browser: Browser, server_url: str, width: int, height: int
) -> None:
    page = open_sized(browser, server_url, width, height)
    try:
        for phase in ["forward", "loss", "zero_grad", "backward"]:
            step_phase(page, phase)
        for area in AREAS:
            box = page.get_by_test_id(f"area-{area}").bounding_box()
            assert box is not None, f"{area} is not rendered"
            assert box["height"] > 100, f"{area} is {box['height']}px tall at {width}x{height}"
            assert box["width"] > 100, f"{area} is {box['width']}px wide at {width}x{height}"
        # The charts draw inside their area, not in a collapsed row.
        page.get_by_test_id("area-charts").scroll_into_view_if_needed()
        expect(page.get_by_test_id("loss-chart")).to_be_visible()
        save_screenshot(page, f"40-layout-{width}x{height}")
    finally:
        page.context.close()


def test_the_header_is_one_row_at_1280x720_in_english(browser: Browser, server_url: str) -> None:
    page = open_sized(browser, server_url, 1280, 720)
    try:
        header = page.get_by_test_id("app-header")
        title = header.get_by_role("heading", level=1).bounding_box()
        help_button = header.get_by_role("button", name="Keyboard shortcuts and help")
        last = help_button.bounding_box()
        assert title is not None and last is not None
        # The first and the last thing in the header sit on the same row.
        assert abs(last["y"] - title["y"]) < title["height"], (title, last)
        for testid in ["scenario-select", "settings-button", "lessons-button", "export-button"]:
            box = header.get_by_test_id(testid).bounding_box()
            assert box is not None
            assert box["y"] < title["y"] + title["height"], f"{testid} wrapped: {box}"
        box = header.bounding_box()
        assert box is not None and box["height"] < 60, box
    finally:
        page.context.close()


# ---------------------------------------------------------------- popovers


def open_settings(page: Page) -> None:
    page.get_by_role("button", name="Run settings").click()
    expect(page.get_by_test_id("config-form")).to_be_visible()


def test_escape_and_a_click_outside_close_the_settings(page: Page) -> None:
    form = page.get_by_test_id("config-form")
    button = page.get_by_role("button", name="Run settings")
    open_settings(page)
    # Escape works from inside a text field, and gives focus back to the button.
    page.get_by_label("Learning rate").focus()
    page.keyboard.press("Escape")
    expect(form).to_have_count(0)
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "false")
    open_settings(page)
    page.get_by_test_id("area-code").click(position={"x": 40, "y": 12})
    expect(form).to_have_count(0)


def test_opening_another_popover_closes_the_open_one(page: Page) -> None:
    form = page.get_by_test_id("config-form")
    lessons = page.locator("#lessons-menu")
    export = page.locator("#export-menu")
    open_settings(page)
    page.get_by_test_id("lessons-button").click()
    expect(lessons).to_be_visible()
    expect(form).to_have_count(0)
    page.get_by_test_id("export-button").click()
    expect(export).to_be_visible()
    expect(lessons).to_have_count(0)
    page.keyboard.press("Escape")
    expect(export).to_have_count(0)
    expect(page.get_by_test_id("export-button")).to_be_focused()
    page.get_by_test_id("lessons-button").click()
    expect(lessons).to_be_visible()
    page.keyboard.press("Escape")
    expect(lessons).to_have_count(0)


# ---------------------------------------------------------------- settings form


def test_an_out_of_range_lr_is_held_in_the_form(
    sent_and_page: tuple[SentCommands, Page],
) -> None:
    sent, page = sent_and_page
    starts_before = len(sent.of_type("start"))
    open_settings(page)
    lr = page.get_by_label("Learning rate")
    lr.fill("-1")
    page.get_by_role("button", name="Restart with these settings").click()
    form = page.get_by_test_id("config-form")
    expect(form).to_be_visible()
    expect(lr).to_have_attribute("aria-invalid", "true")
    problem = page.locator("[data-testid=config-problem][data-field=lr]")
    expect(problem).to_have_text("Learning rate must be greater than 0")
    # Described by its problem (and by its bounds' hint, which comes first).
    problem_id = problem.get_attribute("id") or "?"
    expect(lr).to_have_attribute("aria-describedby", re.compile(rf"(^| ){problem_id}( |$)"))
    expect(page.get_by_test_id("error")).to_have_count(0)
    save_screenshot(page, "41-settings-refused-in-form")
    # A step sent after the refused submit arrives: any start sent before it was seen too.
    page.keyboard.press("Escape")
    step_phase(page, "forward")
    assert len(sent.of_type("start")) == starts_before, sent.of_type("start")
    # The run kept its lr, and the form shows it again.
    open_settings(page)
    expect(lr).to_have_value("0.01")
    expect(lr).not_to_have_attribute("aria-invalid", "true")


def test_a_seed_too_large_names_its_bound(page: Page) -> None:
    open_settings(page)
    page.get_by_label("Seed").fill("99999999999999999999")
    page.get_by_role("button", name="Restart with these settings").click()
    expect(page.locator("[data-testid=config-problem][data-field=seed]")).to_have_text(
        "Seed must be at most 2147483647"
    )
    # Fixing the field clears the mark as it is typed.
    page.get_by_label("Seed").fill("7")
    expect(page.get_by_label("Seed")).not_to_have_attribute("aria-invalid", "true")


def test_a_refusal_by_the_server_is_shown_at_the_field(page: Page) -> None:
    # The schema allows any device name; the server has no mps (Linux), so it refuses.
    open_settings(page)
    device = page.get_by_test_id("config-form").locator("select[name=device]")
    device.select_option("mps")
    page.get_by_role("button", name="Restart with these settings").click()
    expect(device).to_have_attribute("aria-invalid", "true")
    expect(page.locator("[data-testid=config-problem][data-field=device]")).to_contain_text(
        "Device"
    )
    toast = page.get_by_test_id("error")
    expect(toast).to_contain_text("Device")
    expect(toast).not_to_contain_text("config.device")
    # The toast sits above the controls and the timeline.
    toast_box = toast.bounding_box()
    footer_box = page.get_by_role("contentinfo").bounding_box()
    assert toast_box is not None and footer_box is not None
    assert toast_box["y"] + toast_box["height"] <= footer_box["y"], (toast_box, footer_box)
    # Closed and opened again: the form shows the config the run really has.
    page.keyboard.press("Escape")
    open_settings(page)
    expect(device).to_have_value("auto")


# ---------------------------------------------------------------- lesson card


def test_a_long_lesson_text_says_there_is_more_until_its_end(page: Page) -> None:
    page.get_by_test_id("lessons-button").click()
    page.get_by_test_id("lesson-lr-too-high").click()
    text = page.get_by_test_id("lesson-text")
    expect(text).to_have_attribute("data-more", "true")
    expect(text).to_contain_text("more below")
    # Scrolled to its end, the cue goes and the last line sits above the action button.
    text.get_by_role("region").evaluate("el => { el.scrollTop = el.scrollHeight; }")
    expect(text).to_have_attribute("data-more", "false")
    # Both measured at once: the strip may still be scrolling into view.
    gap = page.get_by_test_id("lesson-card").evaluate(
        """card => {
            const region = card.querySelector('[role=region]');
            const action = card.querySelector('[data-testid=lesson-action]');
            return action.getBoundingClientRect().top - region.getBoundingClientRect().bottom;
        }"""
    )
    assert gap >= 0, gap
