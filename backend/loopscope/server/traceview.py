"""A traced script's events (protocol/child.py, from the child) as the page's events.

The page knows one protocol: a traced run arrives as a `session` (capabilities.source =
"trace", the script's own source text, the models and optimizers found so far), `graph`
and `phase` events shaped like a built-in scenario's, `losses`, and the events only a
script has: `output`, `notice`, `evaluation`, `end` (passed on as the child sent them: the
same definitions).  Only what differs is converted (protocol/child.py says why): a phase
gets the run's state around it, `trace_losses` becomes `losses`; what the child only says
to the server (`gate`, `model`, `started`) updates the session instead.  The model is only
known once its output reached a backward(), so the session is sent again when it is found.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any, cast

from ..protocol import PHASES, Capabilities, ModuleInfo, OptimizerInfo, PhaseName

Event = dict[str, Any]
PASSED_ON = ("graph", "output", "notice", "evaluation", "end")
NO_OPTIMIZER: OptimizerInfo = {"cls": "", "param_groups": []}


def capabilities() -> Capabilities:
    """A script cannot be rewound or configured and has no data set the page could plot."""
    return {
        "source": "trace",
        "fit": None,
        "landscape": False,
        "data_plot": False,
        "rewind": False,
        "config": False,
        "settable": [],
        "optimizer_state": [],
        "compare": False,
    }


def parameter_names(module: ModuleInfo) -> list[str]:
    """Every parameter of a module tree, in tree order (as named_parameters() gives them)."""
    names = [p["name"] for p in module["parameters"]]
    for child in module["children"]:
        names.extend(parameter_names(child))
    return names


class TraceView:
    """The state of one traced run as the page sees it; `page(event)` translates."""

    def __init__(self, script: str) -> None:
        self.script = script
        path = Path(script)
        self.file = path.name
        self.lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        self.reset()

    def reset(self) -> None:
        """A fresh child: nothing seen yet."""
        self.run_id = secrets.token_hex(8)
        self.iteration = 0
        self.next_phase: PhaseName = PHASES[0]  # until the first gate says which
        self.phase_sent = False  # a phase event went out since the latest session
        self.losses_next = 0  # the next iteration whose loss is to come
        self.models: list[Event] = []
        self.optimizers: list[Event] = []
        self.criterion = ""
        self.phase_lines: dict[str, int] = {}
        self.params: dict[str, Any] = {}
        self.grads: dict[str, Any] = {}
        self.loss: tuple[int, Any] | None = None  # (iteration, loss) once its loss phase ran

    def page(self, event: Event) -> list[Event]:
        """The page's events for one event of the child (often none)."""
        kind = event["type"]
        if kind == "started":
            self.reset()
            return [self.session()]
        if kind == "model":
            if (event["models"], event["optimizers"]) == (self.models, self.optimizers):
                return []
            self.models, self.optimizers = event["models"], event["optimizers"]
            shown = self.phase_sent
            session = self.session()
            # TracedRun sends the phases shown so far again after this session, so they still
            # count: the next gate must not take the session for one that nothing followed.
            self.phase_sent = shown
            return [session]
        if kind == "gate":
            self.iteration = event["iteration"]
            self._note_line(event["next"], event.get("location"))
            stale = event["next"] != self.next_phase and not self.phase_sent
            self.next_phase = event["next"]
            # The session named a phase before the child announced one (sent at start-up,
            # or when the model was found): nothing followed it yet, so it is simply redone.
            return [self.session()] if stale else []
        if kind == "trace_losses":  # None: no loss was seen in that iteration, sent as null
            values = event["values"]
            self.losses_next = event["first"] + len(values)
            return [{"type": "losses", "first": event["first"], "values": values, "n_batches": 1}]
        if kind == "phase":
            return [self.phase(event)]
        if kind in PASSED_ON:
            return [event]
        return []

    def _note_line(self, phase: str, location: Event | None) -> None:
        if location is not None and location.get("file") == self.file:
            self.phase_lines.setdefault(phase, location["line"])

    def model(self) -> ModuleInfo:
        """The model found (several: under one root); an empty root before the first loss."""
        trees = [cast(ModuleInfo, m["module"]) for m in self.models]
        if len(trees) == 1:
            return trees[0]
        return {
            "path": "",
            "name": self.file,
            "cls": "script",
            "repr": "",
            "parameters": [],
            "children": trees,
        }

    def session(self) -> Event:
        """The SessionEvent of the run as known now."""
        self.phase_sent = False
        model = self.model()
        optimizer = self.optimizers[0]["info"] if self.optimizers else NO_OPTIMIZER
        return {
            "type": "session",
            "run_id": self.run_id,
            "token": "",  # nothing to resume: every tab watches the one run
            "capabilities": capabilities(),
            "scenario": None,
            "description": self.script,
            "config": None,
            "config_schema": None,
            "device": "script",
            "model": model,
            "parameters": parameter_names(model),
            "optimizer": optimizer,
            "criterion": {"cls": self.criterion, "reduction": ""},
            "source": {"lines": self.lines, "phase_lines": self.phase_lines, "setup_lines": 0},
            "data": None,
            "n_batches": 1,
            "batch_size": 0,
            "iteration": self.iteration,
            "epoch": self.iteration,
            "next_phase": self.next_phase,
            "params": dict(self.params),
            "grads": dict(self.grads),
            "history": None,
            "references": [],
            "fit": None,
            "landscape": None,
        }

    def phase(self, event: Event) -> Event:
        """A child's phase event as a PhaseEvent (without `next_phase`: the server adds the
        phase the child announces next); its capture updates the known values."""
        phase: str = event["phase"]
        capture = event.get("capture")
        self._note_line(phase, event.get("location"))
        self.phase_sent = True
        if capture is not None:
            capture = self._absorb(phase, capture)
        if phase == "loss":
            self.criterion = event["what"]
        trace: Event = {
            "location": event.get("location"),
            "what": event["what"],
            "micro_batch": event["micro_batch"],
            "scaler_skipped": bool(event.get("scaler_skipped", False)),
        }
        if phase == "loss" and event.get("capture") is not None:
            trace["loss_source"] = event["capture"].get("source")
        if event.get("loss_inside_model") is not None:
            trace["loss_inside_model"] = event["loss_inside_model"]
        # A phase event carries its iteration's loss from the loss phase on (as a scenario's).
        if event.get("loss") is not None:
            self.loss = (event["iteration"], event["loss"])
        elif phase == "forward":
            self.loss = None
        loss = self.loss[1] if self.loss and self.loss[0] == event["iteration"] else None
        self.iteration = event["iteration"]
        return {
            "type": "phase",
            "phase": phase,
            "iteration": self.iteration,
            "epoch": self.iteration,
            "batch": 0,
            "n_batches": 1,
            "loss": loss,
            "losses": {"first": self.losses_next, "values": []},
            "diverged": False,
            "params": dict(self.params),
            "grads": dict(self.grads),
            "history": None,
            "fit": None,
            "capture": capture,
            "trace": trace,
        }

    def _absorb(self, phase: str, capture: Event) -> Event:
        """Keep the parameters and gradients a capture shows; the capture as the page has it."""
        if phase == "step":
            for update in capture["updates"]:
                self.params[update["name"]] = update["after"]
                self.grads[update["name"]] = update["grad"]
        elif phase == "backward":
            for fill in capture["fills"]:
                self.grads[fill["param"]] = fill["value"]
        elif phase == "zero_grad":
            self.grads.update(capture["after"])
        elif phase == "loss":
            keys = ("graph_id", "y", "node_values")
            return {key: capture.get(key) for key in keys}
        return capture
