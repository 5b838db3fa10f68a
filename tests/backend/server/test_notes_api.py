"""POST /api/notes: torch's results for the notes' examples, with the learner's numbers."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
import torch

from loopscope.config import Settings
from loopscope.server.app import create_app

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as c:
        yield c


def test_the_notes_own_numbers(client: TestClient) -> None:
    body = client.post("/api/notes", json={}).json()
    assert torch.tensor(body["sgd"]["after"]) == torch.tensor(1.508)
    assert body["mse"]["by_hand"] == pytest.approx(0.11, rel=1e-12)
    assert body["mse"]["loss"] == pytest.approx(0.11, rel=1e-6)
    assert body["state_dict"]["restored_lr"] == body["state_dict"]["saved_lr"]
    assert body["zero_grad"] == {"grad_before": -0.8, "after_none": None, "after_zero": 0.0}


def test_the_learners_numbers_go_through_torch(client: TestClient) -> None:
    body = client.post(
        "/api/notes", json={"w": 2.0, "grad": 4.0, "lr": 0.25, "pred": [1, 2], "target": [0, 0]}
    ).json()
    param = torch.nn.Parameter(torch.tensor([2.0]))
    param.grad = torch.tensor([4.0])
    torch.optim.SGD([param], lr=0.25).step()
    assert body["sgd"]["after"] == float(param.detach()[0])
    assert body["mse"]["loss"] == float(torch.nn.MSELoss()(torch.tensor([1.0, 2]), torch.zeros(2)))


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"lr": 0}, "lr"), ({"w": 1e9}, "w"), ({"pred": []}, "pred")],
)
def test_bad_input_names_the_field(
    client: TestClient, payload: dict[str, object], field: str
) -> None:
    response = client.post("/api/notes", json=payload)
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_lengths_that_differ_are_refused(client: TestClient) -> None:
    response = client.post("/api/notes", json={"pred": [1.0], "target": [1.0, 2.0]})
    assert response.status_code == 422
    assert "need the same" in response.json()["message"]
