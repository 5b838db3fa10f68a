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

from .base import (
    DEFAULT_SCENARIO,
    PHASES,
    ErrorCode,
    Float,
    NonFinite,
    PhaseName,
    ScenarioName,
    StepUnit,
)
from .commands import (
    COMMAND_ADAPTER,
    Command,
    PauseCommand,
    PlayCommand,
    ResetCommand,
    ResumeCommand,
    RewindCommand,
    SetCommand,
    ShownCommand,
    StartCommand,
    StepCommand,
)
from .events import EVENT_ADAPTER, ErrorEvent, Event, PlayStateEvent, ProgressEvent
from .graph import GraphEdge, GraphEvent, GraphNode, SavedTensor
from .http import ApiError, CompareRequest, CompareResponse, CompareRun
from .phase import (
    BackwardCapture,
    ForwardCapture,
    GradFill,
    LayerStats,
    LossCapture,
    LossChunk,
    LossesEvent,
    ModuleCall,
    ParamUpdate,
    PhaseEvent,
    StepCapture,
    TraceEntry,
    UpdateTerm,
    UpdateTermKey,
    ZeroGradCapture,
)
from .schema import COMMANDS, EVENTS, SCENARIO_CONFIGS, protocol_schema
from .session import (
    Capabilities,
    CriterionInfo,
    FitView,
    HistoryInfo,
    Landscape,
    LanguageCapture,
    LanguageInfo,
    ModuleInfo,
    OptimizerInfo,
    OptimizerStateKey,
    ParameterInfo,
    ParamGroupInfo,
    ParamReference,
    PositionSoftmax,
    SessionEvent,
    SetLog,
    SetRecord,
    SourceInfo,
    TextSample,
)
from .trace import (
    EndEvent,
    EvaluationEvent,
    NoticeEvent,
    OutputEvent,
    TraceLocation,
    TracePhase,
    TraceSummary,
)
from .values import Histogram, TensorSummary, TensorValue

__all__ = [
    "DEFAULT_SCENARIO",
    "PhaseName",
    "PHASES",
    "StepUnit",
    "ScenarioName",
    "NonFinite",
    "Float",
    "ErrorCode",
    "Histogram",
    "TensorSummary",
    "TensorValue",
    "StartCommand",
    "StepCommand",
    "PlayCommand",
    "PauseCommand",
    "ResetCommand",
    "RewindCommand",
    "ResumeCommand",
    "SetCommand",
    "ShownCommand",
    "Command",
    "COMMAND_ADAPTER",
    "ParameterInfo",
    "ModuleInfo",
    "ParamGroupInfo",
    "OptimizerInfo",
    "CriterionInfo",
    "SourceInfo",
    "HistoryInfo",
    "ParamReference",
    "FitView",
    "Landscape",
    "OptimizerStateKey",
    "Capabilities",
    "TextSample",
    "LanguageInfo",
    "PositionSoftmax",
    "LanguageCapture",
    "SessionEvent",
    "SetRecord",
    "SetLog",
    "SavedTensor",
    "GraphNode",
    "GraphEdge",
    "GraphEvent",
    "ModuleCall",
    "TraceEntry",
    "ForwardCapture",
    "LossCapture",
    "ZeroGradCapture",
    "GradFill",
    "BackwardCapture",
    "UpdateTermKey",
    "UpdateTerm",
    "ParamUpdate",
    "StepCapture",
    "LossChunk",
    "LayerStats",
    "PhaseEvent",
    "LossesEvent",
    "TraceLocation",
    "TracePhase",
    "OutputEvent",
    "TraceSummary",
    "EndEvent",
    "NoticeEvent",
    "EvaluationEvent",
    "ErrorEvent",
    "PlayStateEvent",
    "ProgressEvent",
    "Event",
    "EVENT_ADAPTER",
    "CompareRequest",
    "CompareRun",
    "CompareResponse",
    "ApiError",
    "SCENARIO_CONFIGS",
    "protocol_schema",
    "COMMANDS",
    "EVENTS",
]
