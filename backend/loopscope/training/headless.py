"""`loopscope run`: train without capture and log like the notes' reference script."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .session import Session


def run_headless(
    scenario: str, config: dict[str, Any], epochs: int, every: int = 100
) -> Iterator[str]:
    """Yield `Epoch [k/N], Loss: …, w: …, b: …` every `every` epochs (w, b: linear only;
    a language model adds a line of text sampled from it, quoted)."""
    session = Session(scenario, config, history_bytes=0)
    params = list(session.stepper.params.values())
    for epoch in range(1, epochs + 1):
        session.step("epoch", 1, capture=False)
        if epoch % every == 0:
            line = f"Epoch [{epoch}/{epochs}], Loss: {session.stepper.loss_value:.4f}"
            if session.scenario.log_params:
                w, b = (float(p.detach().reshape(-1)[0]) for p in params)
                line += f", w: {w:.2f}, b: {b:.2f}"
            yield line
            if session.text_view is not None:
                yield f"  sample: {session.text_view.sample(session.stepper.iteration)['text']!r}"
