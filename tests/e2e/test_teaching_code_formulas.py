"""A learner reads the code, the formulas and the reference proof while stepping the loop.

torch is the oracle: the same run is redone here in plain torch, and the numbers the page
shows in its formulas must be exactly torch's float32 values.
"""

from __future__ import annotations

import re

import pytest
import torch
from playwright.sync_api import Locator, Page, expect
from torch import nn

from .conftest import save_screenshot
from .helpers import PHASES, restart_with, step_phase

pytestmark = pytest.mark.e2e

# What each phase's line of the default linear program says.
PHASE_CODE = {
    "forward": "y_pred = model(x_batch)",
    "loss": "loss = criterion(y_pred, y_batch)",
    "zero_grad": "optimizer.zero_grad()",
    "backward": "loss.backward()",
    "step": "optimizer.step()",
}


class SimpleNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


def torch_steps(optimizer: str, lr: float, iterations: int) -> list[dict[str, dict[str, float]]]:
    """The oracle: the default linear run in plain torch; per step, each parameter's numbers."""
    torch.set_num_threads(1)
    torch.manual_seed(42)
    x = torch.rand(100, 1) * 10
    y = 2 * x + 1 + torch.randn(100, 1) * 0.1
    model = SimpleNet()
    opt: torch.optim.Optimizer
    if optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)
    elif optimizer == "momentum":
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=lr)
    criterion = nn.MSELoss()
    out = []
    for _ in range(iterations):
        loss = criterion(model(x), y)
        opt.zero_grad()
        loss.backward()
        named = dict(model.named_parameters())
        record = {
            name: {"before": p.item(), "grad": p.grad.item() if p.grad is not None else 0.0}
            for name, p in named.items()
        }
        opt.step()
        for name, p in named.items():
            record[name]["after"] = p.item()
        out.append(record)
    return out


def f32(text: str | None) -> float:
    """A received decimal as the float32 it stands for."""
    assert text is not None
    return torch.tensor(float(text), dtype=torch.float32).item()


def current_line(page: Page) -> Locator:
    return page.locator("[data-testid=code-line][data-state=current]")


def open_tab(page: Page, tab: str) -> None:
    page.get_by_test_id(f"explain-tab-{tab}").click()
    expect(page.get_by_test_id(f"explain-tab-{tab}")).to_have_attribute("aria-selected", "true")


def test_highlighted_line_follows_the_phase(page: Page) -> None:
    pane = page.get_by_test_id("code-pane")
    expect(page.locator("[data-testid=code-line][data-state=next]")).to_contain_text(
        PHASE_CODE["forward"]
    )
    expect(current_line(page)).to_have_count(0)
    for phase in PHASES:  # five Steps: one iteration, every phase once
        step_phase(page, phase)
        expect(current_line(page)).to_have_count(1)
        expect(current_line(page)).to_contain_text(PHASE_CODE[phase])
        line = current_line(page).get_attribute("data-line")
        expect(pane).to_have_attribute("data-current-line", line or "?")
        # The line is scrolled into view inside the pane.
        expect(current_line(page)).to_be_in_viewport()
        narration = page.get_by_test_id("narration")
        expect(narration).to_have_attribute("data-phase", phase)
        expect(narration).to_contain_text(f"Line {line}")
        if phase == "backward":
            save_screenshot(page, "20-code-backward")
    # After step the next line is forward again: the loop goes round.
    expect(page.locator("[data-testid=code-line][data-state=next]")).to_contain_text(
        PHASE_CODE["forward"]
    )


def test_hover_shows_live_values(page: Page) -> None:
    step_phase(page, "forward")
    token = page.locator(".tok.live[data-symbol=y_pred]").first
    token.hover()
    hover = page.get_by_test_id("code-hover")
    expect(hover).to_be_visible()
    expect(hover).to_have_attribute("data-symbol", "y_pred")
    expect(hover).to_contain_text("(100, 1)")
    step_phase(page, "loss")
    page.locator(".tok.live[data-symbol=loss]").first.hover()
    loss = page.get_by_test_id("loss").get_attribute("data-value")
    expect(hover).to_contain_text("MseLossBackward0")
    expect(hover).to_contain_text(f"{float(loss or 'nan'):.6f}"[:6])
    page.locator(".tok.live[data-symbol='self.linear']").first.hover()
    expect(hover).to_contain_text("model.linear.weight")
    expect(hover).to_contain_text(".grad")
    save_screenshot(page, "21-code-hover")


