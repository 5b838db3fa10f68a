"""Security: the websocket's Origin check, nothing a client sends is executed or used as a
path, no dangerous deserialisation in the backend, resume tokens, loopback by default."""

from __future__ import annotations

import ast
import contextlib
import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.exceptions import StarletteDeprecationWarning
from starlette.websockets import WebSocketDisconnect
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

import loopscope
from loopscope import cli
from loopscope.config import Settings, as_served
from loopscope.server.app import create_app

from .._helpers import receive_text
from ._live import bound_socket, serving, uvicorn_server

with warnings.catch_warnings():
    # starlette.testclient warns when it finds httpx rather than httpx2 (httpx is what the
    # dev extra pins); the warning is about the test client's transport, not about loopscope.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient, WebSocketTestSession

PACKAGE = Path(loopscope.__file__).parent
SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "static" not in p.parts)


def recv(ws: WebSocketTestSession, timeout: float = 10.0) -> dict[str, Any]:
    """The next TestClient event; fails (instead of hanging) after `timeout`."""
    event: dict[str, Any] = json.loads(receive_text(ws, timeout))
    return event


def send(ws: WebSocketTestSession, command: dict[str, Any]) -> None:
    ws.send_text(json.dumps(command))


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as c:
        yield c


# ---------------------------------------------------------------- Origin (TestClient)


def refused(client: TestClient, headers: dict[str, str]) -> bool:
    """True when /ws is closed before the handshake completes (HTTP 403 on a real server)."""
    try:
        with client.websocket_connect("/ws", headers=headers) as ws:
            send(ws, {"type": "step"})
            assert recv(ws)["code"] == "wrong_state"  # accepted and answering
            return False
    except WebSocketDisconnect as exc:
        assert exc.code == 1008
        return True


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "https://evil.example",
        "http://testserver.evil.example",
        "http://testserver:8080",  # another port is another origin
        "http://testserver@evil.example",  # userinfo trick: the host is evil.example
        "http://evil.example/testserver",
        "null",  # sandboxed iframes, file:// pages
        "",
    ],
)
def test_foreign_origin_is_refused(client: TestClient, origin: str) -> None:
    assert refused(client, {"origin": origin})


def test_same_origin_is_accepted(client: TestClient) -> None:
    assert not refused(client, {"origin": "http://testserver"})


def test_no_origin_is_accepted(client: TestClient) -> None:
    """Not a browser (a script, the CLI): it cannot be driven cross-site, so it is let in."""
    assert not refused(client, {})


def test_allowed_origins_admit_a_listed_origin() -> None:
    settings = Settings(allowed_origins=["http://localhost:5173"])
    with TestClient(create_app(settings)) as client:
        assert not refused(client, {"origin": "http://localhost:5173"})
        assert not refused(client, {"origin": "http://testserver"})
        assert refused(client, {"origin": "http://localhost:5174"})
        assert refused(client, {"origin": "http://evil.example"})


def test_wildcard_allowed_origin_admits_any() -> None:
    with TestClient(create_app(Settings(allowed_origins=["*"]))) as client:
        assert not refused(client, {"origin": "http://evil.example"})


# ---------------------------------------------------------------- Origin (real server)


@contextlib.contextmanager
def running(settings: Settings) -> Iterator[int]:
    """A real uvicorn server (as `loopscope serve` runs it) in a thread; yields its port."""
    sock = bound_socket()
    port: int = sock.getsockname()[1]
    with serving(uvicorn_server(settings), sock):
        yield port


def test_real_server_answers_a_foreign_origin_with_403() -> None:
    with running(Settings(allowed_origins=["http://localhost:5173"])) as port:
        url = f"ws://127.0.0.1:{port}/ws"
        with pytest.raises(InvalidStatus) as refused_:
            with connect(url, origin="http://evil.example", open_timeout=5):  # type: ignore[arg-type]
                pass
        assert refused_.value.response.status_code == 403

        for origin in (f"http://127.0.0.1:{port}", "http://localhost:5173", None):
            with connect(url, origin=origin, open_timeout=5) as ws:  # type: ignore[arg-type]
                ws.send(json.dumps({"type": "step"}))
                assert json.loads(ws.recv(timeout=5))["code"] == "wrong_state"


# ---------------------------------------------------------------- input is data, never code


@pytest.mark.parametrize(
    "scenario",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "linear/../mlp",
        "__import__('os').system('true')",
        "exec('1')",
        "linear\x00",
        "__class__",
        "SCENARIOS",
    ],
)
def test_scenario_is_only_ever_one_of_the_names(client: TestClient, scenario: str) -> None:
    with client.websocket_connect("/ws") as ws:
        send(ws, {"type": "start", "scenario": scenario})
        error = recv(ws)
        assert (error["type"], error["code"], error["field"]) == (
            "error",
            "invalid_message",
            "scenario",
        )


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "__import__('os').system('touch {marker}')",
        "linear.weight\x00",
        "linear.weight; linear.bias",
        "linear.__class__",
        "linear._parameters",
        "*",
        "linear.*",
        "{marker}",
    ],
)
def test_frozen_names_are_matched_never_resolved(
    client: TestClient, tmp_path: Path, name: str
) -> None:
    marker = tmp_path / "pwned"
    with client.websocket_connect("/ws") as ws:
        send(ws, {"type": "start", "config": {"frozen": [name.format(marker=marker)]}})
        error = recv(ws)
        assert (error["code"], error["field"]) == ("invalid_config", "config.frozen.0")
        send(ws, {"type": "start", "config": {"frozen": ["linear.bias"]}})  # still usable
        assert recv(ws)["type"] == "session"
    assert not marker.exists()


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"device": "cuda; rm -rf /"}, "config.device"),
        ({"device": "../../dev/mem"}, "config.device"),
        ({"device": "meta"}, "config.device"),
        ({"optimizer": "__import__('os')"}, "config.optimizer"),
        ({"optimizer": "torch.optim.LBFGS"}, "config.optimizer"),
        ({"loss": "nn.HuberLoss"}, "config.loss"),
        ({"__class__": "x"}, "config.__class__"),
        ({"model_config": {}}, "config.model_config"),
    ],
)
def test_strings_in_config_are_checked_against_fixed_choices(
    client: TestClient, config: dict[str, Any], field: str
) -> None:
    with client.websocket_connect("/ws") as ws:
        send(ws, {"type": "start", "config": config})
        error = recv(ws)
        assert (error["code"], error["field"]) == ("invalid_config", field)


