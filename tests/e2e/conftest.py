"""End-to-end fixtures: a real loopscope server in a subprocess and headless Chromium.

The server is `loopscope.server.app:create_app(Settings(...))` under uvicorn on 127.0.0.1 with
a free port; it serves the built UI (backend/loopscope/static, `make frontend-build`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
STATIC_INDEX = ROOT / "backend" / "loopscope" / "static" / "index.html"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("LOOPSCOPE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# The server process: same Settings object the CLI builds, one torch thread, quiet logs.
SERVER_CODE = """
import sys, torch, uvicorn
from loopscope.server.app import create_app
from loopscope.config import Settings
port = int(sys.argv[1])
torch.set_num_threads(1)
app = create_app(Settings(host="127.0.0.1", port=port, device="cpu", torch_threads=1))
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before /api/health")
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url}/api/health did not answer within {timeout:.0f} s")


@contextmanager
def serving(
    args: Callable[[int], list[str]], timeout: float = 60.0, quiet: bool = False
) -> Iterator[str]:
    """A server started as `python *args(port)` on a free port, serving the built UI; yields
    its base URL once /api/health answers and stops it after (`quiet`: its output dropped)."""
    if not STATIC_INDEX.is_file():
        pytest.fail(f"{STATIC_INDEX} is missing: build the UI first (make frontend-build)")
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "backend")}
    output = subprocess.DEVNULL if quiet else None
    process = subprocess.Popen([sys.executable, *args(port)], env=env, stdout=output, stderr=output)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, timeout)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """Base URL of a loopscope server running for the whole test session."""
    with serving(lambda port: ["-c", SERVER_CODE, str(port)]) as url:
        yield url


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM} (make chromium installs Debian's)")
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class PageProblems:
    """Console errors and uncaught exceptions a page produced."""

    messages: list[str] = field(default_factory=list)


@pytest.fixture
def page(browser: Browser, server_url: str) -> Iterator[Page]:
    """A fresh English page on the app, connected; fails the test on console errors."""
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="en-US", base_url=server_url
    )
    page = context.new_page()
    problems = PageProblems()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.messages.append(f"console error: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.messages.append(f"page error: {error}"))
    page.goto("/")
    page.locator("[data-testid=connection][data-state=open]").wait_for()
    page.get_by_test_id("param-linear.weight").wait_for()
    yield page
    context.close()
    assert not problems.messages, "\n".join(problems.messages)


def save_screenshot(page: Page, name: str) -> Path:
    """Save a full-window screenshot to artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
