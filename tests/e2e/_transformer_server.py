"""A test-only loopscope server whose `charlm` run trains a 2-block transformer.

There is no built-in transformer scenario; this serves the page a real one through the same
session, capture and web code as every run: the charlm record (corpus, windows, AdamW,
cross-entropy, sampling) with its model swapped for tests/backend/_tiny_transformer.py's,
its logits flattened to (B·T, vocab) as charlm's loss expects.

    python tests/e2e/_transformer_server.py PORT
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "backend"))

from _tiny_transformer import TinyTransformer  # noqa: E402

from loopscope.training.charlm import corpus_vocabulary  # noqa: E402
from loopscope.training.scenarios import SCENARIOS  # noqa: E402

TITLE = "Transformer language model (2 blocks)"


class TransformerLM(TinyTransformer):
    """Two attention blocks over the corpus's characters; logits (B·T, vocab) like BigramLM."""

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = super().forward(idx)
        return logits.view(-1, logits.shape[-1])


def use_transformer() -> None:
    """Make the charlm record build TransformerLM (vocabulary of the run's corpus)."""
    SCENARIOS["charlm"] = dataclasses.replace(
        SCENARIOS["charlm"],
        model_cls=TransformerLM,
        build_model=lambda c: TransformerLM(
            vocab=len(corpus_vocabulary(c.corpus)), block=c.block_size, layers=2
        ),
        model_source=lambda c: f"TransformerLM(vocab={len(corpus_vocabulary(c.corpus))})",
        # The page names what runs, not the bigram model the charlm record usually builds.
        title=TITLE,
        description=(
            "A 2-block transformer character language model learns which character comes"
            " next from the characters before it."
        ),
    )


if __name__ == "__main__":
    import uvicorn

    from loopscope.config import Settings
    from loopscope.server.app import create_app

    port = int(sys.argv[1])
    torch.set_num_threads(1)
    use_transformer()
    app = create_app(Settings(host="127.0.0.1", port=port, device="cpu", torch_threads=1))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
