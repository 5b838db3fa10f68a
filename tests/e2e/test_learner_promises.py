"""Lessons keep their promises, and an old graph is never passed off as the current one.

"Learning rate too high" draws the zigzag it announces: its first steps come one frame each,
and the landscape zooms out to hold every point of the path (a point too far to zoom out to
is counted and said to be off the plot). "Forget zero_grad" shows g0 + g1 = the new .grad
with torch's own numbers, checked here against plain torch. The graph panel says when the
graph it draws is an earlier iteration's: after step, Reset, a rewind and "Continue from here".
"""

from __future__ import annotations

import json

import pytest
import torch
from playwright.sync_api import Browser, Page, expect

from .conftest import save_screenshot
from .helpers import frame_count, open_page, step_iteration, step_phase
from .test_state_lessons import start_lesson, wait_for_hash
from .test_teaching_charts_time import f32, linear_oracle

pytestmark = pytest.mark.e2e


def landscape_domain(page: Page) -> tuple[list[float], list[float]]:
    raw = page.get_by_test_id("landscape").get_attribute("data-domain")
    assert raw and raw != "null"
    w, b = json.loads(raw)
    return w, b


def path_points(page: Page) -> list[tuple[float, float]]:
    raw = page.get_by_test_id("landscape-path").get_attribute("data-points") or "[]"
    return [(float(w), float(b)) for w, b in json.loads(raw)]


def inside(domain: tuple[list[float], list[float]], point: tuple[float, float]) -> bool:
    (w0, w1), (b0, b1) = domain
    return w0 <= point[0] <= w1 and b0 <= point[1] <= b1


# ---------------------------------------------------------------- learning rate too high


def test_lr_too_high_draws_its_zigzag_and_the_landscape_holds_the_path(page: Page) -> None:
    start_lesson(page, "lr-too-high")
    wait_for_hash(page, "h.includes('lr=0.03')")
    page.get_by_test_id("lesson-action").click()
    chart = page.get_by_test_id("loss-chart")
    # All 300 iterations' losses are on the chart (the last ones overflowed to ∞).
    expect(chart).to_have_attribute("data-count", "300", timeout=30_000)
    assert int(chart.get_attribute("data-nonfinite") or "0") >= 1
    expect(page.get_by_test_id("lesson-action")).to_be_enabled()
    # One frame per step for the first 16, then one for the rest: 1 + 16 + 1 frames.
    expect(page.get_by_test_id("timeline")).to_have_attribute("data-count", "18")
    live = path_points(page)
    assert len(live) == 18
    # The last point is ~1e19 away: off the plot, and the page says so and how many.
    outside = page.get_by_test_id("landscape-outside")
    expect(outside).to_be_visible()
    expect(outside).to_have_attribute("data-count", "1")
    domain = landscape_domain(page)
    assert all(inside(domain, p) for p in live[:-1])
    assert not inside(domain, live[-1])
    save_screenshot(page, "70-lesson-lr-zigzag-live")

    # Back one frame: the path after the 16 single steps, every point of it in the plot.
    page.get_by_role("button", name="Back one frame").click()
    expect(page.get_by_test_id("timeline")).to_have_attribute("data-viewing", "true")
    points = path_points(page)
    assert len(points) == 17
    domain = landscape_domain(page)
    assert all(inside(domain, p) for p in points), (domain, points)
    expect(page.get_by_test_id("landscape-outside")).to_have_count(0)
    expect(page.get_by_test_id("landscape-zoomed")).to_be_visible()
    # The zigzag: w lands on alternate sides of the valley floor (w ≈ 2), further each time.
    sides = [w > 2 for w, _ in points[1:]]
    assert all(a != b for a, b in zip(sides, sides[1:], strict=False)), points
    reach = [abs(w - 2) for w, _ in points[2:]]
    assert reach[-1] > 5 * reach[0]
    save_screenshot(page, "71-lesson-lr-zigzag")


# ---------------------------------------------------------------- forget zero_grad


