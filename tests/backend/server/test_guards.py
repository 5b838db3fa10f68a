"""Origin, Host, the API docs, resume tokens, bad UTF-8 and slow headers, each against a real
uvicorn server."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from ._live import RawClient, health, live_server, wait_for

LINEAR = {"type": "start", "scenario": "linear", "config": {"n_points": 12, "device": "cpu"}}
DOCKERFILE = Path(__file__).parents[3] / "backend" / "Dockerfile"


def handshake_status(host: str, origin: str) -> int:
    client = RawClient(host, headers={"Origin": origin})
    client.close()
    return client.status


def test_origin_must_match_scheme_host_and_port_exactly() -> None:
    with live_server() as host:
        assert handshake_status(host, f"http://{host}") == 101
        for origin in (
            f"https://{host}",
            f"ws://{host}",
            f"chrome-extension://{host}",
            f"http://{host}/some/path",
            f"http://user@{host}",
            "http://evil.example",
        ):
            assert handshake_status(host, origin) == 403, origin


def test_the_dockerfile_healthcheck_passes_the_host_guard() -> None:
    """With LOOPSCOPE_ALLOWED_HOSTS set as the deployment guide says, the image's own probe
    (Host: 127.0.0.1) still gets 200; a foreign Host gets 400 with the security headers."""
    probe = re.search(r'"-c", "(.+?)"\]', DOCKERFILE.read_text())
    assert probe is not None
    with live_server(allowed_hosts=["class.example.org"]) as host:
        port = host.rsplit(":", 1)[1]
        code = probe.group(1).replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        assert subprocess.run([sys.executable, "-c", code], timeout=30).returncode == 0
        answer = httpx.get(f"http://{host}/api/health", headers={"Host": "evil.example"})
        assert answer.status_code == 400
        assert "content-security-policy" in answer.headers
        named = httpx.get(f"http://{host}/api/health", headers={"Host": "class.example.org"})
        assert named.status_code == 200


@pytest.mark.parametrize("bind", ["127.0.0.2", "127.1.2.3"])
def test_any_loopback_bind_gets_the_dns_rebinding_guard(bind: str) -> None:
    with live_server(bind=bind) as host:
        assert httpx.get(f"http://{host}/api/health").status_code == 200
        answer = httpx.get(f"http://{host}/api/health", headers={"Host": "rebound.example"})
        assert answer.status_code == 400


def test_api_docs_are_served_only_when_asked_for() -> None:
    paths = ("/docs", "/redoc", "/openapi.json")
    with live_server() as host:
        assert [httpx.get(f"http://{host}{p}").status_code for p in paths] == [404] * 3
    with live_server(api_docs=True) as host:
        assert [httpx.get(f"http://{host}{p}").status_code for p in paths] == [200] * 3


def test_a_resume_token_works_once_and_the_run_gets_a_new_one() -> None:
    with live_server(resume_grace_s=60) as host:

        async def scenario() -> None:
            async def resume(token: str) -> dict[str, object]:
                assert wait_for(lambda: health(host)["parked_runs"] == 1)  # parked on close
                async with connect(f"ws://{host}/ws") as ws:
                    await ws.send(json.dumps({"type": "resume", "token": token}))
                    answer: dict[str, object] = json.loads(await asyncio.wait_for(ws.recv(), 30))
                    return answer

            async with connect(f"ws://{host}/ws") as ws:
                await ws.send(json.dumps(LINEAR))
                first = json.loads(await asyncio.wait_for(ws.recv(), 30))
            resumed = await resume(first["token"])
            assert resumed["type"] == "session" and resumed["run_id"] == first["run_id"]
            assert resumed["token"] != first["token"]
            assert wait_for(lambda: health(host)["parked_runs"] == 1)
            async with connect(f"ws://{host}/ws") as ws:  # the spent token finds nothing...
                await ws.send(json.dumps({"type": "resume", "token": first["token"]}))
                again = json.loads(await asyncio.wait_for(ws.recv(), 30))
            assert (again["type"], again["code"]) == ("error", "not_found")
            assert (await resume(str(resumed["token"])))["type"] == "session"  # ...the new one does

        asyncio.run(scenario())


def test_text_that_is_not_utf8_closes_with_1007_and_logs_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with live_server() as host, caplog.at_level(logging.WARNING):
        for _ in range(3):
            client = RawClient(host)
            client.send_frame(0x1, b'{"type": "\xff\xfe"}')
            assert client.close_code() == 1007
            client.close()
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert len([r for r in caplog.records if "UTF-8" in r.getMessage()]) == 3


def test_a_client_that_never_finishes_its_headers_is_cut_off() -> None:
    with live_server(header_timeout_s=0.5) as host:
        name, port = host.rsplit(":", 1)
        sock = socket.create_connection((name, int(port)), timeout=10)
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: " + host.encode() + b"\r\n")
        assert sock.recv(100) == b""  # closed by the server, long before our 10 s timeout
        sock.close()
        with pytest.raises(InvalidStatus):  # (and the server is fine: a bad Origin still 403)
            asyncio.run(_open(host, "http://evil.example"))


async def _open(host: str, origin: str) -> None:
    async with connect(f"ws://{host}/ws", origin=origin):  # type: ignore[arg-type]
        pass
