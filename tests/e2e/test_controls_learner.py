"""Controls a learner expects, in real Chromium, checked against torch: run to an epoch as
the notes' log counts it (with progress, stopped by Pause), pause within one frame at top
speed, every setting in the form (set into the running loop or restart, and a note saying
which), and a shared link that lands on the same numbers in a fresh browser."""

from __future__ import annotations

import pytest
import torch
from playwright.sync_api import Browser, Page, expect

from loopscope.training.session import Session

from .conftest import save_screenshot
from .helpers import iteration, open_page, step_iteration, values

pytestmark = pytest.mark.e2e


def torch_run(config: dict[str, object], iterations: int, scenario: str = "linear") -> Session:
    """The backend's own loop (plain torch calls, same seed and config), uncaptured."""
    torch.set_num_threads(1)
    session = Session(scenario, {**config, "device": "cpu"}, history_bytes=0)
    if iterations:
        session.step("iteration", iterations, capture=False)
    return session


def f32(value: float | str) -> torch.Tensor:
    return torch.tensor(float(value), dtype=torch.float32)


def same_params(page: Page, session: Session) -> None:
    for name, p in session.stepper.params.items():
        shown = values(page, f"param-{name}")
        assert shown is not None, name
        assert torch.equal(torch.tensor([float(v) for v in shown]), p.detach().reshape(-1)), name


def open_at_zero(browser: Browser, server_url: str, path: str) -> Page:
    page = open_page(browser, server_url, path, size=(1280, 720))
    expect(page.get_by_test_id("iteration")).to_have_attribute("data-value", "0")
    return page


def run_to(page: Page, target: int, unit: str) -> None:
    page.get_by_test_id("run-to-unit").select_option(unit)
    page.get_by_test_id("run-to-target").fill(str(target))
    page.get_by_role("button", name="Go", exact=True).click()


# ---------------------------------------------------------------- run to


def test_run_to_epoch_1000_shows_the_loss_the_notes_log_prints(page: Page) -> None:
    """The notes' loop is full batch: epoch 1000 = 1000 updates; the log's `Epoch
    [1000/1000], Loss` is the loss computed in that epoch's forward."""
    page.get_by_test_id("run-to-target").fill("1000")
    meaning = page.get_by_test_id("run-to-meaning")
    expect(meaning).to_contain_text("Epoch [1000/")
    expect(meaning).to_contain_text("1000 updates")
    run_to(page, 1000, "epoch")
    expect(page.get_by_test_id("iteration")).to_have_attribute("data-value", "999")
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "step")
    oracle = torch_run({}, 1000)
    loss = page.get_by_test_id("loss").get_attribute("data-value")
    assert loss is not None
    assert torch.equal(f32(loss), f32(oracle.stepper.loss_value or 0.0))
    same_params(page, oracle)


def test_a_long_run_to_shows_progress_and_pause_stops_it_where_torch_agrees(
    browser: Browser, server_url: str
) -> None:
    config = "n_points=2000&batch_size=1"
    page = open_at_zero(browser, server_url, f"/#scenario=linear&{config}&lang=en")
    try:
        run_to(page, 40, "epoch")  # 80 000 iterations: seconds of work
        progress = page.get_by_test_id("run-to-progress")
        expect(progress).to_be_visible()
        page.wait_for_function(
            "() => Number(document.querySelector('[data-testid=run-to-progress]')"
            "?.dataset.done) > 0"
        )
        assert progress.get_attribute("data-total") == "80000"
        save_screenshot(page, "70-controls-run-to-progress")
        page.get_by_role("button", name="Pause", exact=True).click()
        expect(progress).to_have_count(0)
        expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "step")
        ran = iteration(page) + 1
        assert ran < 80_000
        same_params(page, torch_run({"n_points": 2000, "batch_size": 1}, ran))
    finally:
        page.context.close()


# ---------------------------------------------------------------- pause


def test_pause_at_top_speed_stops_within_one_frame_of_the_click(
    browser: Browser, server_url: str
) -> None:
    """Bound: after the click at most one more frame arrives — the play step the server was
    running (one unit when the page keeps up, else the units the rate asked for while the
    page drew one frame). Unpaced play used to deliver 3–23 frames after the click here."""
    page = open_at_zero(browser, server_url, "/#scenario=classify&lang=en")
    try:
        slider = page.get_by_test_id("speed")
        slider.focus()
        page.keyboard.press("End")
        expect(slider).to_have_attribute("data-rate", "60")
        for _ in range(2):
            start = iteration(page)
            page.get_by_role("button", name="Play", exact=True).click()
            page.wait_for_function(
                "n => Number(document.querySelector('[data-testid=iteration]').dataset.value) >= n",
                arg=start + 20,
                timeout=30_000,
            )
            shown, frames = page.evaluate(
                """() => {
                const it = Number(document.querySelector('[data-testid=iteration]').dataset.value);
                const n = Number(document.querySelector('[data-testid=timeline]').dataset.count);
                document.querySelector('[data-testid=control-pause]').click();
                return [it, n];
            }"""
            )
            expect(page.get_by_test_id("controls")).to_have_attribute("data-play-state", "paused")
            page.wait_for_timeout(1500)  # anything still on its way has landed
            after = int(page.get_by_test_id("timeline").get_attribute("data-count") or "0")
            assert after - frames <= 1, (shown, iteration(page), after - frames)
            assert 0 <= iteration(page) - shown <= 60  # one play step: at most 1 s at 60/s
        same_params(page, torch_run({}, iteration(page) + 1, "classify"))
    finally:
        page.context.close()


