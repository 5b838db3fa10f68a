"""Small page actions shared by the journeys (by role and test id only)."""

from __future__ import annotations

import json

from playwright.sync_api import Page, expect

PHASES = ["forward", "loss", "zero_grad", "backward", "step"]


def current_phase(page: Page) -> str:
    """The phase the status bar says ran last ("" before any)."""
    return page.get_by_test_id("phase").get_attribute("data-phase") or ""


def step_phase(page: Page, expected: str) -> None:
    """Press Step and wait until the page shows `expected` as the phase that ran."""
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", expected)


def values(page: Page, testid: str) -> list[float | str] | None:
    """The exact values a param-/grad- box carries in data-value (JSON as received)."""
    raw = page.get_by_test_id(testid).get_attribute("data-value")
    assert raw is not None, f"{testid} has no data-value"
    parsed: list[float | str] | None = json.loads(raw)
    return parsed


def iteration(page: Page) -> int:
    """The iteration number shown in the status bar."""
    return int(page.get_by_test_id("iteration").get_attribute("data-value") or "0")
