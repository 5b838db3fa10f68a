"""The session event: what a run is (model, optimizer, data, capabilities)."""

from __future__ import annotations

from typing import Any, Literal, NotRequired

from pydantic import with_config
from typing_extensions import TypedDict

from ..training.configs import SettableName
from ..training.scenarios import FitKind
from .base import _WIRE, Float, PhaseName, ScenarioName
from .values import TensorValue


@with_config(_WIRE)
class ParameterInfo(TypedDict):
    name: str  # qualified, as model.named_parameters() gives it: "linear.weight"
    local: str  # the key in its module's _parameters: "weight"
    shape: list[int]
    requires_grad: bool
    numel: int


@with_config(_WIRE)
class ModuleInfo(TypedDict):
    """One module of the tree, with the parameters registered in its own _parameters."""

    path: str  # "" for the root, else as named_modules() gives it
    name: str  # attribute name under its parent ("linear"); the class name for the root
    cls: str
    repr: str
    parameters: list[ParameterInfo]
    children: list[ModuleInfo]


@with_config(_WIRE)
class ParamGroupInfo(TypedDict):
    params: list[str | None]  # parameter names, resolved by identity (`is`); None: not one
    hyper: dict[str, Float | bool | list[Float] | None]


@with_config(_WIRE)
class OptimizerInfo(TypedDict):
    cls: str
    param_groups: list[ParamGroupInfo]


@with_config(_WIRE)
class CriterionInfo(TypedDict):
    cls: str
    reduction: str


@with_config(_WIRE)
class SourceInfo(TypedDict):
    lines: list[str]
    phase_lines: dict[PhaseName, int]  # 1-based line that each phase executes
    setup_lines: int  # lines before the loop (the model/optimizer/criterion set-up)


@with_config(_WIRE)
class HistoryInfo(TypedDict):
    first: int  # the oldest iteration a rewind can reach
    last: int  # the newest
    bytes: int


@with_config(_WIRE)
class SetRecord(TypedDict):
    """One accepted `set`: the position it was made at (before `next_phase` of
    `iteration`) and the values it wrote."""

    iteration: int
    next_phase: PhaseName
    changes: dict[str, float | bool]


@with_config(_WIRE)
class SetLog(TypedDict):
    """The `set`s that made this branch of the run, oldest first (a rewind drops those made
    after the iteration it lands on; a reset, all). `dropped`: older ones not listed (only
    the newest are kept), so the list alone no longer reproduces the run."""

    entries: list[SetRecord]
    dropped: int
    # The config the run was built with (by start or reset): the sets apply on top of it.
    start_config: dict[str, Any]


@with_config(_WIRE)
class ParamReference(TypedDict):
    """One entry of optimizer.param_groups[group]['params'] and the parameter it *is*."""

    group: int
    index: int
    param: str | None
    same_object: bool
    id: int
    data_ptr: int
    version_before: int
    version_after: int


@with_config(_WIRE)
class FitView(TypedDict):
    """The current model's output on a grid over the data (computed by the model, no_grad)."""

    kind: FitKind
    size: int  # points per axis
    extent: list[float]  # [x0, x1] or, for regions, [x0, x1, y0, y1]
    grid: TensorValue  # inputs: (size, 1), or (size*size, 2) row-major over y then x
    output: TensorValue  # outputs: (size, 1), or P(class 1) as (size, size)


@with_config(_WIRE)
class Landscape(TypedDict):
    """`linear` only: the loss of y = w·x + b over a (w, b) grid, rows b, columns w."""

    w: TensorValue
    b: TensorValue
    loss: TensorValue  # (len(b), len(w))
    optimum: list[float]  # least-squares [w*, b*]


OptimizerStateKey = Literal["step", "momentum_buffer", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]


@with_config(_WIRE)
class Capabilities(TypedDict):
    """What this run can show and do; the page builds its panels from this, not from a name."""

    source: Literal["scenario", "trace"]  # a built-in scenario, or a traced script
    fit: FitKind | None  # the model's output over the data: a line, a curve, class regions
    landscape: bool  # SessionEvent.landscape is set
    data_plot: bool  # SessionEvent.data holds the data set
    rewind: bool  # `rewind` and `reset` work
    config: bool  # the run has a config (and config_schema): a settings form
    settable: list[SettableName]  # the keys `set` accepts for this run's optimizer
    optimizer_state: list[OptimizerStateKey]  # optimizer.state[p] keys this optimizer keeps
    compare: bool  # POST /api/compare can train variants of it


