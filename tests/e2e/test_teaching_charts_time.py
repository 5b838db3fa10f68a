"""Charts, time travel, lessons that break things, and share/export, in real Chromium.

Every number is checked against plain torch (the oracle) or against a fresh run of the
same engine: the landscape path against the parameters received, a rewound branch against
torch, the lessons' effects against what torch does without zero_grad or with a frozen bias.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from playwright.sync_api import Browser, Page, expect
from torch import nn

from .conftest import SCREENSHOTS, save_screenshot
from .helpers import frame_count, open_page, step_iteration, step_phase, values

pytestmark = pytest.mark.e2e

Shown = list[float | str] | None


# ---------------------------------------------------------------- the oracle


class SimpleNet(nn.Module):
    """The notes' model: one nn.Linear(1, 1)."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


def linear_oracle(
    lrs: list[float], *, skip_zero_grad: bool = False, frozen_bias: bool = False
) -> list[dict[str, torch.Tensor]]:
    """The default `linear` run in plain torch: one entry per iteration, lr per iteration."""
    torch.set_num_threads(1)
    torch.manual_seed(42)
    x = torch.rand(100, 1) * 10
    y = 2 * x + 1 + torch.randn(100, 1) * 0.1
    model = SimpleNet()
    if frozen_bias:
        model.linear.bias.requires_grad_(False)
    optimizer = torch.optim.SGD(model.parameters(), lr=lrs[0])
    criterion = nn.MSELoss()
    out = []
    for lr in lrs:
        for group in optimizer.param_groups:
            group["lr"] = lr
        before = {n: p.detach().clone() for n, p in model.named_parameters()}
        # The gradient of this iteration alone, at these parameters (for the zero_grad lesson).
        alone = torch.autograd.grad(
            criterion(model(x), y), [model.linear.weight], retain_graph=False
        )[0]
        loss = criterion(model(x), y)
        if not skip_zero_grad:
            optimizer.zero_grad()
        loss.backward()
        grad = model.linear.weight.grad
        assert grad is not None
        grads = {"weight": grad.detach().clone(), "weight_alone": alone.detach().clone()}
        optimizer.step()
        out.append(
            {
                "weight_before": before["linear.weight"].reshape(-1),
                "weight": model.linear.weight.detach().clone().reshape(-1),
                "bias": model.linear.bias.detach().clone().reshape(-1),
                "grad": grads["weight"].reshape(-1),
                "grad_alone": grads["weight_alone"].reshape(-1),
            }
        )
    return out


def f32(shown: Shown) -> torch.Tensor:
    assert shown is not None
    return torch.tensor([float(v) for v in shown], dtype=torch.float32)


# ---------------------------------------------------------------- page actions


def weight_and_bias(page: Page) -> tuple[Shown, Shown]:
    return values(page, "param-linear.weight"), values(page, "param-linear.bias")


def scrub_to(page: Page, index: int) -> None:
    """Drag the timeline slider to frame `index` (sets the range input as a drag would)."""
    page.get_by_test_id("timeline-slider").evaluate(
        """(el, index) => {
            el.value = String(index);
            el.dispatchEvent(new Event("input", { bubbles: true }));
        }""",
        index,
    )


def start_lesson(page: Page, lesson: str) -> None:
    page.get_by_test_id("lessons-button").click()
    page.get_by_test_id(f"lesson-{lesson}").click()
    expect(page.get_by_test_id("lesson-card")).to_have_attribute("data-lesson", lesson)


def wait_for_hash(page: Page, fragment: str) -> None:
    """The URL hash follows each session event: it names the run the server now holds."""
    page.wait_for_function(f"() => location.hash.includes({json.dumps(fragment)})")


# ---------------------------------------------------------------- charts


