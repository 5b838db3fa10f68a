"""The formulas panel stays readable whatever the numbers and the window size.

No formula may fail to render (KaTeX errors show the raw LaTeX in red), none may run off the
panel's right edge, and a diverged run's huge numbers are written in scientific form.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import save_screenshot
from .helpers import PHASES, restart_with, step_phase

pytestmark = pytest.mark.e2e

SIZES = [(1440, 900), (1280, 720), (900, 800)]

# Every formula's pieces inside the panel, and the wrappers that would scroll if one did not fit.
MEASURE = """panel => {
  // The right edge of a section's content box: where a formula must end.
  const edge = el => {
    const section = el.closest('section') || panel;
    const style = getComputedStyle(section);
    return section.getBoundingClientRect().right - parseFloat(style.borderRightWidth)
      - parseFloat(style.paddingRight);
  };
  const pieces = [...panel.querySelectorAll('.katex-base')].filter(b => {
    const r = b.getBoundingClientRect();
    return r.width > 0 && r.right > edge(b) + 0.5;
  });
  const scrolling = [...panel.querySelectorAll('.math, .tex')].filter(
    m => m.scrollWidth > m.clientWidth + 1);
  return {
    beyond: pieces.map(b => b.textContent.slice(0, 40)),
    scrolling: scrolling.map(m => m.textContent.slice(0, 40)),
    errors: [...panel.querySelectorAll('.katex-error')].map(e => e.getAttribute('title')),
  };
}"""


def show_formulas(page: Page) -> None:
    tab = page.get_by_test_id("explain-tab-math")
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    panel = page.get_by_test_id("formula-panel")
    expect(panel.locator("[data-tex-ready=true]").first).to_be_attached()


def assert_fits(page: Page, where: str) -> None:
    """No KaTeX error, and nothing past the panel's right edge or hidden in a scroll."""
    panel = page.get_by_test_id("formula-panel")
    expect(panel.locator(".katex-error")).to_have_count(0)
    found = panel.evaluate(MEASURE)
    assert found == {"beyond": [], "scrolling": [], "errors": []}, (where, found)


@pytest.mark.parametrize("optimizer", ["adam", "adamw"])
def test_classify_adam_formulas_render_and_fit(page: Page, optimizer: str) -> None:
    page.get_by_test_id("scenario-select").select_option("classify")
    expect(page.get_by_test_id("param-layers.2.weight")).to_be_attached()
    restart_with(page, optimizer, "0.01")
    for phase in PHASES:
        step_phase(page, phase)
    show_formulas(page)
    picker = page.get_by_test_id("formula-param")
    names = picker.locator("option").evaluate_all("options => options.map(o => o.value)")
    assert len(names) == 6
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        for name in names:
            picker.select_option(name)
            box = page.get_by_test_id(f"formula-update-{name}")
            expect(box).to_have_attribute("data-same-bits", "true")
            # Adam's v_t squares the gradient: a small one is written (3.9×10⁻⁴)², in brackets.
            expect(box).to_contain_text("v_t")
            expect(box).to_have_attribute("data-symbol", "b_1" if "bias" in name else "W_{1,1}")
            assert_fits(page, f"{optimizer} {name} at {width}x{height}")
    page.get_by_test_id("formula-update").scroll_into_view_if_needed()
    save_screenshot(page, f"60-formulas-classify-{optimizer}")


def test_linear_formulas_fit_and_name_the_bias_b(page: Page) -> None:
    for phase in PHASES:
        step_phase(page, phase)
    show_formulas(page)
    expect(page.get_by_test_id("formula-update-linear.weight")).to_have_attribute(
        "data-symbol", "w"
    )
    expect(page.get_by_test_id("formula-update-linear.bias")).to_have_attribute("data-symbol", "b")
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        assert_fits(page, f"linear at {width}x{height}")
    # The loss's result is on the page, not cut off: the panel shows its float32 value.
    loss = page.get_by_test_id("loss").get_attribute("data-value")
    assert loss is not None
    expect(page.get_by_test_id("formula-loss")).to_contain_text(f"{float(loss):.4f}"[:6])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_diverged_run_writes_huge_numbers_in_scientific_form(page: Page, lang: str) -> None:
    # lr 0.5 overshoots by ~30× per step: after a dozen steps the weights are near 1e18.
    restart_with(page, "sgd", "0.5")
    step_iteration = page.get_by_role("button", name="Step iteration", exact=True)
    for k in range(11):
        step_iteration.click()
        expect(page.get_by_test_id("iteration")).to_have_attribute("data-value", str(k))
        expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "step")
    if lang == "zh":
        page.get_by_test_id("lang-toggle").click()
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    for phase in PHASES:
        step_phase(page, phase)
    show_formulas(page)
    weight = page.get_by_test_id("formula-update-linear.weight")
    after = abs(float(weight.get_attribute("data-after") or "nan"))
    assert 1e12 < after < 1e30, after
    text = page.get_by_test_id("formula-panel").inner_text()
    # No number written out with a dozen digits or more before its decimal point.
    assert not re.search(r"\d{12,}", text), re.search(r"\d{12,}", text)
    assert re.search(r"e\+\d+", text)
    # The note on rounding says what was done: 4 significant digits, not "4 decimals".
    expect(weight).to_contain_text("4 significant digits" if lang == "en" else "保留 4 位有效数字")
    assert_fits(page, f"diverged, {lang}")
    page.get_by_test_id("formula-update").scroll_into_view_if_needed()
    save_screenshot(page, f"61-formulas-diverged-{lang}")


def test_formulas_wrap_when_read_and_stay_on_one_line_while_playing(page: Page) -> None:
    """Wrapping costs frames while the numbers change every frame: during play formulas are
    one display line (scrolling sideways if too wide); paused, they wrap again."""
    for phase in PHASES:
        step_phase(page, phase)
    show_formulas(page)
    panel = page.get_by_test_id("formula-panel")
    expect(panel.locator(".katex").first).to_be_visible()
    expect(panel.locator(".katex-display")).to_have_count(0)  # read: inline, wrapping
    page.get_by_test_id("control-play").click()
    expect(page.get_by_test_id("control-pause")).to_be_visible()
    expect(panel.locator(".katex-display").first).to_be_attached()
    page.get_by_test_id("control-pause").click()
    expect(panel.locator(".katex-display")).to_have_count(0)
