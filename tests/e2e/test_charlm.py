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
    rows = page.get_by_test_id("charlm-rows").locator("svg")
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