def test_contour_path_follows_the_parameters_received(page: Page) -> None:
    expect(page.get_by_test_id("landscape")).to_be_visible()
    expect(page.get_by_test_id("landscape-valley")).to_contain_text("long, narrow valley")
    w, b = weight_and_bias(page)
    assert w is not None and b is not None
    received = [[w[0], b[0]]]
    for _ in range(3):
        step_iteration(page)
        w, b = weight_and_bias(page)
        assert w is not None and b is not None
        received.append([w[0], b[0]])
    path = json.loads(page.get_by_test_id("landscape-path").get_attribute("data-points") or "[]")
    assert path == received
    # At a step frame: the step torch took (before → after) and the gradient it used.
    step = page.get_by_test_id("landscape-step")
    expect(step).to_be_visible()
    assert json.loads(step.get_attribute("data-to") or "[]") == pytest.approx(
        [float(v) for v in received[-1]]
    )
    assert json.loads(step.get_attribute("data-from") or "[]") == pytest.approx(
        [float(v) for v in received[-2]]
    )
    expect(page.get_by_test_id("landscape-grad")).to_be_visible()
    # Phase by phase, the path only moves on step().
    for phase in ["forward", "loss", "zero_grad", "backward"]:
        step_phase(page, phase)
    path = json.loads(page.get_by_test_id("landscape-path").get_attribute("data-points") or "[]")
    assert len(path) == 4
    step_phase(page, "step")
    path = json.loads(page.get_by_test_id("landscape-path").get_attribute("data-points") or "[]")
    w, b = weight_and_bias(page)
    assert w is not None and b is not None
    assert path[-1] == [w[0], b[0]] and len(path) == 5
    # The loss chart has one point per completed iteration; the fit is the model's line.
    expect(page.get_by_test_id("loss-chart")).to_have_attribute("data-count", "4")
    expect(page.get_by_test_id("fit-model")).to_have_attribute("data-kind", "line")
    page.get_by_test_id("loss-scale-linear").click()
    expect(page.get_by_test_id("loss-chart")).to_have_attribute("data-scale", "linear")
    page.get_by_test_id("loss-scale-log").click()
    page.wait_for_timeout(900)
    save_screenshot(page, "30-charts-linear")
    page.get_by_test_id("landscape").screenshot(path=str(SCREENSHOTS / "30b-landscape.png"))


def test_fit_chart_for_mlp_and_classify(page: Page) -> None:
    page.get_by_test_id("scenario-select").select_option("mlp")
    expect(page.get_by_test_id("param-layers.2.weight")).to_be_attached()
    expect(page.get_by_test_id("fit-model")).to_have_attribute("data-kind", "curve")
    expect(page.get_by_test_id("landscape")).to_have_count(0)
    before = page.get_by_test_id("fit-model").get_attribute("data-values")
    page.get_by_role("button", name="Step iteration", exact=True).click()
    expect(page.get_by_test_id("fit-model")).not_to_have_attribute("data-values", before or "")
    page.get_by_test_id("scenario-select").select_option("classify")
    expect(page.get_by_test_id("fit-chart")).to_have_attribute("data-kind", "regions")
    for _ in range(3):
        page.get_by_role("button", name="Step iteration", exact=True).click()
    expect(page.get_by_test_id("loss-chart")).to_have_attribute("data-count", "3")
    page.get_by_test_id("fit-chart").scroll_into_view_if_needed()
    page.wait_for_timeout(600)
    save_screenshot(page, "31-charts-classify")


# ---------------------------------------------------------------- time travel


