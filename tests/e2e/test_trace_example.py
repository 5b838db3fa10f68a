"""`loopscope trace examples/transformer_charlm.py` in Chromium: the learner's transformer
arrives folded by module, a block opens into its attention, MLP and layer norms, and its
attention into its nodes."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from .conftest import ROOT, save_screenshot
from .tracing import step_phase, traced_page

pytestmark = pytest.mark.e2e

EXAMPLE = ROOT / "examples" / "transformer_charlm.py"


def test_the_example_transformer_opens_block_then_attention(
    browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the machine's few cores are shared
    with traced_page(browser, EXAMPLE, size=(1280, 800)) as page:
        step_phase(page, "forward")
        # The loop around the training step only: not the model's loop over its blocks,
        # nor the sampling loop of generate() written above the training loop.
        expect(page.get_by_test_id("loop-header")).to_have_text(["for it in range(max_iters):"])
        step_phase(page, "loss")
        box = "[data-testid=graph-group][data-group='{}']"
        for block in ("blocks.0", "blocks.1"):
            expect(page.locator(box.format(block))).to_be_attached()
        expect(page.locator(box.format("blocks.0"))).to_have_attribute("data-parts", "4")
        nodes = page.get_by_test_id("graph-node")
        shown = nodes.count()
        members = int(page.locator(box.format("blocks.0")).get_attribute("data-members") or "0")

        page.locator(box.format("blocks.0")).focus()
        page.keyboard.press("Enter")
        for part in ("attn", "ln_1", "ln_2", "mlp"):
            expect(page.locator(box.format(f"blocks.0.{part}"))).to_be_attached()
        expect(page.locator(box.format("blocks.1"))).to_be_attached()
        # The rest of the block are its own nodes (the residual additions).
        parts = page.locator("[data-testid=graph-group][data-group^='blocks.0.']")
        expect(parts).to_have_count(4)
        folded = sum(int(p.get_attribute("data-members") or "0") for p in parts.all())
        own = members - folded
        assert 2 <= own < 5, own
        expect(nodes).to_have_count(shown + own)

        attn = page.locator(box.format("blocks.0.attn"))
        inside = int(attn.get_attribute("data-members") or "0")
        attn.focus()
        page.keyboard.press("Enter")
        expect(nodes).to_have_count(shown + own + inside)
        for name in ("query", "key", "value", "proj"):
            leaf = page.locator("[data-testid=graph-node][data-op=AccumulateGrad]").filter(
                has_text=f"blocks.0.attn.{name}.weight"
            )
            expect(leaf).to_have_count(1)
        page.get_by_test_id("area-graph").scroll_into_view_if_needed()
        save_screenshot(page, "trace-transformer-charlm-attn-open-en")