def test_update_formula_numbers_equal_torch(page: Page) -> None:
    oracle = torch_steps("sgd", 0.01, 2)
    for iteration in range(2):
        for phase in PHASES:
            step_phase(page, phase)
        for name in ("linear.weight", "linear.bias"):
            box = page.get_by_test_id(f"formula-update-{name}")
            expect(box).to_be_visible()
            want = oracle[iteration][name]
            assert f32(box.get_attribute("data-before")) == want["before"]
            assert f32(box.get_attribute("data-grad")) == want["grad"]
            assert float(box.get_attribute("data-lr") or "nan") == 0.01
            assert f32(box.get_attribute("data-after")) == want["after"]
            # The server's replay of step() on clones gives torch's bits, and the page says so.
            expect(box).to_have_attribute("data-same-bits", "true")
            assert f32(box.get_attribute("data-replayed")) == want["after"]
            expect(box).to_contain_text("the same bits ✓")
    # The first step is the example from the brief: the shown digits give 1.579777.
    page.get_by_role("button", name="Reset").click()
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "")
    for phase in PHASES:
        step_phase(page, phase)
    weight = page.get_by_test_id("formula-update-linear.weight")
    expect(weight).to_contain_text("torch (float32): 1.5797346")
    expect(weight).to_contain_text("Decimal arithmetic on the digits shown above: 1.579777")
    # KaTeX rendered under the page's CSP, with its fonts.
    expect(page.locator("[data-testid=formula-panel] .katex").first).to_be_visible()
    loaded = page.evaluate("document.fonts.load('16px KaTeX_Main').then(faces => faces.length)")
    assert loaded > 0, "KaTeX's font did not load (CSP font-src?)"
    for section in ("loss", "grad", "chain"):
        expect(page.get_by_test_id(f"formula-{section}").locator(".katex").first).to_be_visible()
    # weight.grad = Σ ∂loss/∂ŷᵢ·xᵢ: torch's float32 matmul sum is within a step or two of exact.
    chain = page.get_by_test_id("formula-chain-linear.weight")
    expect(chain).to_contain_text("Exact sum: -143.50771")
    assert int(chain.get_attribute("data-ulps") or "99") <= 2
    page.wait_for_timeout(600)
    save_screenshot(page, "22-formulas")


@pytest.mark.parametrize("optimizer,lr", [("adam", "0.1"), ("momentum", "0.01")])
def test_optimizer_state_formulas_equal_torch(page: Page, optimizer: str, lr: str) -> None:
    restart_with(page, optimizer, lr)
    oracle = torch_steps(optimizer, float(lr), 2)
    for iteration in range(2):
        for phase in PHASES:
            step_phase(page, phase)
        box = page.get_by_test_id("formula-update-linear.weight")
        assert f32(box.get_attribute("data-after")) == oracle[iteration]["linear.weight"]["after"]
        expect(box).to_have_attribute("data-same-bits", "true")
        expect(box).to_have_attribute("data-prior", "initial" if iteration == 0 else "previous")
    key = "exp_avg_sq" if optimizer == "adam" else "momentum_buffer"
    state = f"optimizer.state['{key}'] after step():"
    expect(page.get_by_test_id("formula-update-linear.weight")).to_contain_text(state)
    page.get_by_test_id("formula-update").scroll_into_view_if_needed()
    save_screenshot(page, f"23-formulas-{optimizer}")


def test_reference_box_keeps_its_id_and_bumps_version(page: Page) -> None:
    open_tab(page, "refs")
    box = page.get_by_test_id("ref-box-linear.weight")
    expect(box).to_be_visible()
    expect(page.get_by_test_id("ref-name-model")).to_have_text("model.linear.weight")
    expect(page.get_by_test_id("ref-name-optimizer")).to_have_text(
        "optimizer.param_groups[0]['params'][0]"
    )
    start_id = box.get_attribute("data-id")
    start_ptr = box.get_attribute("data-data-ptr")
    version = int(box.get_attribute("data-version") or "-1")
    for _ in range(2):
        for phase in PHASES:
            step_phase(page, phase)
        expect(box).to_have_attribute("data-same", "true")
        assert box.get_attribute("data-id") == start_id
        assert box.get_attribute("data-data-ptr") == start_ptr
        assert int(box.get_attribute("data-version-before") or "-1") == version
        after = int(box.get_attribute("data-version") or "-1")
        assert after == version + 1, (version, after)
        version = after
        expect(page.get_by_test_id("ref-verdict")).to_contain_text("same id, the same data_ptr")
    save_screenshot(page, "24-references")