def test_scrub_back_shows_earlier_values_and_continuing_matches_torch(page: Page) -> None:
    weights = [values(page, "param-linear.weight")]
    for _ in range(3):
        step_iteration(page)
        weights.append(values(page, "param-linear.weight"))
    oracle = linear_oracle([0.01, 0.01, 0.01])
    for i in range(3):
        assert torch.equal(f32(weights[i + 1]), oracle[i]["weight"])

    page.get_by_role("button", name="Back one frame").click()
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_have_attribute("data-viewing", "true")
    expect(page.get_by_test_id("param-linear.weight")).to_have_attribute(
        "data-value", json.dumps(weights[2])
    )
    expect(page.get_by_test_id("loss-chart")).to_have_attribute("data-count", "2")
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_test_id("param-linear.weight")).to_have_attribute(
        "data-value", json.dumps(weights[1])
    )
    landscape_path = json.loads(
        page.get_by_test_id("landscape-path").get_attribute("data-points") or "[]"
    )
    assert len(landscape_path) == 2
    plan = page.get_by_test_id("continue-plan")
    expect(plan).to_have_attribute("data-iteration", "1")
    expect(plan).to_have_attribute("data-rerun", "false")
    page.wait_for_timeout(300)
    save_screenshot(page, "32-time-travel")

    # Continue from the state after iteration 0: the same numbers as the first run (and torch).
    page.get_by_role("button", name="Continue from here").click()
    expect(timeline).to_have_attribute("data-viewing", "false")
    expect(page.get_by_test_id("param-linear.weight")).to_have_attribute(
        "data-value", json.dumps(weights[1])
    )
    expect(timeline).to_have_attribute("data-count", "3")  # session, step 0, the rewind
    for i in (1, 2):
        step_iteration(page)
        shown = values(page, "param-linear.weight")
        assert shown == weights[i + 1]
        assert torch.equal(f32(shown), oracle[i]["weight"])
    expect(page.get_by_test_id("loss-chart")).to_have_attribute("data-count", "3")

    # Branch again from the same point with another learning rate.
    scrub_to(page, 1)
    expect(page.get_by_test_id("param-linear.weight")).to_have_attribute(
        "data-value", json.dumps(weights[1])
    )
    page.get_by_test_id("continue-lr").fill("0.02")
    page.get_by_role("button", name="Continue from here").click()
    wait_for_hash(page, "lr=0.02")
    step_iteration(page)
    branch = linear_oracle([0.01, 0.02])
    assert torch.equal(f32(values(page, "param-linear.weight")), branch[1]["weight"])
    expect(page.get_by_text("lr=0.02").first).to_be_visible()


def test_continuing_from_the_middle_of_an_iteration_reruns_it(page: Page) -> None:
    step_iteration(page)
    for phase in ["forward", "loss", "zero_grad", "backward"]:
        step_phase(page, phase)
    grad_in_iteration_1 = values(page, "grad-linear.weight")
    page.get_by_role("button", name="Back one frame").click()
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "zero_grad")
    plan = page.get_by_test_id("continue-plan")
    expect(plan).to_have_attribute("data-rerun", "true")
    expect(plan).to_contain_text("iteration 1 runs again from its forward phase")
    page.get_by_role("button", name="Continue from here").click()
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "")
    for phase in ["forward", "loss", "zero_grad", "backward"]:
        step_phase(page, phase)
    assert values(page, "grad-linear.weight") == grad_in_iteration_1


# ---------------------------------------------------------------- lessons


def test_lesson_forget_zero_grad_accumulates_gradients(page: Page) -> None:
    start_lesson(page, "no-zero-grad")
    wait_for_hash(page, "skip_zero_grad=true")
    action = page.get_by_test_id("lesson-action")
    grads = []
    for _ in range(2):
        before = frame_count(page)
        action.click()  # one iteration, its five phases one frame each
        expect(page.get_by_test_id("timeline")).to_have_attribute("data-count", str(before + 5))
        grads.append(values(page, "grad-linear.weight"))
    oracle = linear_oracle([0.01, 0.01], skip_zero_grad=True)
    g0, g1 = oracle[0]["grad_alone"], oracle[1]["grad_alone"]
    # After two iterations .grad is the sum of both iterations' own gradients (float32 +=).
    assert torch.equal(f32(grads[1]), g0 + g1)
    assert torch.equal(f32(grads[1]), oracle[1]["grad"])
    assert torch.equal(f32(grads[0]), g0)
    assert not torch.equal(f32(grads[1]), g1)
    page.wait_for_timeout(600)
    save_screenshot(page, "33-lesson-zero-grad")