# ---------------------------------------------------------------- settings


def test_every_setting_is_in_the_form_with_its_bounds(page: Page) -> None:
    page.get_by_test_id("scenario-select").select_option("mlp")
    expect(page.get_by_test_id("param-layers.0.weight")).to_be_attached()
    page.get_by_role("button", name="Run settings").click()
    form = page.get_by_test_id("config-form")
    schema = torch_run({}, 0, "mlp").config.model_json_schema()["properties"]
    shown = set(form.locator("[data-field]").evaluate_all("els => els.map(e => e.dataset.field)"))
    # Adam is chosen: SGD's momentum is the one field not offered until it is.
    assert shown == set(schema) - {"momentum"}
    form.locator("select[name=optimizer]").select_option("momentum")
    expect(form.locator("[data-field=momentum]")).to_be_visible()
    expect(form.locator("[data-field=beta1]")).to_have_count(0)
    expect(form.locator("[data-field=lr] [data-testid=config-hint]")).to_have_text("(0, 10]")
    # A bound from the schema, said in the form's words before anything is sent.
    page.get_by_label("Hidden layer widths").fill("8,99")
    page.get_by_role("button", name="Restart with these settings").click()
    expect(page.locator("[data-testid=config-problem][data-field=hidden]")).to_have_text(
        "Hidden layer widths must be at most 64"
    )


def test_a_new_lr_goes_into_the_running_loop_or_restarts_and_the_page_says_which(
    page: Page,
) -> None:
    for _ in range(3):
        step_iteration(page)
    page.get_by_role("button", name="Run settings").click()
    page.get_by_label("Learning rate").fill("0.02")
    expect(page.get_by_test_id("config-how")).to_contain_text("optimizer.param_groups")
    page.get_by_test_id("config-set").click()
    note = page.get_by_test_id("config-note")
    expect(note).to_have_attribute("data-kind", "set")
    expect(note).to_contain_text("lr 0.02 applied from iteration 3")
    expect(page.get_by_test_id("iteration")).to_have_attribute("data-value", "3")
    save_screenshot(page, "71-controls-set-note")
    step_iteration(page)
    # torch: three iterations at lr 0.01, the fourth at 0.02.
    oracle = torch_run({}, 3)
    oracle.set({"lr": 0.02})
    oracle.step("iteration", 1, capture=False)
    same_params(page, oracle)
    # A data setting cannot go into a running loop: only a restart is offered.
    page.get_by_role("button", name="Run settings").click()
    page.get_by_label("Data points").fill("50")
    expect(page.get_by_test_id("config-set")).to_have_count(0)
    page.get_by_role("button", name="Restart with these settings").click()
    expect(note).to_have_attribute("data-kind", "restart")
    expect(note).to_contain_text("n_points 50")
    expect(page.get_by_test_id("iteration")).to_have_attribute("data-value", "0")


# ---------------------------------------------------------------- a shared link


def test_a_shared_link_lands_on_the_same_numbers_in_a_fresh_browser(
    page: Page, browser: Browser, server_url: str
) -> None:
    for _ in range(2):
        step_iteration(page)
    page.get_by_role("button", name="Run settings").click()
    page.get_by_label("Learning rate").fill("0.005")
    page.get_by_test_id("config-set").click()
    expect(page.get_by_test_id("config-note")).to_have_attribute("data-kind", "set")
    for _ in range(3):
        step_iteration(page)
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "forward")
    page.get_by_test_id("export-button").click()
    expect(page.get_by_test_id("share-place")).to_contain_text("iteration 5 (before")
    link = page.get_by_test_id("share-link").input_value()
    assert "set=2:lr=0.005" in link and "at=5.loss" in link, link
    fresh = browser.new_context(viewport={"width": 1280, "height": 720}, locale="en-US")
    other = fresh.new_page()
    try:
        other.goto(link)
        expect(other.get_by_test_id("phase")).to_have_attribute("data-phase", "forward")
        expect(other.get_by_test_id("iteration")).to_have_attribute("data-value", "5")
        oracle = torch_run({}, 2)
        oracle.set({"lr": 0.005})
        oracle.step("iteration", 3, capture=False)
        oracle.step("phase", 1, capture=False)
        same_params(other, oracle)
        assert values(other, "param-linear.weight") == values(page, "param-linear.weight")
    finally:
        fresh.close()