@pytest.mark.parametrize("size", [(1440, 900), (1280, 720)])
def test_forget_zero_grad_shows_g0_plus_g1_with_torchs_numbers(
    browser: Browser, server_url: str, size: tuple[int, int]
) -> None:
    page = open_page(browser, server_url, size=size, ready="param-linear.weight")
    try:
        start_lesson(page, "no-zero-grad")
        wait_for_hash(page, "h.includes('skip_zero_grad=true')")
        action = page.get_by_test_id("lesson-action")
        for k in range(2):
            before = frame_count(page)
            action.click()  # one iteration, its five phases one frame each
            expect(page.get_by_test_id("timeline")).to_have_attribute("data-count", str(before + 5))
            expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "step")
            row = page.get_by_test_id("grad-sum-linear.weight")
            # The first backward filled an empty .grad: nothing was added to.
            expect(row).to_have_count(k)
        oracle = linear_oracle([0.01, 0.01], skip_zero_grad=True)
        g0, g1 = oracle[0]["grad_alone"], oracle[1]["grad_alone"]
        row = page.get_by_test_id("grad-sum-linear.weight")
        previous = f32(json.loads(row.get_attribute("data-previous") or "null"))
        own = f32(json.loads(row.get_attribute("data-own") or "null"))
        total = f32(json.loads(row.get_attribute("data-total") or "null"))
        assert torch.equal(previous, g0)
        assert torch.equal(own, g1)
        assert torch.equal(total, g0 + g1)  # float32 +=, as AccumulateGrad does it
        grad = f32(
            json.loads(
                page.get_by_test_id("grad-linear.weight").get_attribute("data-value") or "null"
            )
        )
        assert torch.equal(total, grad)
        # The sum shown is the .grad box's own text.
        shown = page.get_by_test_id("grad-linear.weight").inner_text().split()[-1]
        expect(row.get_by_test_id("grad-sum-total")).to_have_text(shown)
        # The lesson card, on screen with its action, keeps .grad and the same sum in view.
        card = page.get_by_test_id("lesson-grad-sum-linear.weight")
        for key in ("data-previous", "data-own", "data-total"):
            assert card.get_attribute(key) == row.get_attribute(key)
        expect(card).to_contain_text(f"= {shown}")
        for target in (card, page.get_by_test_id("lesson-grad-linear.bias"), action):
            box = target.bounding_box()
            assert box is not None
            assert 0 <= box["y"] and box["y"] + box["height"] <= size[1], box
        save_screenshot(page, f"72-lesson-zero-grad-sum-{size[0]}x{size[1]}")
    finally:
        page.context.close()


# ---------------------------------------------------------------- an earlier iteration's graph


def stale(page: Page) -> str | None:
    """The iteration the graph panel says its graph is from (None: it is this one's)."""
    mark = page.get_by_test_id("graph-stale")
    return mark.get_attribute("data-iteration") if mark.count() else None


def test_graph_of_an_earlier_iteration_is_marked(page: Page) -> None:
    for phase in ["forward", "loss", "zero_grad", "backward"]:
        step_phase(page, phase)
        assert stale(page) is None, phase
    step_phase(page, "step")
    # backward() freed iteration 0's graph: the panel says the drawing is iteration 0's.
    expect(page.get_by_test_id("graph-stale")).to_have_attribute("data-iteration", "0")
    expect(page.get_by_test_id("graph-stale")).to_contain_text("iteration 0")
    step_phase(page, "forward")  # the next forward builds iteration 1's graph
    expect(page.get_by_test_id("graph-stale")).to_have_count(0)
    step_phase(page, "loss")
    step_iteration(page)  # the rest of iteration 1 in one frame (its step)
    expect(page.get_by_test_id("graph-stale")).to_have_attribute("data-iteration", "1")
    save_screenshot(page, "73-graph-stale-after-step")

    # A rewind: back to iteration 1's loss the graph is that iteration's own again.
    page.get_by_role("button", name="Back one frame").click()
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "loss")
    expect(page.get_by_test_id("graph-stale")).to_have_count(0)
    # Continue from here: the run restarts iteration 1 before its forward; the graph drawn is
    # still iteration 1's, which is gone.
    page.get_by_role("button", name="Continue from here").click()
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "")
    expect(page.get_by_test_id("graph-stale")).to_have_attribute("data-iteration", "1")
    step_phase(page, "forward")
    expect(page.get_by_test_id("graph-stale")).to_have_count(0)

    # Reset: iteration 0 again, and the drawing is still iteration 1's.
    page.get_by_role("button", name="Reset").click()
    expect(page.get_by_test_id("iteration")).to_have_attribute("data-value", "0")
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "")
    expect(page.get_by_test_id("graph-stale")).to_have_attribute("data-iteration", "1")
    save_screenshot(page, "74-graph-stale-after-reset")


def test_a_rewound_frame_after_step_is_marked_too(page: Page) -> None:
    step_iteration(page)
    step_phase(page, "forward")
    expect(page.get_by_test_id("graph-stale")).to_have_count(0)
    page.get_by_role("button", name="Back one frame").click()  # the step frame
    expect(page.get_by_test_id("timeline")).to_have_attribute("data-viewing", "true")
    expect(page.get_by_test_id("graph-stale")).to_have_attribute("data-iteration", "0")