def test_lesson_learning_rate_too_high_diverges_visibly(page: Page) -> None:
    start_lesson(page, "lr-too-high")
    wait_for_hash(page, "lr=0.03")
    page.get_by_test_id("lesson-action").click()
    expect(page.get_by_test_id("diverged")).to_be_visible(timeout=20_000)
    loss = page.get_by_test_id("loss").get_attribute("data-value")
    assert loss in ("Infinity", "NaN")
    expect(page.get_by_test_id("loss")).to_have_text("∞" if loss == "Infinity" else "NaN")
    chart = page.get_by_test_id("loss-chart")
    assert int(chart.get_attribute("data-nonfinite") or "0") >= 1
    expect(chart).to_have_attribute("data-count", "300")
    expect(page.get_by_test_id("loss-nonfinite").first).to_be_visible()
    expect(page.get_by_test_id("landscape-outside")).to_be_visible()
    page.wait_for_timeout(600)
    save_screenshot(page, "34-lesson-diverged")


def test_lesson_frozen_bias_has_no_accumulate_grad_and_no_update(page: Page) -> None:
    start_lesson(page, "frozen-bias")
    wait_for_hash(page, "frozen=linear.bias")
    weight0, bias0 = weight_and_bias(page)
    page.get_by_test_id("lesson-action").click()
    expect(page.get_by_test_id("param-linear.weight")).not_to_have_attribute(
        "data-value", json.dumps(weight0)
    )
    weight1, bias1 = weight_and_bias(page)
    assert bias1 == bias0
    assert values(page, "grad-linear.bias") is None
    oracle = linear_oracle([0.01], frozen_bias=True)
    assert torch.equal(f32(weight1), oracle[0]["weight"])
    assert torch.equal(f32(bias1), oracle[0]["bias"])
    nodes = page.get_by_test_id("graph-node")
    expect(nodes.and_(page.locator("[data-node-id='AccumulateGrad:linear.weight']"))).to_have_count(
        1
    )
    expect(nodes.and_(page.locator("[data-node-id='AccumulateGrad:linear.bias']"))).to_have_count(0)
    path = json.loads(page.get_by_test_id("landscape-path").get_attribute("data-points") or "[]")
    assert len(path) == 2 and path[0][1] == path[1][1]
    page.wait_for_timeout(900)
    save_screenshot(page, "35-lesson-frozen-bias")


def test_lesson_batch_sizes_compares_gd_sgd_and_minibatch(page: Page) -> None:
    start_lesson(page, "batch-sizes")
    chart = page.get_by_test_id("compare-chart")
    expect(chart).to_have_attribute("data-status", "done", timeout=30_000)
    expect(chart).to_have_attribute("data-runs", "3")
    runs = page.get_by_test_id("compare-run")
    kinds = runs.evaluate_all("els => els.map(e => [e.dataset.kind, Number(e.dataset.iterations)])")
    assert sorted(kinds) == [["gd", 30], ["minibatch", 300], ["sgd", 3000]]
    direct = page.request.post(
        "/api/compare",
        data={"scenario": "linear", "config": {}, "variants": [{"batch_size": None}], "epochs": 30},
    ).json()
    last_gd = runs.and_(page.locator("[data-kind=gd]")).get_attribute("data-last")
    assert last_gd == str(direct["runs"][0]["losses"][-1])
    page.wait_for_timeout(400)
    save_screenshot(page, "36-lesson-batch-sizes")
    page.get_by_role("button", name="This run's loss").click()
    expect(page.get_by_test_id("loss-chart")).to_be_visible()


# ---------------------------------------------------------------- share and export


def test_a_link_with_a_config_reproduces_the_run(browser: Browser, server_url: str) -> None:
    page = open_page(browser, server_url, "/#scenario=linear&lr=0.02")
    try:
        expect(page.get_by_text("optimizer = SGD(model.parameters(), lr=0.02)")).to_be_visible()
        page.wait_for_function("() => location.hash === '#scenario=linear&lr=0.02&lang=en'")
        page.get_by_role("button", name="Step iteration", exact=True).click()
        expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "step")
        oracle = linear_oracle([0.02])
        assert torch.equal(f32(values(page, "param-linear.weight")), oracle[0]["weight"])
        page.get_by_test_id("export-button").click()
        link = page.get_by_test_id("share-link").input_value()
        # The link also holds the position: after one iteration, before forward of the next.
        assert link == f"{server_url}/#scenario=linear&lr=0.02&at=1&lang=en"
        # Editing the hash in place starts the run it names.
        page.evaluate("() => { location.hash = '#scenario=linear&lr=0.005&lang=en'; }")
        expect(page.get_by_text("optimizer = SGD(model.parameters(), lr=0.005)")).to_be_visible()
    finally:
        page.context.close()


