"""Fixtures for the delivery-layer tests."""

from __future__ import annotations

from typing import Any

import pytest

from ._common import exact_pins, load_pyproject


@pytest.fixture(scope="session")
def pyproject() -> dict[str, Any]:
    return load_pyproject()


@pytest.fixture(scope="session")
def runtime_pins(pyproject: dict[str, Any]) -> dict[str, str]:
    return exact_pins(pyproject["project"]["dependencies"])


@pytest.fixture(scope="session")
def dev_pins(pyproject: dict[str, Any]) -> dict[str, str]:
    return exact_pins(pyproject["project"]["optional-dependencies"]["dev"])
