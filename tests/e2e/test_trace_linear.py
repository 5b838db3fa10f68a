"""`loopscope trace` on the notes' linear regression script, in Chromium: step it phase by
phase and check the page's numbers against torch, step an iteration, play, pause, play to
the end, read the console, and restart it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import torch
from playwright.sync_api import Browser, Page, expect

from .helpers import PHASES, values
from .tracing import SCRIPTS, frames, step_phase, traced_page, wait_for

pytestmark = pytest.mark.e2e

SCRIPT = SCRIPTS / "linear_regression.py"


def script_line(text: str) -> int:
    """The 1-based line of the script's loop that holds `text`."""
    lines = SCRIPT.read_text().splitlines()
    return next(i + 1 for i, line in enumerate(lines) if text in line and line.startswith("    "))


def first_iteration_by_torch() -> dict[str, torch.Tensor]:
    """The oracle: the script's own set-up (its lines before the loop, run as they are), then
    one iteration of its loop in plain torch."""
    source = SCRIPT.read_text()
    setup = source[: source.index("for epoch in range(epochs):")]
    scope: dict[str, Any] = {"__name__": "oracle"}
    torch.set_num_threads(1)
    exec(compile(setup, str(SCRIPT), "exec"), scope)  # noqa: S102 - the test's own script
    model, optimizer, criterion = scope["model"], scope["optimizer"], scope["criterion"]
    before = model.linear.weight.detach().clone().reshape(-1)
    loss = criterion(model(scope["x_train"]), scope["y_train"])
    optimizer.zero_grad()
    loss.backward()
    grads = {n: p.grad.clone().reshape(-1) for n, p in model.named_parameters()}
    optimizer.step()
    after = {n: p.detach().clone().reshape(-1) for n, p in model.named_parameters()}
    return {
        "loss": loss.detach().reshape(-1),
        "weight_before": before,
        "weight_grad": grads["linear.weight"],
        "bias_grad": grads["linear.bias"],
        "weight_after": after["linear.weight"],
        "bias_after": after["linear.bias"],
    }


def shown(page: Page, testid: str) -> torch.Tensor:
    raw = values(page, testid)
    assert raw is not None, f"{testid} shows no value"
    return torch.tensor([float(v) for v in raw], dtype=torch.float32)


def test_stepping_the_first_iteration_shows_torch_numbers(browser: Browser) -> None:
    oracle = first_iteration_by_torch()
    with traced_page(browser, SCRIPT) as page:
        # Before the first phase: the script's source, no scenario words, no model yet.
        expect(page.get_by_test_id("scenario-select")).to_have_count(0)
        expect(page.get_by_test_id("run-to")).to_have_count(0)
        expect(page.get_by_test_id("trace-model-pending")).to_be_visible()
        expect(page.get_by_test_id("timeline-traced")).to_contain_text("cannot be re-run")
        expect(page.get_by_test_id("script-console")).to_have_attribute("data-count", "0")
        for phase in PHASES:
            step_phase(page, phase)
            code = page.get_by_test_id("code-pane")
            calls = {
                "forward": "model(x_train)",
                "loss": "criterion(",
                "zero_grad": "zero_grad()",
                "backward": "backward()",
                "step": "optimizer.step()",
            }
            expect(code).to_have_attribute("data-current-line", str(script_line(calls[phase])))
            if phase == "loss":  # the model is known once its output reached the loss
                expect(page.get_by_test_id("param-linear.weight")).to_contain_text("not captured")
            if phase in ("loss", "zero_grad", "backward"):
                loss = page.get_by_test_id("loss").get_attribute("data-value")
                assert loss is not None and loss != ""
                assert torch.equal(torch.tensor([float(loss)]), oracle["loss"])
            if phase == "backward":
                assert torch.equal(shown(page, "grad-linear.weight"), oracle["weight_grad"])
                assert torch.equal(shown(page, "grad-linear.bias"), oracle["bias_grad"])
        # The first update: the notes' numbers, as torch computes them from the script's data.
        assert torch.equal(shown(page, "param-linear.weight"), oracle["weight_after"])
        assert torch.equal(shown(page, "param-linear.bias"), oracle["bias_after"])
        before, after = oracle["weight_before"].item(), oracle["weight_after"].item()
        expect(page.locator("[data-phase-row=step]")).to_contain_text(
            f"weight: {before:.4f} → {after:.4f}"
        )
        formula = page.get_by_test_id("formula-update-linear.weight")
        for key, expected in (
            ("data-before", "weight_before"),
            ("data-grad", "weight_grad"),
            ("data-after", "weight_after"),
        ):
            received = json.loads(formula.get_attribute(key) or "null")
            flat = torch.tensor(received, dtype=torch.float32).reshape(-1)
            assert torch.equal(flat, oracle[expected]), (key, received)
        # One more Step iteration: a whole iteration in one press, the next one's frame.
        count = frames(page)
        page.get_by_role("button", name="Step iteration", exact=True).click()
        wait_for(page, lambda: frames(page) > count, "the iteration's frame")
        expect(page.get_by_test_id("iteration")).to_have_attribute("data-value", "1")


