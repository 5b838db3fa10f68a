"""Every message on /ws, defined once as pydantic models (TypeScript is generated from these).

Commands come in, events go out; each is a JSON object with a ``type``.

Tensor values: a ``TensorValue`` carries a float32 tensor flattened row-major in
``values`` when it has at most ``tensor_cap`` elements, otherwise a ``summary``.
Each number is the shortest decimal that converts back to exactly torch's float32
(``Math.fround`` in JS, ``numpy.float32`` in Python).  JSON has no NaN or
infinities, so those travel as the strings ``"NaN"``, ``"Infinity"`` and
``"-Infinity"`` wherever a number may stand.

Commands are pydantic models (they are parsed).  The events the engine builds on its hot
path (``capture/*``, ``training/events.py``) are TypedDicts: the builders write them as
plain dicts that mypy checks against these definitions, pydantic validates them and
writes their JSON Schema, and tests validate real frames against them.
Scenario names, phase names and settable hyperparameters are derived from the one
place each is defined (the scenario registry, the loop's source, the configs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, NotRequired, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, with_config
from typing_extensions import TypedDict

from .training.configs import SettableName
from .training.scenarios import SCENARIOS, FitKind

if TYPE_CHECKING:
    ScenarioName = str
else:  # the registry's keys, so that a new scenario needs no edit here
    ScenarioName = Literal[tuple(SCENARIOS)]
DEFAULT_SCENARIO: str = next(iter(SCENARIOS))
PhaseName = Literal["forward", "loss", "zero_grad", "backward", "step"]
# The loop body's calls in the order they run (the one list every other place derives from).
PHASES: tuple[PhaseName, ...] = get_args(PhaseName)
StepUnit = Literal["phase", "iteration", "epoch"]
NonFinite = Literal["NaN", "Infinity", "-Infinity"]
Float = float | NonFinite
ErrorCode = Literal[
    "invalid_json",
    "invalid_message",
    "invalid_config",
    "wrong_state",
    "out_of_range",
    "device_unavailable",
    "rate_limited",
    "too_many_runs",
    "not_found",
    "internal",
    "payload_too_large",
    "busy",
]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)


# The TypedDicts' pydantic rules: the same as the models'.
_WIRE = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)


# ---------------------------------------------------------------- commands (client → server)


class StartCommand(_Message):
    """Build a scenario and start a new run (replaces the current one)."""

    type: Literal["start"]
    scenario: ScenarioName = DEFAULT_SCENARIO
    config: dict[str, Any] = Field(default_factory=dict, max_length=64)


class StepCommand(_Message):
    """Advance by `count` phases, iterations (batches) or epochs."""

    type: Literal["step"]
    unit: StepUnit = "phase"
    count: int = Field(1, ge=1, le=100_000)


class PlayCommand(_Message):
    """Step by `unit` at `rate` steps per second until paused."""

    type: Literal["play"]
    unit: StepUnit = "phase"
    rate: float = Field(2.0, gt=0, le=10_000)


class PauseCommand(_Message):
    """Stop playing."""

    type: Literal["pause"]


class ResetCommand(_Message):
    """Rebuild the current scenario from its config (same seed: same numbers)."""

    type: Literal["reset"]


class RewindCommand(_Message):
    """Go back to the start of iteration `iteration` (kept in history) and branch from there."""

    type: Literal["rewind"]
    iteration: int = Field(ge=0, le=10**9)


class ResumeCommand(_Message):
    """Take back a run after a dropped connection (within the server's grace period)."""

    type: Literal["resume"]
    token: str = Field(min_length=1, max_length=64)


class SetCommand(_Message):
    """Change hyperparameters between steps; they apply from the next phase on (the fields
    are SETTABLE, and a run accepts those its `capabilities.settable` lists)."""

    type: Literal["set"]
    lr: float | None = Field(None, gt=0, le=10)
    momentum: float | None = Field(None, ge=0, lt=1)
    beta1: float | None = Field(None, ge=0, lt=1)
    beta2: float | None = Field(None, ge=0, lt=1)
    eps: float | None = Field(None, gt=0, le=1)
    weight_decay: float | None = Field(None, ge=0, le=1)
    skip_zero_grad: bool | None = None


Command = Annotated[
    StartCommand
    | StepCommand
    | PlayCommand
    | PauseCommand
    | ResetCommand
    | RewindCommand
    | SetCommand
    | ResumeCommand,
    Field(discriminator="type"),
]
COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)


# ---------------------------------------------------------------- values


@with_config(_WIRE)
class Histogram(TypedDict):
    edges: list[Float]
    counts: list[int]