def test_a_link_chooses_scenario_and_language(browser: Browser, server_url: str) -> None:
    page = open_page(browser, server_url, "/#scenario=mlp&hidden=8&lang=zh")
    try:
        expect(page.get_by_test_id("param-layers.0.weight")).to_be_attached()
        expect(page.get_by_test_id("lang-toggle")).to_have_text("English")
        # hidden=8: the first layer's weight is (8, 1).
        expect(page.locator("div[data-param='layers.0.weight']")).to_contain_text("(8, 1)")
        for _ in range(3):  # accessible names follow the language
            page.get_by_role("button", name="走一次迭代", exact=True).click()
        expect(page.get_by_test_id("loss-chart")).to_have_attribute("data-count", "3")
        page.get_by_test_id("charts-toggle").scroll_into_view_if_needed()
        page.get_by_role("button", name="后退一帧").click()
        expect(page.get_by_test_id("timeline")).to_have_attribute("data-viewing", "true")
        page.wait_for_timeout(500)
        save_screenshot(page, "37-link-mlp-zh")
    finally:
        page.context.close()


def test_a_link_with_a_bad_value_says_so_and_runs_the_defaults(
    browser: Browser, server_url: str
) -> None:
    page = open_page(browser, server_url, "/#scenario=linear&lr=-1")
    try:
        expect(page.get_by_test_id("error")).to_have_attribute("data-field", "config.lr")
        expect(page.get_by_test_id("error")).to_contain_text("Learning rate must be greater than 0")
        expect(page.get_by_test_id("param-linear.weight")).to_have_attribute(
            "data-value", "[0.1446575]"
        )
    finally:
        page.context.close()


def test_export_the_run_as_json_and_the_graph_as_svg_and_png(page: Page, tmp_path: Path) -> None:
    for phase in ["forward", "loss", "zero_grad", "backward", "step"]:
        step_phase(page, phase)
    weight = values(page, "param-linear.weight")
    page.get_by_test_id("export-button").click()
    with page.expect_download() as info:
        page.get_by_test_id("export-json").click()
    run_file = tmp_path / "run.json"
    info.value.save_as(run_file)
    assert info.value.suggested_filename.endswith(".json")
    run = json.loads(run_file.read_text())
    assert run["format"] == "loopscope-run" and run["scenario"] == "linear"
    kinds = [(f["type"], f.get("phase")) for f in run["frames"]]
    assert kinds == [
        ("session", None),
        ("phase", "forward"),
        ("graph", None),
        ("phase", "loss"),
        ("phase", "zero_grad"),
        ("phase", "backward"),
        ("phase", "step"),
    ]
    assert run["frames"][0]["token"] == ""
    assert run["frames"][-1]["params"]["linear.weight"]["values"] == weight

    page.get_by_test_id("export-button").click()
    with page.expect_download() as info:
        page.get_by_test_id("export-svg").click()
    svg_file = tmp_path / "graph.svg"
    info.value.save_as(svg_file)
    svg = svg_file.read_text()
    assert svg.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert "viewBox" in svg and "AddmmBackward0" in svg and "AccumulateGrad" in svg

    page.get_by_test_id("export-button").click()
    with page.expect_download() as info:
        page.get_by_test_id("export-png").click()
    png_file = tmp_path / "graph.png"
    info.value.save_as(png_file)
    assert png_file.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The exported picture, kept with the screenshots to look at.
    target = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    (target / "38-exported-graph.png").write_bytes(png_file.read_bytes())
