"""A `sent` command's answer: the gradients one node sent in the latest captured backward,
which its frame left out to stay within its byte budget (training/framebudget.py).

The run keeps them as the frame would have carried them (the entries fitting took out), for
one backward only: the next backward run, captured or not, a reset, rewind or set drops them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import CommandError

if TYPE_CHECKING:
    from ..protocol import SentEvent


@dataclass(frozen=True)
class LeftOut:
    """What one backward frame left out: node id → the gradients it sent, per slot."""

    iteration: int
    graph_id: str
    sent: dict[str, Any]


def left_out_of(event: Any, taken: dict[str, Any]) -> LeftOut | None:
    """The LeftOut of a fitted phase frame: `taken` when it is a backward frame's."""
    if event["phase"] != "backward" or not taken or event.get("capture") is None:
        return None
    return LeftOut(event["iteration"], event["capture"]["graph_id"], taken)


def sent_answer(kept: LeftOut | None, node: str) -> SentEvent:
    """The SentEvent of `node` in the backward `kept` holds; refused without one, or for a
    node that backward did not leave out."""
    if kept is None:
        raise CommandError(
            "wrong_state",
            "node: no backward frame to complete (none captured left a gradient out, or the"
            " run moved past it: a later backward, reset, rewind or set)",
            "node",
        )
    sent = kept.sent.get(node)
    if sent is None:
        raise CommandError(
            "not_found",
            f"node: the backward of iteration {kept.iteration} left out no node {node!r}"
            " (see its capture.left_out)",
            "node",
        )
    return {
        "type": "sent",
        "node": node,
        "iteration": kept.iteration,
        "graph_id": kept.graph_id,
        "sent": sent,
    }