@with_config(_WIRE)
class TensorSummary(TypedDict):
    """Statistics of a tensor too large to send in full."""

    numel: int
    min: Float
    max: Float
    mean: Float
    std: Float
    histogram: Histogram
    first: list[Float]


@with_config(_WIRE)
class TensorValue(TypedDict):
    """A tensor: all its values (row-major) when small, else a summary."""

    shape: list[int]
    dtype: str
    values: NotRequired[list[Float] | None]
    summary: NotRequired[TensorSummary | None]


# ---------------------------------------------------------------- session


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
class LanguageCapture(TypedDict):
    """What a language model's captured phase shows; each field belongs to one phase."""

    rows_used: NotRequired[list[int]]  # forward: the embedding rows x_batch looked up
    position: NotRequired[PositionSoftmax]  # loss
    grad_rows: NotRequired[list[int]]  # backward: the embedding .grad rows that are not zero
    sample: NotRequired[TextSample]  # step, when a multiple of sample_every was passed


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


# ---------------------------------------------------------------- graph


@with_config(_WIRE)
class SavedTensor(TypedDict):
    name: str  # the attribute without "_saved_": "mat1", "self", "target"
    shape: NotRequired[list[int] | None]  # a tensor's shape, or None for a non-tensor
    value: NotRequired[str | None]  # a non-tensor's repr, e.g. "1" for alpha
    tensor: NotRequired[
        str | None
    ]  # which named tensor it is by identity: "x", "y", "y_pred", a param


@with_config(_WIRE)
class GraphNode(TypedDict):
    # stable across iterations for the same model: "AddmmBackward0", "AccumulateGrad:linear.bias"
    id: str
    op: str  # "AddmmBackward0", "AccumulateGrad"
    param: NotRequired[str | None]  # for AccumulateGrad: the parameter it fills
    module: NotRequired[str | None]  # the module whose forward produced this node, if known
    saved: list[SavedTensor]


@with_config(_WIRE)
class GraphEdge(TypedDict):
    """`source.next_functions[slot]` is `target`: gradients flow source → target."""

    source: str
    target: str
    slot: int


@with_config(_WIRE)
class GraphEvent(TypedDict):
    """The autograd graph's topology; sent when it changes (values follow keyed by node id)."""

    type: Literal["graph"]
    graph_id: str
    root: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    tensors: dict[str, str]  # named forward tensors → the node that made them: "y_pred", "loss"


# ---------------------------------------------------------------- phase captures


@with_config(_WIRE)
class ModuleCall(TypedDict):
    module: str  # path, "" for the root
    cls: str
    depth: int
    input: str | None  # key into ForwardCapture.tensors
    output: str | None


@with_config(_WIRE)
class TraceEntry(TypedDict):
    event: Literal["pre_hook", "hook"]  # inside Module.__call__: before forward, after it
    module: str


@with_config(_WIRE)
class ForwardCapture(TypedDict):
    calls: list[ModuleCall]  # in the order __call__ entered them
    trace: list[TraceEntry]  # pre-hooks and hooks in the order torch ran them
    tensors: dict[str, TensorValue]  # each distinct tensor once, referenced by calls
    batch_index: list[int] | None  # rows of the data set in this batch; None = full batch


@with_config(_WIRE)
class LossCapture(TypedDict):
    graph_id: str
    # the criterion's target (this batch); y_pred is node_values[tensors.y_pred]; None when a
    # traced script's loss has no target that could be seen (a loss inside the model)
    y: TensorValue | None
    node_values: dict[str, TensorValue]  # node id → the forward value it produced (when known)


@with_config(_WIRE)
class ZeroGradCapture(TypedDict):
    skipped: bool  # skip_zero_grad: the call did not run
    set_to_none: bool
    before: dict[str, TensorValue | None]
    after: dict[str, TensorValue | None]


@with_config(_WIRE)
class GradFill(TypedDict):
    param: str
    node: str  # the AccumulateGrad node that filled it
    value: TensorValue  # .grad right after the fill


@with_config(_WIRE)
class BackwardCapture(TypedDict):
    graph_id: str
    order: list[str]  # node ids in the order autograd executed them
    sent: dict[
        str, list[TensorValue | None]
    ]  # node id → gradient sent along each next_functions slot
    fills: list[GradFill]  # in the order .grad was filled


UpdateTermKey = Literal[
    "lr",
    "grad",
    "grad_with_weight_decay",
    "momentum_buffer_prev",
    "momentum_buffer",
    "direction",
    "step",
    "decay_factor",
    "decayed_param",
    "exp_avg_prev",
    "exp_avg",
    "exp_avg_sq_prev",
    "exp_avg_sq",
    "max_exp_avg_sq",
    "bias_correction1",
    "bias_correction2",
    "step_size",
    "bias_correction2_sqrt",
    "exp_avg_hat",
    "exp_avg_sq_hat",
    "denom",
    "param",
]


