"""`loopscope run` reproduces the notes' reference log; `schema` and `serve` are wired right."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import torch
from torch import nn

from loopscope import cli
from loopscope.protocol import protocol_schema
from loopscope.training.headless import run_headless


class ReferenceNet(nn.Module):
    """The notes' SimpleNet, written out again here (not imported from loopscope)."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


def reference_log(epochs: int, every: int = 100) -> list[str]:
    """pytorch_5min.py as the notes give it: seed 42, y = 2x + 1 + noise, SGD(lr=0.01), MSE."""
    torch.manual_seed(42)
    x_train = torch.rand(100, 1) * 10
    y_train = 2 * x_train + 1 + torch.randn(100, 1) * 0.1
    model = ReferenceNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    criterion = nn.MSELoss()
    lines = []
    for epoch in range(epochs):
        y_pred = model(x_train)
        loss = criterion(y_pred, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if (epoch + 1) % every == 0:
            w = model.linear.weight.item()
            b = model.linear.bias.item()
            lines.append(
                f"Epoch [{epoch + 1}/{epochs}], Loss: {loss.item():.4f}, w: {w:.2f}, b: {b:.2f}"
            )
    return lines


def test_run_prints_the_reference_log(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        cli.main(["run", "--scenario", "linear", "--epochs", "1000", "--torch-threads", "1"]) == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 10
    assert lines[0] == "Epoch [100/1000], Loss: 0.0988, w: 2.09, b: 0.41"
    assert lines[1] == "Epoch [200/1000], Loss: 0.0420, w: 2.05, b: 0.64"
    # Every line, not just the two the notes quote, is what the plain script prints.
    assert lines == reference_log(1000)


def test_reference_script_itself_gives_the_notes_numbers() -> None:
    """The oracle is right about the notes (so the comparison above means something)."""
    lines = reference_log(200)
    assert lines == [
        "Epoch [100/200], Loss: 0.0988, w: 2.09, b: 0.41",
        "Epoch [200/200], Loss: 0.0420, w: 2.05, b: 0.64",
    ]


def test_run_headless_every_and_other_scenarios() -> None:
    lines = list(run_headless("linear", {"device": "cpu"}, epochs=30, every=10))
    assert lines == reference_log(30, every=10)
    mlp = list(run_headless("mlp", {"device": "cpu", "n_points": 16}, epochs=4, every=2))
    assert [line.split(",")[0] for line in mlp] == ["Epoch [2/4]", "Epoch [4/4]"]
    assert all(", w:" not in line for line in mlp)


def test_run_with_config_json(capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["run", "--epochs", "20", "--every", "20", "--config", '{"lr": 0.02}'])
    out = capsys.readouterr().out.strip()
    # Same data and model, another lr: the line differs from the default run's.
    assert out.startswith("Epoch [20/20], Loss: ")
    assert out != reference_log(20, every=20)[0]


@pytest.mark.parametrize("config", ['{"lr": -1}', "{lr: 1}"])
def test_run_with_bad_config_exits_with_a_message(
    config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["run", "--epochs", "1", "--config", config])
    assert exc.value.code == 2
    assert capsys.readouterr().err.strip()


def test_schema_prints_the_protocol(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["schema"]) == 0
    printed = orjson.loads(capsys.readouterr().out)
    assert printed == orjson.loads(orjson.dumps(protocol_schema()))
    assert "StepCommand" in printed["commands"] and "PhaseEvent" in printed["events"]


def test_serve_hands_uvicorn_the_app_and_settings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    monkeypatch.setenv("LOOPSCOPE_TENSOR_CAP", "123")
    code = cli.main(
        [
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "8123",
            "--torch-threads",
            "1",
            "--device",
            "cpu",
        ]
    )
    assert code == 0
    ((app, kwargs),) = calls
    assert kwargs["host"] == "127.0.0.1" and kwargs["port"] == 8123
    settings = app.state.settings
    assert (settings.port, settings.device, settings.tensor_cap) == (8123, "cpu", 123)
    assert "http://localhost:8123/" in capsys.readouterr().out


def test_parser_requires_a_command() -> None:
    with pytest.raises(SystemExit):
        cli.main([])


def test_warm_up_steps_every_scenario_once_and_skips_a_missing_device(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from loopscope.training.scenarios import SCENARIOS
    from loopscope.training.session import Session

    stepped: list[tuple[str, str, int]] = []
    real_step = Session.step

    def counting_step(self: Session, unit: str, count: int, *rest: Any) -> Any:
        stepped.append((self.scenario.name, unit, count))
        return real_step(self, unit, count, *rest)

    monkeypatch.setattr(Session, "step", counting_step)
    cli._warm_up("cpu")
    steps = (("iteration", 2), ("phase", 5))
    assert stepped == [(name, unit, n) for name in SCENARIOS for unit, n in steps]
    if not torch.cuda.is_available():
        stepped.clear()
        cli._warm_up("cuda")  # no such device here: nothing runs, nothing is raised
        assert stepped == []


def test_run_offers_every_registered_scenario() -> None:
    from loopscope.training.scenarios import SCENARIOS

    parser = cli.build_parser()
    for name in SCENARIOS:
        assert parser.parse_args(["run", "--scenario", name]).scenario == name
    assert parser.parse_args(["run"]).scenario == next(iter(SCENARIOS))
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "--scenario", "resnet"])
