"""The protocol's JSON Schema, which the TypeScript types are generated from."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel, TypeAdapter

from ..training.scenarios import SCENARIOS
from .base import PHASES
from .commands import Command
from .events import Event

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
