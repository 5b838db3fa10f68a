"""`loopscope trace` on the other test scripts, in Chromium: a language model stepped and
played to its end, a script that raises, one that exits early, one that never trains, and
one whose model lives in a second file."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import torch
from playwright.sync_api import Browser, Page, expect

from .conftest import save_screenshot
from .tracing import SCRIPTS, traced_page, wait_for

pytestmark = pytest.mark.e2e

CHAR_LM = SCRIPTS / "char_lm.py"


def char_lm_first_loss() -> torch.Tensor:
    """The oracle: the script's set-up run as it is, then its loop's first iteration up to
    the loss (the evaluation at iteration 0 draws batches first, so it runs too)."""
    source = CHAR_LM.read_text()
    setup = source[: source.index("for iter in range(max_iters):")]
    first = "losses = estimate_loss()\nxb, yb = get_batch('train')\nlogits, loss = model(xb, yb)\n"
    scope: dict[str, Any] = {"__name__": "oracle", "__file__": str(CHAR_LM)}
    torch.set_num_threads(1)
    exec(compile(setup + first, str(CHAR_LM), "exec"), scope)  # noqa: S102 - our own script
    loss: torch.Tensor = scope["loss"].detach().reshape(-1)
    return loss


def char_lm_line(text: str) -> int:
    lines = CHAR_LM.read_text().splitlines()
    return next(i + 1 for i, line in enumerate(lines) if text in line)


def plain_output(script: str) -> list[str]:
    """What `python script` prints to stdout, line by line."""
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.splitlines()


def phase(page: Page) -> str:
    return page.get_by_test_id("phase").get_attribute("data-phase") or ""


def step_once(page: Page) -> None:
    """Press Step and wait for the next phase (a session re-sent when the model is found
    clears the phase for a moment: the phase is sent again after it)."""
    before = phase(page)
    page.get_by_test_id("control-step").click()
    wait_for(page, lambda: phase(page) not in ("", before), "the next phase")
    page.wait_for_timeout(400)  # a session re-sent right after it (the model found)
    wait_for(page, lambda: phase(page) != "", "the phase sent again after the session")


def play_to_end(page: Page) -> Any:
    slider = page.get_by_test_id("speed")
    slider.fill(slider.get_attribute("max") or "0")
    page.get_by_role("button", name="Play", exact=True).click()
    banner = page.get_by_test_id("end-banner")
    banner.wait_for(timeout=240_000)
    return banner


def test_char_lm_steps_to_its_loss_and_plays_to_the_end(browser: Browser) -> None:
    oracle = char_lm_first_loss()
    with traced_page(browser, CHAR_LM) as page:
        seen: list[str] = []
        shown_loss: str | None = None
        for _ in range(12):  # the loop's phases (the loss comes out of the model's forward)
            step_once(page)
            seen.append(phase(page))
            loss = page.get_by_test_id("loss").get_attribute("data-value")
            if shown_loss is None and loss:
                shown_loss = loss
                # the loss came out of model(xb, yb): it is known from that line on
                code = page.get_by_test_id("code-pane").get_attribute("data-current-line")
                assert code == str(char_lm_line("logits, loss = model(xb, yb)")), seen
            if seen[-1] == "step":
                break
        assert seen[0] == "forward" and seen[-1] == "step", seen
        assert "zero_grad" in seen, seen
        assert shown_loss is not None
        assert torch.equal(torch.tensor([float(shown_loss)]), oracle), (shown_loss, oracle)
        # The evaluation at iteration 0 (under no_grad, in eval mode) is listed as such.
        evaluations = page.get_by_test_id("trace-evaluations")
        expect(evaluations).to_be_attached()
        row = page.get_by_test_id("trace-evaluation").first
        assert int(row.get_attribute("data-calls") or "0") > 0
        banner = play_to_end(page)
        expect(banner).to_have_attribute("data-status", "finished")
        expect(banner).to_have_attribute("data-exit-code", "0")
        # The console holds what a plain run prints, in order (seeded: the same text).
        lines = page.get_by_test_id("console-line")
        expect(lines).to_have_count(len(plain_output("char_lm.py")))
        texts = [t.split("\n", 1)[-1] for t in lines.all_inner_texts()]
        shown = lines.evaluate_all("ls => ls.map(l => l.querySelector('.text').textContent)")
        assert shown == plain_output("char_lm.py"), (shown, texts)
        at = [int(i) for i in lines.evaluate_all("ls => ls.map(l => l.dataset.iteration)")]
        assert at[0] == 0 and at == sorted(at)
        expect(page.get_by_test_id("loss-chart")).to_have_attribute("data-count", "60")


def test_a_failing_script_shows_its_traceback(browser: Browser) -> None:
    with traced_page(browser, SCRIPTS / "raises_midway.py", size=(1280, 720)) as page:
        banner = play_to_end(page)
        expect(banner).to_have_attribute("data-status", "failed")
        expect(banner).to_have_attribute("data-exit-code", "1")
        expect(page.get_by_test_id("end-exception")).to_have_text(
            "ValueError: boom at step 3 (loss 0.531)"
        )
        traceback = page.get_by_test_id("end-traceback")
        raised = traceback.locator("[data-raised=true]")
        expect(raised.first).to_contain_text("line 14, in check")
        expect(raised.last).to_contain_text("raise ValueError")
        # The script's own stderr (the traceback Python printed) is in the console as stderr.
        stderr = page.locator("[data-testid=console-line][data-stream=stderr]")
        expect(stderr.last).to_contain_text("ValueError: boom at step 3")
        # the server stays up: the captured frames can still be scrubbed
        page.get_by_role("button", name="Back one frame").click()
        expect(page.get_by_test_id("timeline")).to_have_attribute("data-viewing", "true")
        save_screenshot(page, "trace-failed-en")


def test_a_script_that_exits_early_shows_its_status(browser: Browser) -> None:
    with traced_page(browser, SCRIPTS / "exits_early.py") as page:
        banner = play_to_end(page)
        expect(banner).to_have_attribute("data-status", "finished")
        expect(banner).to_have_attribute("data-exit-code", "3")
        expect(banner).to_contain_text("exited with status 3")
        line = page.get_by_test_id("console-line")
        expect(line.locator(".text")).to_have_text(["leaving early"])
        # (which iteration a line printed just before sys.exit() belongs to is the server's
        # to say, and not checked here: the page shows the one it is sent)
        expect(line).to_have_attribute("data-stream", "stdout")


def test_a_script_without_training_says_no_step_was_seen(browser: Browser) -> None:
    with traced_page(browser, SCRIPTS / "no_training.py") as page:
        # no phase gate ever opens: the script runs to its end by itself
        page.get_by_test_id("end-banner").wait_for()
        expect(page.get_by_test_id("end-no-step")).to_have_text("No training step was seen.")
        notice = page.locator("[data-testid=trace-notice][data-code=no_training_step]")
        expect(notice).to_contain_text("No optimizer.step() was seen")
        expect(page.get_by_test_id("console-line")).to_have_count(
            len(plain_output("no_training.py"))
        )


def test_a_model_in_a_second_file_is_shown_running_there(browser: Browser) -> None:
    with traced_page(browser, SCRIPTS / "two_files" / "train.py") as page:
        places = []
        for _ in range(5):
            step_once(page)
            elsewhere = page.get_by_test_id("code-elsewhere")
            if elsewhere.count():
                places.append((phase(page), elsewhere.get_attribute("data-place")))
            else:
                line = page.get_by_test_id("code-pane").get_attribute("data-current-line")
                places.append((phase(page), f"train.py:{line}"))
        source = (SCRIPTS / "two_files" / "model.py").read_text().splitlines()
        call = next(i + 1 for i, s in enumerate(source) if "prediction = model(x)" in s)
        loss = next(i + 1 for i, s in enumerate(source) if "F.smooth_l1_loss" in s)
        assert ("forward", f"model.py:{call}") in places
        assert ("loss", f"model.py:{loss}") in places
        expect(page.get_by_test_id("code-elsewhere")).to_have_count(0)  # step is in train.py
