"""A learner connects and presses Step five times: one full iteration of the loop."""

from __future__ import annotations

import pytest
import torch
from playwright.sync_api import Page, expect
from torch import nn

from .conftest import save_screenshot
from .helpers import PHASES, current_phase, step_phase, values

pytestmark = pytest.mark.e2e


class SimpleNet(nn.Module):
    """The notes' model: one nn.Linear(1, 1)."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


def torch_first_step() -> dict[str, torch.Tensor]:
    """The oracle: the default linear run's first iteration, in plain torch."""
    torch.set_num_threads(1)
    torch.manual_seed(42)
    x = torch.rand(100, 1) * 10
    y = 2 * x + 1 + torch.randn(100, 1) * 0.1
    model = SimpleNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    criterion = nn.MSELoss()
    before = model.linear.weight.detach().clone()
    y_pred = model(x)
    loss = criterion(y_pred, y)
    optimizer.zero_grad()
    loss.backward()
    assert model.linear.weight.grad is not None and model.linear.bias.grad is not None
    grads = (model.linear.weight.grad.clone(), model.linear.bias.grad.clone())
    optimizer.step()
    return {
        "weight_before": before.reshape(-1),
        "loss": loss.detach().reshape(-1),
        "weight_grad": grads[0].reshape(-1),
        "bias_grad": grads[1].reshape(-1),
        "weight_after": model.linear.weight.detach().reshape(-1),
        "bias_after": model.linear.bias.detach().reshape(-1),
    }


def as_float32(shown: list[float | str] | None) -> torch.Tensor:
    assert shown is not None
    return torch.tensor([float(v) for v in shown], dtype=torch.float32)


def test_page_connects_and_shows_the_objects(page: Page) -> None:
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "open")
    oracle = torch_first_step()
    assert torch.equal(as_float32(values(page, "param-linear.weight")), oracle["weight_before"])
    assert values(page, "grad-linear.weight") is None
    assert current_phase(page) == ""
    # exact: the code pane also shows the program's `model = SimpleNet().to(device)`.
    expect(page.get_by_text("model = SimpleNet()", exact=True)).to_be_visible()
    expect(page.get_by_text("optimizer = SGD(model.parameters(), lr=0.01)")).to_be_visible()
    save_screenshot(page, "01-connected")


def test_five_steps_run_one_iteration_and_match_torch(page: Page) -> None:
    oracle = torch_first_step()
    for phase in PHASES:
        step_phase(page, phase)
        if phase == "loss":
            loss = page.get_by_test_id("loss").get_attribute("data-value")
            assert loss is not None
            assert torch.equal(torch.tensor([float(loss)], dtype=torch.float32), oracle["loss"])
            graph = page.get_by_test_id("graph-node")
            expect(graph.and_(page.locator("[data-op=AddmmBackward0]"))).to_have_count(1)
            expect(graph.and_(page.locator("[data-op=MseLossBackward0]"))).to_have_count(1)
            expect(graph.and_(page.locator("[data-op=AccumulateGrad]"))).to_have_count(2)
            expect(page.get_by_test_id("graph-edge")).to_have_count(4)
        if phase == "zero_grad":
            assert values(page, "grad-linear.weight") is None
        if phase == "backward":
            weight_grad = as_float32(values(page, "grad-linear.weight"))
            assert torch.equal(weight_grad, oracle["weight_grad"])
            assert torch.equal(as_float32(values(page, "grad-linear.bias")), oracle["bias_grad"])
            page.wait_for_timeout(1400)  # let the backward animation finish for the picture
            save_screenshot(page, "02-backward")
    shown = as_float32(values(page, "param-linear.weight"))
    assert torch.equal(shown, oracle["weight_after"]), (shown, oracle["weight_after"])
    assert shown.item() == 1.5797345638275146
    assert torch.equal(as_float32(values(page, "param-linear.bias")), oracle["bias_after"])
    # The loop explains the step with the numbers, and the graph keeps its node ids.
    expect(page.locator("[data-phase-row=step]")).to_contain_text("weight: 0.1447 → 1.5797")
    ids = page.get_by_test_id("graph-node").evaluate_all(
        "nodes => nodes.map(n => n.dataset.nodeId).sort()"
    )
    assert "AccumulateGrad:linear.weight" in ids
    page.wait_for_timeout(1200)
    save_screenshot(page, "03-after-step")
    step_phase(page, "forward")
    ids_next = page.get_by_test_id("graph-node").evaluate_all(
        "nodes => nodes.map(n => n.dataset.nodeId).sort()"
    )
    assert ids_next == ids
