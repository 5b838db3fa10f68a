"""A phase frame within a byte budget, for models of many tensors (pure: reads its input).

A model of a few parameter tensors (every built-in scenario) sends every frame whole: its
panels show each value. A model of more (a transformer: dozens) would repeat hundreds of
small tensors per frame, so its frames are fitted to FRAME_BUDGET bytes:

1. a backward frame's fills leave out a value that is the frame's own grads[param] (the
   client fills it in: nothing is lost);
2. tensors sent in full become summaries, the biggest first (the most bytes saved for the
   fewest values turned into statistics); a tensor the frame holds in several places
   counts once per place and is turned in all of them;
3. if that is not enough, a backward frame leaves out the gradients sent by whole nodes,
   the biggest first, and lists them in `left_out` (the page marks their edges); a step
   frame moves the biggest update details into `brief`.

A parameter, its .grad and its optimizer state are given in full on request (`tensor`); a
step's per-parameter update detail by `update` (training/fulltensor.py); the gradients a
backward frame left out by `sent` (training/leftout.py), from what fitting handed back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import orjson

from ..capture.values import decode_float, summarize_array

if TYPE_CHECKING:
    from ..protocol import PhaseEvent, TensorValue

FRAME_BUDGET = 64 * 1024  # bytes of one encoded phase frame
# Models with more parameter tensors than this get frames within FRAME_BUDGET; the
# built-in scenarios (at most 6) keep every value they show.
FEW_TENSORS = 8
_ENCODE = orjson.OPT_SERIALIZE_NUMPY
# Fields that hold no TensorValue, or only small bounded ones (a language model's view):
# not walked, so fitting a frame costs a walk of its tensors only.
_NO_TENSORS = frozenset(
    ("calls", "trace", "order", "references", "layers", "losses", "history", "language", "hyper")
)


def encoded_size(value: Any) -> int:
    """Bytes of `value` as the outbox encodes it."""
    return len(orjson.dumps(value, option=_ENCODE))


def _full_values(node: Any, found: dict[int, tuple[dict[str, Any], int]]) -> None:
    """Every TensorValue holding its values under `node`, by id, with how often it occurs."""
    if isinstance(node, dict):
        if "dtype" in node and "shape" in node:  # a TensorValue: in full, or a summary
            if "values" in node:
                seen = found.get(id(node))
                found[id(node)] = (node, 1 if seen is None else seen[1] + 1)
            return
        for key, child in node.items():
            if key not in _NO_TENSORS:
                _full_values(child, found)
    elif isinstance(node, list):
        for child in node:
            _full_values(child, found)


def _replaced(node: Any, by_id: dict[int, Any]) -> Any:
    """`node` with the objects in `by_id` swapped in (new containers only where they change)."""
    swap = by_id.get(id(node))
    if swap is not None:
        return swap
    if isinstance(node, dict):
        if "dtype" in node and "shape" in node:  # a TensorValue not swapped
            return node
        items = {k: v if k in _NO_TENSORS else _replaced(v, by_id) for k, v in node.items()}
        return node if all(items[k] is node[k] for k in node) else items
    if isinstance(node, list):
        children = [_replaced(v, by_id) for v in node]
        return node if all(a is b for a, b in zip(children, node, strict=True)) else children
    return node


def summary_of(value: TensorValue) -> TensorValue:
    """A TensorValue sent in full, as its summary (statistics by torch, from the same bits)."""
    values: Any = value.get("values")
    if isinstance(values, np.ndarray):
        flat = values
    else:
        numbers = [decode_float(v) if isinstance(v, str) else v for v in values or []]
        dtype = np.float64 if value["dtype"] == "float64" else np.float32
        flat = np.asarray(numbers, dtype=np.int64 if value["dtype"] == "int64" else dtype)
    return {"shape": value["shape"], "dtype": value["dtype"], "summary": summarize_array(flat)}


def fit_frame(
    event: PhaseEvent,
    budget: int = FRAME_BUDGET,
    summarize: Callable[[TensorValue], TensorValue] = summary_of,
    left_out: dict[str, Any] | None = None,
) -> PhaseEvent:
    """`event` within `budget` bytes as far as the rules above allow (itself when it fits).
    The `sent` entries a backward frame leaves out go into `left_out` (when given), each as
    the frame would have carried it."""
    size = encoded_size(event)
    if size <= budget:
        return event
    if event["phase"] == "backward":  # first what costs the client nothing: it fills them in
        event, size = _fills_as_grads(event, size)
    found: dict[int, tuple[dict[str, Any], int]] = {}
    _full_values(event, found)
    costs = sorted(((encoded_size(v) * n, v, n) for v, n in found.values()), key=lambda c: -c[0])
    by_id: dict[int, Any] = {}
    for full, value, n in costs:
        if size <= budget:
            break
        summary = summarize(value)  # type: ignore[arg-type]
        saved = full - encoded_size(summary) * n
        if saved <= 0:
            continue
        by_id[id(value)] = summary
        size -= saved
    fitted: PhaseEvent = _replaced(event, by_id) if by_id else event
    if size > budget and fitted["phase"] == "backward":
        fitted = _leave_out_sent(fitted, size, budget, left_out)
    if size > budget and fitted["phase"] == "step":
        fitted = _brief_updates(fitted, size, budget)
    return fitted


class FrameFitter:
    """fit_frame for one run, remembering the summaries of its last few frames: a .grad
    summarized in a backward frame is the very TensorValue the next zero_grad's `before`
    holds (a TensorValue is never changed, so the same object has the same summary)."""

    def __init__(self, budget: int = FRAME_BUDGET, keep: int = 5) -> None:
        self.budget = budget
        self.keep = keep  # frames a summary is remembered for
        self._fits = 0
        self._memo: dict[int, tuple[TensorValue, TensorValue, int]] = {}

    def fit(self, event: PhaseEvent, left_out: dict[str, Any] | None = None) -> PhaseEvent:
        """fit_frame(event) with the remembered summaries."""
        self._fits += 1
        fitted = fit_frame(event, self.budget, self._summary, left_out)
        self._memo = {k: v for k, v in self._memo.items() if self._fits - v[2] < self.keep}
        return fitted

    def _summary(self, value: TensorValue) -> TensorValue:
        entry = self._memo.get(id(value))
        summary = entry[1] if entry is not None and entry[0] is value else summary_of(value)
        self._memo[id(value)] = (value, summary, self._fits)  # holds `value`: its id stays
        return summary


def _fills_as_grads(event: PhaseEvent, size: int) -> tuple[PhaseEvent, int]:
    """A backward frame whose fills leave out a value that is the frame's own grads[param]
    (the same object: the .grad did not change after it was filled)."""
    capture: Any = event["capture"]
    grads: Any = event.get("grads") or {}
    fills = []
    for fill in capture["fills"]:
        value = fill.get("value")
        if value is not None and grads.get(fill["param"]) is value:
            size -= encoded_size(value) + len(',"value":')
            fill = {k: v for k, v in fill.items() if k != "value"}
        fills.append(fill)
    fitted: Any = {**event, "capture": {**capture, "fills": fills}}
    return cast("PhaseEvent", fitted), size


def _brief_updates(event: PhaseEvent, size: int, budget: int) -> PhaseEvent:
    """A step frame that moves the biggest update details into `brief` until it fits (the
    run keeps them: `update` sends one)."""
    capture: Any = event["capture"]
    updates = list(capture["updates"])
    brief = list(capture.get("brief", []))
    for update in sorted(updates, key=lambda u: -encoded_size(u)):
        if size <= budget:
            break
        size -= encoded_size(update) - len(orjson.dumps(update["name"]))
        updates.remove(update)
        brief.append(update["name"])
    order = {ref["param"]: i for i, ref in enumerate(capture["references"])}
    brief.sort(key=lambda name: order.get(name, len(order)))
    fitted: Any = {**event, "capture": {**capture, "updates": updates, "brief": brief}}
    return cast("PhaseEvent", fitted)


def _leave_out_sent(
    event: PhaseEvent, size: int, budget: int, kept: dict[str, Any] | None
) -> PhaseEvent:
    """A backward frame without the gradients of the nodes that sent the most bytes, until
    it fits; their ids in `left_out`, in the order autograd ran them."""
    capture: Any = event["capture"]
    sent: dict[str, Any] = dict(capture["sent"])
    by_size = sorted(sent, key=lambda node: -encoded_size(sent[node]))
    gone: set[str] = set()
    for node in by_size:
        if size <= budget:
            break
        # the entry `"id":[...],` leaves, the id is listed once in left_out
        entry = sent.pop(node)
        size -= encoded_size({node: entry}) - 2 + 1 - len(orjson.dumps(node)) - 1
        gone.add(node)
        if kept is not None:
            kept[node] = entry
    left_out = [node for node in capture["order"] if node in gone]
    fitted: Any = {**event, "capture": {**capture, "sent": sent, "left_out": left_out}}
    return cast("PhaseEvent", fitted)