def _dangerous_calls(tree: ast.AST) -> list[str]:
    found = []
    banned_modules = {"pickle", "cPickle", "dill", "marshal", "shelve", "subprocess", "importlib"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [n for n in names if n.split(".")[0] in banned_modules]
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in (
                "eval",
                "exec",
                "compile",
                "__import__",
                "breakpoint",
            ):
                found.append(func.id)
            if isinstance(func, ast.Attribute):
                dotted = ast.unparse(func)
                if dotted in ("torch.load", "os.system", "os.popen", "numpy.load", "np.load"):
                    found.append(dotted)
    return found


def test_sources_are_found() -> None:
    names = {p.name for p in SOURCES}
    assert {"connection.py", "session.py", "app.py", "commands.py"} <= names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_backend_never_evaluates_or_unpickles(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    # As text (what a reviewer would grep for): bare eval(/exec( calls, pickle, torch.load(.
    # `model.eval()` (a method, preceded by a dot) is fine.
    assert not re.search(r"(?<![\w.])(eval|exec)\s*\(", text), path
    assert not re.search(r"\b(c?pickle|dill|marshal|shelve)\b", text), path
    assert not re.search(r"torch\s*\.\s*load\s*\(", text), path
    # As code: no such call or import under another spelling. The one exception: the parent
    # side of `loopscope trace` starts the learner's script (its path comes only from the
    # command line) in a child process.
    allowed = ["subprocess"] if path == PACKAGE / "trace" / "source.py" else []
    assert _dangerous_calls(ast.parse(text)) == allowed, path


def test_static_files_stay_inside_their_folder(client: TestClient) -> None:
    for path in (
        "/%2e%2e/app.py",
        "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/assets/%2e%2e/%2e%2e/config.py",
        "/..%2fapp.py",
        "/assets/..%2f..%2fsecurity.py",
        "/app.py",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "import" not in response.text and "root:" not in response.text


# ---------------------------------------------------------------- resume tokens


def test_resume_token_is_secret_and_run_id_is_no_substitute(client: TestClient) -> None:
    with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:
        sessions = []
        for ws in (a, b):
            send(ws, {"type": "start"})
            sessions.append(recv(ws))
        tokens = [s["token"] for s in sessions]
        assert tokens[0] != tokens[1]
        assert all(len(t) >= 22 for t in tokens)  # at least 128 bits, url-safe base64
        assert all(s["token"] != s["run_id"] for s in sessions)
        assert all(t not in client.get("/api/health").text for t in tokens)
        # Neither a live run's token nor its run_id hands that run to another connection.
        for value in (tokens[0], sessions[0]["run_id"]):
            send(b, {"type": "resume", "token": value})
            error = recv(b)
            assert (error["code"], error["field"]) == ("not_found", "token")


# ---------------------------------------------------------------- loopback by default


def test_default_host_is_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOOPSCOPE_HOST", raising=False)
    assert Settings().host == "127.0.0.1"
    assert Settings.model_fields["host"].default == "127.0.0.1"


def test_cli_serve_binds_loopback_unless_told(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import torch

    monkeypatch.delenv("LOOPSCOPE_HOST", raising=False)
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append(kwargs))
    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)
    assert cli.main(["serve"]) == 0
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "9000"]) == 0
    assert [(c["host"], c["port"]) for c in calls] == [("127.0.0.1", 8000), ("0.0.0.0", 9000)]
    assert "http://localhost:8000/" in capsys.readouterr().out


def test_served_on_loopback_only_loopback_host_names_are_answered() -> None:
    """DNS rebinding: a foreign name that resolves to 127.0.0.1 reaches the server with its
    own Host header; `loopscope serve` on loopback refuses it (400), unless told otherwise."""
    served = as_served(Settings(host="127.0.0.1", port=8000))
    with TestClient(create_app(served), base_url="http://127.0.0.1:8000") as c:
        assert c.get("/api/health").status_code == 200
        assert c.get("/api/health", headers={"host": "localhost:8000"}).status_code == 200
        assert c.get("/api/health", headers={"host": "rebound.example:8000"}).status_code == 400
    assert as_served(Settings(host="0.0.0.0")).allowed_hosts == []  # a deployment sets its own
    assert as_served(Settings(allowed_hosts=["a.example"])).allowed_hosts == ["a.example"]
