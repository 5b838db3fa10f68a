"""Fixtures for the engine tests: one torch thread (bit-exact CPU math), CUDA skipping."""

from __future__ import annotations

import warnings

import pytest
import torch

# CPU kernels may split reductions differently with another thread count; one thread
# makes every run (stepper and plain oracle loop) do the very same float operations.
torch.set_num_threads(1)

# starlette.testclient warns at import time when it finds httpx instead of httpx2
# (the dev dependencies pin httpx). Import it once here, with that warning silenced,
# so the suite's filterwarnings=error does not turn the import into a failure.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient`")
    import starlette.testclient  # noqa: F401


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if item.get_closest_marker("cuda") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    """A test may not leave another thread count behind (cli.main sets it, too)."""
    torch.set_num_threads(1)