@with_config(_WIRE)
class UpdateTerm(TypedDict):
    """One term of a parameter's update rule, as torch computed it on the run's device
    (a tensor of the parameter's shape, or a Python float torch's optimizer used)."""

    key: UpdateTermKey
    value: TensorValue | Float


@with_config(_WIRE)
class ParamUpdate(TypedDict):
    name: str
    before: TensorValue
    grad: TensorValue | None
    after: TensorValue
    hyper: dict[str, Float | bool | list[Float] | None]
    state: dict[str, TensorValue | Float]  # momentum_buffer, exp_avg, exp_avg_sq, step
    # The update replayed on clones with the kernels step() used, in the order it used them
    # (docs/protocol.md lists the terms of each rule); empty for an optimizer not replayed.
    terms: list[UpdateTerm]
    kernel: Literal["single_tensor", "foreach", "fused"] | None  # the path step() took
    same_bits: bool | None  # replayed parameter and state torch.equal step()'s; None: no replay


@with_config(_WIRE)
class StepCapture(TypedDict):
    skipped: list[str]  # parameters without .grad, left alone by step()
    updates: list[ParamUpdate]
    references: list[ParamReference]


@with_config(_WIRE)
class LossChunk(TypedDict):
    """Losses of consecutive iterations: iteration `first + k` has loss `values[k]`."""

    first: int
    values: list[Float]


@with_config(_WIRE)
class LayerStats(TypedDict):
    """One parameter's health after a step, computed by torch (capture/layers.py)."""

    name: str
    numel: int
    value_norm: Float  # ‖w‖ before the step
    grad_norm: Float | None  # ‖.grad‖ the step used; None: no .grad
    update_norm: Float  # ‖Δw‖ = ‖after − before‖
    ratio: Float | None  # ‖Δw‖ / ‖w‖; None when ‖w‖ = 0
    flag: Literal["exploding", "vanishing"] | None  # thresholds in capture/layers.py
    values: Histogram  # of the parameter after the step
    grads: Histogram | None  # of its .grad


@with_config(_WIRE)
class PhaseEvent(TypedDict):
    """One phase ran; `capture` holds what torch did in it."""

    type: Literal["phase"]
    phase: PhaseName
    next_phase: PhaseName
    iteration: int  # the iteration this phase belongs to (0-based)
    epoch: int
    batch: int  # index of the batch within its epoch
    n_batches: int
    loss: Float | None  # this iteration's loss, once computed
    # the losses of the iterations completed since the previous phase event (the latest
    # 10 000; older ones come first, in `losses` events); `first` is the next iteration
    # to complete when there are none
    losses: LossChunk
    diverged: bool
    params: dict[str, TensorValue]
    grads: dict[str, TensorValue | None]
    history: HistoryInfo | None
    fit: FitView | None  # after `step` (the parameters changed) when the run has a fit
    capture: ForwardCapture | LossCapture | ZeroGradCapture | BackwardCapture | StepCapture | None
    language: NotRequired[LanguageCapture]  # a language model's captured phase only
    layers: NotRequired[list[LayerStats]]  # a captured step: every parameter's health
    trace: NotRequired[TracePhase]  # a traced script's phase only


@with_config(_WIRE)
class LossesEvent(LossChunk):
    """A LossChunk that did not fit in a phase event's `losses` (a long command, or phase
    events coalesced for a slow reader); sent before that phase event, in order, so that
    every iteration's loss reaches the client. Iteration `first + k` is in epoch
    `(first + k) // n_batches`."""

    type: Literal["losses"]
    n_batches: int


# ---------------------------------------------------------------- a traced script


@with_config(_WIRE)
class TraceLocation(TypedDict):
    """A line of the traced script (1-based), the innermost frame in the script's folder."""

    file: str  # relative to the script's folder: "train.py", "model.py"
    line: int
    end_line: NotRequired[int | None]
    col: NotRequired[int | None]  # 0-based: tells two calls on one line apart
    end_col: NotRequired[int | None]
    function: str


@with_config(_WIRE)
class TracePhase(TypedDict):
    """What a traced script's phase was: the line that ran it and the call it made."""

    location: TraceLocation | None
    what: str  # "Net", "MSELoss", "cross_entropy", "SGD.zero_grad", "backward"
    micro_batch: int  # backward() calls already made in this iteration
    loss_source: NotRequired[str | None]  # loss: criterion, functional, model, backward
    loss_inside_model: NotRequired[TraceLocation | None]  # forward returned a loss made here
    scaler_skipped: NotRequired[bool]  # GradScaler skipped optimizer.step (inf/NaN grads)


