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


def _fonts_rendering(page: Page, selector: str) -> list[dict[str, object]]:
    """The fonts Chromium actually drew a node's text with (CSS.getPlatformFontsForNode)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts: list[dict[str, object]] = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})[
        "fonts"
    ]
    cdp.detach()
    return fonts


def test_english_page_draws_the_chinese_toggle_with_a_cjk_font(page: Page) -> None:
    # The toggle reads "中文" on the English page: Chromium drew it with the Latin system font
    # (two empty boxes) while the shipped face came after system-ui in the font list.
    toggle = page.get_by_test_id("lang-toggle")
    expect(toggle).to_have_text("中文")
    # The name of the other language is in that language (and read so by screen readers).
    assert toggle.locator("span").get_attribute("lang") == "zh-CN"
    page.evaluate("async () => { await document.fonts.load('14px \"Loopscope CJK\"', '中文'); }")
    page.wait_for_function("() => document.fonts.status === 'loaded'")
    fonts = _fonts_rendering(page, "[data-testid=lang-toggle] span")
    drawn_by = {str(f["familyName"]): int(str(f["glyphCount"])) for f in fonts}
    assert drawn_by.get("Loopscope CJK") == 2, drawn_by
    toggle.click()
    expect(toggle).to_have_text("English")
    assert toggle.locator("span").get_attribute("lang") == "en"


def test_english_page_draws_chinese_text_in_the_monospace_font_too(page: Page) -> None:
    # Chinese text can reach an English page in monospace: a corpus line, a traced script's
    # output in the console. The mono list must reach the shipped face as well.
    page.evaluate(
        """async () => {
            const probe = document.createElement("div");
            probe.id = "mono-probe";
            probe.style.fontFamily = "var(--mono)";
            probe.textContent = "床前明月光";
            document.body.prepend(probe);
            await document.fonts.load('14px "Loopscope CJK"', probe.textContent);
        }"""
    )
    page.wait_for_function("() => document.fonts.status === 'loaded'")
    fonts = _fonts_rendering(page, "#mono-probe")
    assert {str(f["familyName"]) for f in fonts} == {"Loopscope CJK"}, fonts