def play_at_top_speed(page: Page) -> None:
    slider = page.get_by_test_id("speed")
    slider.fill(slider.get_attribute("max") or "0")
    expect(slider).to_have_attribute("data-unit", "iteration")  # no epochs in a script
    page.get_by_role("button", name="Play", exact=True).click()


def iteration(page: Page) -> int:
    return int(page.get_by_test_id("iteration").get_attribute("data-value") or "0")


def test_play_pause_end_console_and_restart(browser: Browser) -> None:
    with traced_page(browser, SCRIPT) as page:
        play_at_top_speed(page)
        wait_for(page, lambda: iteration(page) >= 20, "iteration 20 while playing")
        page.get_by_role("button", name="Pause", exact=True).click()
        controls = page.get_by_test_id("controls")
        expect(controls).to_have_attribute("data-play-state", "paused")
        # Paused means the script waits: once the frames already on their way have landed
        # (a busy page lags the server), the iteration stays, well before the script's end.
        shown: list[int] = []

        def settled() -> bool:
            shown.append(iteration(page))
            page.wait_for_timeout(1500)
            return iteration(page) == shown[-1]

        wait_for(page, settled, "the iteration to stay after Pause")
        assert shown[-1] < 1000
        expect(page.get_by_test_id("end-banner")).to_have_count(0)
        # Play to the end: the banner says it finished with exit status 0.
        play_at_top_speed(page)
        banner = page.get_by_test_id("end-banner")
        banner.wait_for(timeout=240_000)
        expect(banner).to_have_attribute("data-status", "finished")
        expect(banner).to_have_attribute("data-exit-code", "0")
        expect(banner).to_contain_text("1000 training iterations")
        # The status bar no longer promises a next phase.
        expect(page.get_by_test_id("next-phase")).to_have_text(
            "the script has ended: nothing runs next"
        )
        # Nothing is left to run: Step, Step iteration and Play are off and say why; Reset
        # is not (it runs the script again).
        for testid in ("control-step", "control-step-iteration", "control-play"):
            expect(page.get_by_test_id(testid)).to_be_disabled()
            expect(page.get_by_test_id(testid)).to_have_attribute(
                "title", re.compile("The script has ended")
            )
        expect(page.get_by_test_id("control-reset")).to_be_enabled()
        # The console: the script's ten prints, in order, each with the iteration it came in.
        lines = page.get_by_test_id("console-line")
        expect(lines).to_have_count(10)
        texts = lines.all_inner_texts()
        for k, text in enumerate(texts):
            assert f"Epoch [{100 * (k + 1)}/1000], Loss:" in text
        streams = lines.evaluate_all("ls => ls.map(l => l.dataset.stream)")
        assert streams == ["stdout"] * 10
        printed_at = [int(i) for i in lines.evaluate_all("ls => ls.map(l => l.dataset.iteration)")]
        # each print follows its epoch's step: printed after 100, 200, ... iterations
        assert printed_at == [100 * (k + 1) for k in range(10)]
        # The loss chart holds every iteration's loss.
        expect(page.get_by_test_id("loss-chart")).to_have_attribute("data-count", "1000")
        # Scrubbing back keeps the console (it is the live process's output, not a frame's).
        page.get_by_role("button", name="Back one frame").click()
        expect(page.get_by_test_id("timeline")).to_have_attribute("data-viewing", "true")
        expect(lines).to_have_count(10)
        # Restart: the confirmation says what it does, then the run starts over.
        page.get_by_test_id("restart-script-button").click()
        expect(page.locator("#restart-script-panel")).to_contain_text("fresh Python process")
        page.get_by_test_id("restart-script-confirm").click()
        expect(page.get_by_test_id("end-banner")).to_have_count(0, timeout=60_000)
        expect(page.get_by_test_id("control-step")).to_be_enabled()
        expect(page.get_by_test_id("script-console")).to_have_attribute("data-count", "0")
        expect(page.get_by_test_id("iteration")).to_have_attribute("data-value", "0")
        step_phase(page, "forward")
        expect(page.get_by_test_id("iteration")).to_have_attribute("data-value", "0")
