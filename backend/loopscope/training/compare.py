"""Runs side by side, headless: the same scenario with a few config variants (e.g. batch sizes).

This is the notes' table made live: gradient descent (full batch), stochastic (batch 1)
and mini-batch runs of one scenario, their loss per iteration and per epoch.
"""

from __future__ import annotations

from typing import Any

from ..capture.values import decode_float, encode_float
from .errors import CommandError
from .session import Session

MAX_ITERATIONS = 20_000  # over all variants
# The shape of an uncaptured iteration's cost: about US_PER_MODULE per module call plus one
# µs per BATCH_PARAMS_PER_US (batch rows × parameters) of arithmetic, fitted to the
# iterations measured in docs/performance.md. The server scales it by this machine's speed
# measured at start-up and holds each request to its own budget (server/work.py): the
# time a request may take is the server's to decide, not a constant fitted elsewhere.
US_PER_MODULE = 30
BATCH_PARAMS_PER_US = 12_000


def estimated_us(session: Session) -> float:
    """Estimated µs of one uncaptured iteration of `session`'s run."""
    s = session.stepper
    modules = sum(1 for _ in s.model.modules())
    params = sum(p.numel() for p in s.params.values())
    return US_PER_MODULE * modules + s.batch_size * params / BATCH_PARAMS_PER_US


def compare_runs(
    scenario: str, config: dict[str, Any], variants: list[dict[str, Any]], epochs: int
) -> list[dict[str, Any]]:
    """Train each variant (config overridden by it) for `epochs`; losses per iteration and epoch."""
    sessions = []
    for i, variant in enumerate(variants):
        try:
            sessions.append(Session(scenario, {**config, **variant}, history_bytes=0))
        except CommandError as exc:
            key = (exc.field or "").removeprefix("config.").split(".")[0]
            if key in variant:  # blame the variant only for a key it set
                field = f"variants.{i}.{(exc.field or '').removeprefix('config.')}"
                message = field + exc.message.removeprefix(exc.field or "")
                raise CommandError(exc.code, message, field) from None
            raise
    total = sum(s.stepper.n_batches for s in sessions) * epochs
    if total > MAX_ITERATIONS:
        raise CommandError(
            "out_of_range",
            f"epochs: {total} iterations asked for; at most {MAX_ITERATIONS} over all variants",
            "epochs",
        )
    results = []
    for variant, session in zip(variants, sessions, strict=True):
        iterations: list[float | str] = []
        epoch_means: list[float | str] = []
        for _ in range(epochs):
            event = session.step("epoch", 1, capture=False)[-1]
            losses = [decode_float(loss) for loss in event["losses"]["values"]]
            iterations.extend(encode_float(v) for v in losses)
            epoch_means.append(encode_float(sum(losses) / len(losses)))
        results.append(
            {
                "variant": variant,
                "batch_size": session.stepper.batch_size,
                "n_batches": session.stepper.n_batches,
                "losses": iterations,
                "epoch_losses": epoch_means,
                "diverged": session.stepper.diverged,
            }
        )
    return results
