"""A learner opens charlm and steps one iteration: the batch as characters, softmax and
cross-entropy at one position, the embedding rows used and the rows with a gradient, the
sample and ln(vocab_size), each checked against plain torch from the same seed."""

from __future__ import annotations

import math

import pytest
import torch
from playwright.sync_api import Page, expect

from loopscope.training.scenarios import SCENARIOS, build

from .conftest import save_screenshot
from .helpers import PHASES, step_phase

pytestmark = pytest.mark.e2e


def torch_first_iteration() -> dict[str, object]:
    """The oracle: charlm's defaults in plain torch — the first batch, its logits, and the
    embedding gradient backward leaves."""
    torch.set_num_threads(1)
    sc = SCENARIOS["charlm"]
    config = sc.validate({"device": "cpu"})
    built = build(sc, config)
    assert built.windows is not None
    generator = torch.Generator().manual_seed(config.seed)
    idx, targets = built.windows.draw(built.x, built.y, generator)
    logits = built.model(idx)
    loss = torch.nn.functional.cross_entropy(logits, targets)
    built.optimizer.zero_grad()
    loss.backward()
    grad = built.model.get_parameter("token_embedding.weight").grad
    assert grad is not None
    nonzero = (grad != 0).any(dim=1).nonzero().view(-1).tolist()
    return {
        "idx": idx,
        "targets": targets,
        "logits": logits.detach(),
        "used": sorted(set(idx.view(-1).tolist())),
        "grad_rows": nonzero,
        "vocab": len(built.model.get_parameter("lm_head.bias")),
    }


def test_charlm_panels_show_torchs_numbers(page: Page) -> None:
    oracle = torch_first_iteration()
    page.goto("/#scenario=charlm")
    panel = page.get_by_test_id("language-panel")
    expect(panel).to_be_visible()
    uniform = page.get_by_test_id("charlm-uniform")
    vocab = oracle["vocab"]
    assert isinstance(vocab, int)
    assert float(uniform.get_attribute("data-value") or "nan") == pytest.approx(math.log(vocab))

    step_phase(page, "forward")
    rows = page.get_by_test_id("charlm-rows-grid")
    used = oracle["used"]
    assert isinstance(used, list)
    expect(rows).to_have_attribute("data-used", str(len(used)))
    first = page.get_by_test_id("charlm-window").first.locator(".chars.in")
    idx = oracle["idx"]
    assert isinstance(idx, torch.Tensor)
    assert len(first.get_attribute("data-chars") or "") == idx.shape[1]

    step_phase(page, "loss")
    line = page.get_by_test_id("charlm-position-loss")
    position = int(line.get_attribute("data-position") or "-1")
    targets, logits = oracle["targets"], oracle["logits"]
    assert isinstance(targets, torch.Tensor) and isinstance(logits, torch.Tensor)
    assert int(line.get_attribute("data-target") or "-1") == int(targets[position])
    expected = -torch.log_softmax(logits[position], dim=-1)[targets[position]]
    shown = torch.tensor(float(line.get_attribute("data-loss") or "nan"), dtype=torch.float32)
    assert torch.equal(shown, expected), (shown, expected)
    bars = page.get_by_test_id("charlm-bar")
    top = torch.topk(torch.softmax(logits[position], dim=-1), bars.count())
    assert [int(bars.nth(i).get_attribute("data-id") or "-1") for i in range(bars.count())] == (
        top.indices.tolist()
    )

    step_phase(page, PHASES[2])
    step_phase(page, "backward")
    grad_rows = oracle["grad_rows"]
    assert isinstance(grad_rows, list)
    expect(rows).to_have_attribute("data-grad", str(len(grad_rows)))
    expect(page.get_by_test_id("charlm-grad-rows")).to_have_attribute(
        "data-same", str(grad_rows == used).lower()
    )
    step_phase(page, "step")
    expect(page.get_by_test_id("loss-chart")).to_have_attribute(
        "data-uniform", str(math.log(vocab))
    )
    page.get_by_test_id("area-charts").scroll_into_view_if_needed()
    save_screenshot(page, "charlm-en")
    page.get_by_test_id("lang-toggle").click()
    expect(page.get_by_test_id("language-panel")).to_be_visible()
    save_screenshot(page, "charlm-zh")


