"""The Chinese UI brings its own CJK font: served, loadable, and holding the page's characters."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_chinese_page_loads_the_shipped_cjk_font(page: Page) -> None:
    page.get_by_test_id("lang-toggle").click()
    heading = page.get_by_role("heading", name="训练循环")
    expect(heading).to_be_visible()
    # Every CJK character now on the page must be in the shipped font: load the face for
    # exactly that text and check that the browser has it (independent of system fonts).
    text = page.evaluate(
        "() => [...new Set(document.body.innerText)]"
        ".filter(c => /[\\u3000-\\u303f\\u4e00-\\u9fff\\uff00-\\uffef]/.test(c)).join('')"
    )
    assert len(text) > 20
    loaded = page.evaluate(
        "async (t) => (await document.fonts.load('14px \"Loopscope CJK\"', t)).length", text
    )
    assert loaded >= 1
    assert page.evaluate("(t) => document.fonts.check('14px \"Loopscope CJK\"', t)", text)
    family = heading.evaluate("el => getComputedStyle(el).fontFamily")
    assert "Loopscope CJK" in family