@with_config(_WIRE)
class OutputEvent(TypedDict):
    """A line the traced script wrote to stdout or stderr (newline kept when it had one)."""

    type: Literal["output"]
    stream: Literal["stdout", "stderr"]
    text: str
    iteration: int  # iterations completed when it was printed


@with_config(_WIRE)
class TraceSummary(TypedDict):
    iterations: int
    forwards: int
    evaluation_calls: int
    backwards: int
    steps: int
    zero_grads: int
    optimizers: int


@with_config(_WIRE)
class EndEvent(TypedDict):
    """The traced script's process ended; `reset` runs it again from the top."""

    type: Literal["end"]
    status: Literal["finished", "failed", "stopped"]
    exit_code: int
    traceback: str | None  # the script's frames only, as Python prints it
    message: str
    summary: TraceSummary | None  # None when the process died before it could report


@with_config(_WIRE)
class NoticeEvent(TypedDict):
    """Something about the traced script's loop that could not be decided: said, not guessed."""

    type: Literal["notice"]
    iteration: int
    code: str  # "backward_unknown_root", "optimizer_idle", "no_training_step", ...
    message: str
    location: NotRequired[TraceLocation | None]


@with_config(_WIRE)
class EvaluationEvent(TypedDict):
    """Calls of a module whose output never reached a backward: evaluation or inference."""

    type: Literal["evaluation"]
    iteration: int
    what: str
    calls: int  # since the previous evaluation event
    grad_enabled: bool
    training: bool
    location: TraceLocation | None
    shown_as_forward: bool  # it was shown as a forward phase before its output was known


class ErrorEvent(_Message):
    """A command was refused; nothing about the run changed."""

    type: Literal["error"]
    code: ErrorCode
    message: str
    field: str | None = None  # dotted path of the offending field, e.g. "config.lr"


class PlayStateEvent(_Message):
    """Whether the server is playing this run now, sent whenever play starts or stops for
    any reason; the page shows play only when the server says so."""

    type: Literal["play_state"]
    playing: bool
    unit: StepUnit | None  # what each tick steps by, while playing
    rate: float | None  # ticks per second, while playing
    # why it changed: started; paused (a command stopped it); refused (a play command was
    # refused); ended (the run can go no further); error (a step failed)
    reason: Literal["started", "paused", "refused", "ended", "error"]


Event = Annotated[
    SessionEvent
    | GraphEvent
    | PhaseEvent
    | LossesEvent
    | ErrorEvent
    | PlayStateEvent
    | OutputEvent
    | EndEvent
    | NoticeEvent
    | EvaluationEvent,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)

# ---------------------------------------------------------------- HTTP


class CompareRequest(_Message):
    """POST /api/compare: one scenario, a few config variants, trained headless side by side."""

    scenario: ScenarioName = DEFAULT_SCENARIO
    config: dict[str, Any] = Field(default_factory=dict, max_length=64)
    variants: list[dict[str, Any]] = Field(
        default_factory=lambda: [{"batch_size": b} for b in (None, 1, 10)],
        min_length=1,
        max_length=4,
    )
    epochs: int = Field(30, ge=1, le=500)


class CompareRun(_Message):
    variant: dict[str, Any]
    batch_size: int
    n_batches: int
    losses: list[Float]  # every iteration
    epoch_losses: list[Float]  # mean over each epoch's iterations
    diverged: bool


class CompareResponse(_Message):
    runs: list[CompareRun]


class ApiError(_Message):
    """The body of every 4xx answer of /api."""

    code: ErrorCode
    message: str
    field: str | None = None


SCENARIO_CONFIGS: dict[str, type[BaseModel]] = {
    name: scenario.config_cls for name, scenario in SCENARIOS.items()
}
# The members of the Command and Event unions (each names itself by its `type`).
COMMANDS: tuple[type[BaseModel], ...] = get_args(get_args(Command)[0])
EVENTS: tuple[Any, ...] = get_args(get_args(Event)[0])


def protocol_schema() -> dict[str, Any]:
    """JSON Schema of every command and event (and the scenario configs), one $defs table."""
    configs = list(dict.fromkeys(SCENARIO_CONFIGS.values()))
    models: list[Any] = [*COMMANDS, *EVENTS, *configs]
    defs: dict[str, Any] = {}
    for model in models:
        schema = TypeAdapter(model).json_schema(ref_template="#/$defs/{model}")
        defs.update(schema.pop("$defs", {}))
        defs[model.__name__] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "loopscope protocol",
        "$defs": defs,
        "commands": [m.__name__ for m in COMMANDS],
        "events": [m.__name__ for m in EVENTS],
        # Name lists the page needs as values, not only as types (written in this order).
        "names": {"PHASES": list(PHASES), "SCENARIOS": list(SCENARIOS)},
    }