def test_the_learner_picks_the_position_the_softmax_box_shows(page: Page) -> None:
    oracle = torch_first_iteration()
    page.goto("/#scenario=charlm")
    expect(page.get_by_test_id("language-panel")).to_be_visible()
    step_phase(page, "forward")
    step_phase(page, "loss")
    idx = oracle["idx"]
    targets, logits = oracle["targets"], oracle["logits"]
    assert isinstance(idx, torch.Tensor)
    assert isinstance(targets, torch.Tensor) and isinstance(logits, torch.Tensor)
    # The third window's fifth character: position 2·T + 4 of the flattened batch.
    picked = 2 * idx.shape[1] + 4
    cell = page.locator(f"[data-testid=charlm-char][data-position='{picked}']")
    cell.click()
    expect(cell).to_have_attribute("aria-pressed", "true")
    line = page.get_by_test_id("charlm-position-loss")
    expect(line).to_have_attribute("data-position", str(picked))
    assert int(line.get_attribute("data-target") or "-1") == int(targets[picked])
    expected = -torch.log_softmax(logits[picked], dim=-1)[targets[picked]]
    shown = torch.tensor(float(line.get_attribute("data-loss") or "nan"), dtype=torch.float32)
    assert torch.equal(shown, expected), (shown, expected)
    bars = page.get_by_test_id("charlm-bar")
    top = torch.topk(torch.softmax(logits[picked], dim=-1), bars.count())
    ids = [int(bars.nth(i).get_attribute("data-id") or "-1") for i in range(bars.count())]
    probs = [float(bars.nth(i).get_attribute("data-prob") or "nan") for i in range(bars.count())]
    assert ids == top.indices.tolist()
    assert torch.equal(torch.tensor(probs, dtype=torch.float32), top.values)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.get_by_test_id("language-panel").scroll_into_view_if_needed()
    save_screenshot(page, "charlm-picked-position-en")


def test_the_rows_lesson_reads_its_numbers_off_the_run(page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    page.get_by_test_id("lessons-button").click()
    page.get_by_test_id("lesson-rows-learn").click()
    card = page.get_by_test_id("lesson-card")
    expect(card).to_have_attribute("data-lesson", "rows-learn")
    expect(page.get_by_test_id("language-panel")).to_be_visible()
    live = page.get_by_test_id("lesson-live")
    expect(live.locator("li")).to_have_attribute("data-key", "lessonLive.rowsWait")
    action = page.get_by_test_id("lesson-action")
    # The strip scrolls smoothly into view as the lesson opens, and panels above it change
    # height phase by phase: the button is pressed from the keyboard, which layout cannot miss.
    for phase in PHASES:  # one phase per press, as the lesson says
        action.press("Enter")
        # A captured backward of charlm takes seconds on a loaded machine.
        expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", phase, timeout=30_000)
    rows = page.get_by_test_id("charlm-rows-grid")
    used = int(rows.get_attribute("data-used") or "0")
    assert 0 < used < 40  # four windows of eight characters: at most 32 rows
    expect(live.locator("[data-key='lessonLive.gradSame']")).to_be_visible()
    moves = page.get_by_test_id("charlm-moves")
    assert int(moves.get_attribute("data-grad-rows") or "-1") == used
    # The first AdamW step: nothing remembered yet, the other rows only decay.
    assert moves.get_attribute("data-memory-rows") == "0"
    still = float(moves.get_attribute("data-still-shift") or "nan")
    assert 0 < still < float(moves.get_attribute("data-grad-shift") or "0") / 10
    for phase in PHASES:  # a second iteration: rows of the first batch move on exp_avg
        action.press("Enter")
        # A captured backward of charlm takes seconds on a loaded machine.
        expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", phase, timeout=30_000)
    assert int(moves.get_attribute("data-memory-rows") or "0") > 0
    expect(live.locator("[data-key='lessonLive.movedMemory']")).to_be_visible()
    page.get_by_test_id("lesson-point").click()
    save_screenshot(page, "charlm-lesson-rows-en")
    page.get_by_test_id("lang-toggle").click()
    # The page switches once the Chinese webfont has loaded (seconds on a loaded machine).
    expect(card.get_by_role("heading")).to_have_text("只有用到的行才会学习", timeout=15_000)
    save_screenshot(page, "charlm-lesson-rows-zh")


def test_the_uniform_and_sampling_lessons_compare_now_with_the_start(page: Page) -> None:
    page.get_by_test_id("lessons-button").click()
    page.get_by_test_id("lesson-uniform-loss").click()
    expect(page.get_by_test_id("language-panel")).to_be_visible()
    live = page.get_by_test_id("lesson-card").get_by_test_id("lesson-live")
    expect(live.locator("[data-key='lessonLive.lossWait']")).to_be_visible()
    page.get_by_test_id("lesson-action").click()
    expect(live.locator("[data-key='lessonLive.lossBelow']")).to_be_visible(timeout=30_000)
    # The status bar names the iteration the last phase belonged to: the 200th is number 199.
    expect(page.get_by_test_id("iteration")).to_have_attribute("data-value", "199")

    page.get_by_test_id("lessons-button").click()
    page.get_by_test_id("lesson-sampling").click()
    expect(page.get_by_test_id("iteration")).to_have_attribute("data-value", "0")
    expect(live.locator("[data-key='lessonLive.sampleWait']")).to_be_visible()
    page.get_by_test_id("lesson-action").click()
    now = live.locator("[data-key='lessonLive.sampleNow']")
    expect(now).to_contain_text("300", timeout=30_000)
    then = live.locator("[data-key='lessonLive.sampleThen']")
    assert (now.text_content() or "").split("«")[1] != (then.text_content() or "").split("«")[1]
    save_screenshot(page, "charlm-lesson-sampling-en")
