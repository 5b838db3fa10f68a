"""Helpers shared by the delivery-layer tests (packaging, CI script, Docker, Compose)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]


def load_pyproject() -> dict[str, Any]:
    with (REPO / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)


def exact_pins(requirements: list[str]) -> dict[str, str]:
    """Map normalised project name -> pinned version for ``name==version`` requirements.

    Raises AssertionError for anything that is not a plain exact pin.
    """
    pins: dict[str, str] = {}
    for line in requirements:
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"not an exact pin: {line!r}"
        assert "*" not in specs[0].version, f"wildcard pin: {line!r}"
        pins[canonicalize_name(req.name)] = specs[0].version
    return pins


SKIP_DIRS = {".git", ".venv", "node_modules", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


def find_dockerfiles() -> list[Path]:
    """Every Dockerfile in the repository (Dockerfile, Dockerfile.*, *.Dockerfile)."""
    found: list[Path] = []
    for root, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for name in files:
            if (
                name == "Dockerfile"
                or name.startswith("Dockerfile.")
                or name.endswith(".Dockerfile")
            ):
                found.append(Path(root, name))
    return sorted(found)