def test_model_call_unfolded(page: Page) -> None:
    open_tab(page, "call")
    expect(page.get_by_test_id("call-trace")).to_contain_text("Press Step")
    step_phase(page, "forward")
    nodes = page.get_by_test_id("call-node")
    expect(nodes).to_have_count(2)
    # torch ran: model pre-hook, linear pre-hook, linear hook, model hook.
    expect(nodes.nth(0)).to_have_attribute("data-module", "")
    expect(nodes.nth(0)).to_have_attribute("data-pre", "1")
    expect(nodes.nth(0)).to_have_attribute("data-hook", "4")
    expect(nodes.nth(1)).to_have_attribute("data-module", "linear")
    expect(nodes.nth(1)).to_have_attribute("data-pre", "2")
    expect(nodes.nth(1)).to_have_attribute("data-hook", "3")
    expect(nodes.nth(1)).to_contain_text("Linear.forward(self, x)")
    walk = page.get_by_test_id("param-walk").locator("li")
    expect(walk).to_have_count(2)
    assert walk.evaluate_all("items => items.map(i => i.dataset.name)") == [
        "linear.weight",
        "linear.bias",
    ]
    registry = page.get_by_test_id("registry")
    expect(registry).to_contain_text("self.linear = … → _modules['linear']")
    expect(registry).to_contain_text("_parameters: {'weight', 'bias'}")
    expect(page.get_by_test_id("call-trace")).to_contain_text("✓")
    save_screenshot(page, "25-model-call")


RAW_KEY = re.compile(r"\bteach\.[a-zA-Z]+\.[a-zA-Z.]+|\{[a-z]+\}")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_panels_render_in_both_languages(page: Page, lang: str) -> None:
    if lang == "zh":
        page.get_by_test_id("lang-toggle").click()
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    for phase in PHASES:
        step_phase(page, phase)
    page.wait_for_timeout(300)
    texts = [page.get_by_test_id("code-pane").inner_text()]
    texts.append(page.locator("section[aria-labelledby=code-title]").inner_text())
    for tab in ("math", "call", "refs"):
        page.get_by_test_id(f"explain-tab-{tab}").click()
        texts.append(page.locator("#explain-panel").inner_text())
    texts.append(page.locator("section[aria-labelledby=explain-title]").inner_text())
    for text in texts:
        assert not RAW_KEY.search(text), RAW_KEY.search(text)
    narration = page.get_by_test_id("narration").inner_text()
    if lang == "zh":
        assert re.search(r"[\u4e00-\u9fff]", narration), narration
        assert "第" in narration and "行" in narration
    else:
        assert "optimizer.step() moved weight against its gradient" in narration
    page.get_by_test_id("explain-tab-math").click()
    page.wait_for_timeout(300)
    save_screenshot(page, f"26-teaching-{lang}")


def test_classify_shows_cross_entropy_and_nested_calls(page: Page) -> None:
    page.get_by_test_id("scenario-select").select_option("classify")
    expect(page.get_by_test_id("param-layers.2.weight")).to_be_attached()
    for phase in PHASES:
        step_phase(page, phase)
    loss = page.get_by_test_id("formula-loss")
    expect(loss).to_contain_text("CrossEntropyLoss")
    expect(loss.locator(".katex").first).to_be_visible()
    expect(page.get_by_test_id("formula-grad")).to_contain_text("softmax")
    # More than two parameters: one at a time, chosen from a list; Adam matches torch's bits.
    picker = page.get_by_test_id("formula-param")
    expect(picker.locator("option")).to_have_count(6)
    for name in ("layers.0.weight", "layers.4.bias"):
        picker.select_option(name)
        box = page.get_by_test_id(f"formula-update-{name}")
        expect(box).to_have_attribute("data-same-bits", "true")
        expect(box).to_contain_text("m_t")
    page.get_by_test_id("formula-update").scroll_into_view_if_needed()
    save_screenshot(page, "27-classify-formulas")
    open_tab(page, "call")
    nodes = page.get_by_test_id("call-node")
    # MLP → Sequential → Linear, ReLU, Linear, ReLU, Linear: each closes before the next opens.
    expect(nodes).to_have_count(7)
    expect(nodes.nth(1)).to_have_attribute("data-module", "layers")
    expect(nodes.nth(2)).to_have_attribute("data-pre", "3")
    expect(nodes.nth(2)).to_have_attribute("data-hook", "4")
    expect(page.get_by_test_id("param-walk").locator("li")).to_have_count(6)
    save_screenshot(page, "28-classify-calls")