@with_config(_WIRE)
class TextSample(TypedDict):
    """Text the model wrote: `text` drawn one character at a time from its softmax, with a
    generator seeded by the run's seed (the same draws every time, so the text changes only
    as the model does), after `iteration` iterations."""

    iteration: int
    text: str


@with_config(_WIRE)
class LanguageInfo(TypedDict):
    """A language model's run: its characters and where its loss starts."""

    corpus: str
    vocab: str  # every character of the corpus, sorted: a character's id is its index
    uniform_loss: float  # ln(len(vocab)): the loss of giving every character the same chance
    block_size: int  # characters in each window of a batch
    sample_every: int  # a step sends a new sample once this many more iterations are done
    sample: TextSample  # from the model as it is now


@with_config(_WIRE)
class PositionSoftmax(TypedDict):
    """Softmax and cross-entropy at one position of the batch (row `position` of y_pred)."""

    position: int
    target: int  # the id of the character that really came next
    loss: TensorValue  # 0-d: -log probs[target], this position's term of the mean loss
    probs: TensorValue  # softmax of the position's logits: (vocab_size,)
    top_ids: list[int]  # the most probable next characters, most probable first
    top_probs: TensorValue  # (len(top_ids),) their probabilities


@with_config(_WIRE)
class PositionChoices(TypedDict):
    """Softmax and cross-entropy at each of the batch's first `count` positions (the rows the
    page shows), k most probable characters each: the learner picks the position to read."""

    count: int
    targets: list[int]  # (count,) the character that really came next at each position
    target_probs: TensorValue  # (count,) its probability
    losses: TensorValue  # (count,) -log of it: each position's term of the mean loss
    top_ids: list[list[int]]  # (count, k) most probable first
    top_probs: TensorValue  # (count, k)


@with_config(_WIRE)
class EmbeddingMoves(TypedDict):
    """How far the embedding table's rows moved in this step, by why they could move: a
    gradient now; none now but the optimizer's running average of earlier ones (exp_avg,
    momentum_buffer); neither (weight decay alone). Shifts are max |Δw| over those rows."""

    grad_rows: int
    grad_shift: float
    memory_rows: int
    memory_shift: float
    still_rows: int
    still_shift: float


@with_config(_WIRE)
class LanguageCapture(TypedDict):
    """What a language model's captured phase shows; each field belongs to one phase."""

    rows_used: NotRequired[list[int]]  # forward: the embedding rows x_batch looked up
    position: NotRequired[PositionSoftmax]  # loss
    positions: NotRequired[PositionChoices]  # loss
    grad_rows: NotRequired[list[int]]  # backward: the embedding .grad rows that are not zero
    sample: NotRequired[TextSample]  # step, when a multiple of sample_every was passed
    moves: NotRequired[EmbeddingMoves]  # step


@with_config(_WIRE)
class SessionEvent(TypedDict):
    """Sent on start, reset and rewind: what the run is made of.  Fields a traced script
    has no value for (no scenario, config, data set, fit or landscape) are null."""

    type: Literal["session"]
    run_id: str
    token: str  # secret: send it in `resume` to take this run back after a dropped connection
    capabilities: Capabilities
    scenario: ScenarioName | None
    description: str
    config: dict[str, Any] | None
    config_schema: dict[str, Any] | None
    device: str
    model: ModuleInfo
    parameters: list[str]  # model.parameters() order
    optimizer: OptimizerInfo
    criterion: CriterionInfo
    source: SourceInfo
    data: dict[str, TensorValue] | None  # "x", "y" of the whole data set
    n_batches: int
    batch_size: int
    iteration: int
    epoch: int
    next_phase: PhaseName
    params: dict[str, TensorValue]
    grads: dict[str, TensorValue | None]
    history: HistoryInfo | None  # None: no rewind (capabilities.rewind is false)
    references: list[ParamReference]  # param_groups entries → the parameters they are
    fit: FitView | None
    landscape: Landscape | None
    language: NotRequired[LanguageInfo]  # a language model's run only
    sets: NotRequired[SetLog]  # a built-in run only
