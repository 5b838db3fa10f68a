"""Per-connection and server-wide limits, each against a real uvicorn server: what a client
makes the server hold or do is bounded, and the bounds hold under concurrency."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from .._helpers import comparable, make_session, wire
from ._live import RawClient, health, live_server, wait_for

LINEAR = {"type": "start", "scenario": "linear", "config": {"n_points": 12, "device": "cpu"}}


def test_a_ping_flood_closes_the_connection_with_1008() -> None:
    """Pings beyond the control-frame rate close the socket; their pongs are not queued."""
    with live_server(control_frames_per_second=10) as host:
        client = RawClient(host)
        try:
            assert client.status == 101
            for n in range(200):
                try:
                    client.send_frame(0x9, n.to_bytes(4, "big"))
                except (ConnectionResetError, BrokenPipeError):
                    break  # the server closed already: the rest of the flood finds it closed
            assert client.close_code() == 1008
        finally:
            client.close()
        assert wait_for(lambda: health(host)["connections"] == 0)


def test_a_client_that_does_not_read_is_closed_past_its_send_budget_and_its_run_parks() -> None:
    """`set` answers (48 kB session events) pile up for a client that never reads: past
    send_budget_bytes the server closes the connection (4008) instead of growing, and the
    run waits for `resume` as after a drop."""
    with live_server(send_budget_bytes=64 * 1024, resume_grace_s=60) as host:
        client = RawClient(host, rcvbuf=4096)
        client.send_json({"type": "start", "scenario": "linear", "config": {"device": "cpu"}})
        assert wait_for(lambda: health(host)["runs"] == 1)
        for n in range(200):
            client.send_json({"type": "set", "lr": 0.01 + n * 1e-4})
            if n % 20 == 19 and health(host)["connections"] == 0:
                break
        assert wait_for(lambda: health(host)["connections"] == 0), "still held open"
        assert health(host)["parked_runs"] == 1
        assert client.close_code() in (4008, None)  # the close frame may not get through
        client.close()


def test_bodies_over_the_limit_get_413_unread() -> None:
    with live_server(max_body_bytes=4096) as host:
        url = f"http://{host}/api/compare"
        big = json.dumps({"scenario": "linear", "config": {}, "pad": "x" * 100_000})
        answer = httpx.post(url, content=big, headers={"content-type": "application/json"})
        assert answer.status_code == 413
        assert answer.json()["code"] == "payload_too_large"

        def chunks() -> Any:  # no Content-Length: refused once the chunks pass the limit
            for _ in range(100):
                yield b" " * 1000

        answer = httpx.post(url, content=chunks(), headers={"content-type": "application/json"})
        assert answer.status_code == 413
        small = httpx.post(url, json={"scenario": "linear", "epochs": 1, "variants": [{}]})
        assert small.status_code == 200


def test_the_nginx_example_limits_bodies_too() -> None:
    from pathlib import Path

    conf = Path(__file__).parents[3] / "deploy" / "nginx" / "loopscope.conf"
    assert "client_max_body_size 64k;" in conf.read_text()


async def _start(host: str, message: dict[str, Any] = LINEAR) -> dict[str, Any]:
    async with connect(f"ws://{host}/ws") as ws:
        await ws.send(json.dumps(message))
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if event["type"] in ("session", "error"):
                return event


def test_simultaneous_starts_cannot_pass_max_runs() -> None:
    """3 parked runs and max_runs 5: of 5 simultaneous starts, exactly 2 get a run."""
    with live_server(max_runs=5, resume_grace_s=60) as host:

        async def scenario() -> list[dict[str, Any]]:
            for _ in range(3):
                assert (await _start(host))["type"] == "session"  # then parked on close
            assert wait_for(lambda: health(host)["parked_runs"] == 3)
            mlp = {"type": "start", "scenario": "mlp", "config": {"device": "cpu"}}
            return await asyncio.gather(*(_start(host, mlp) for _ in range(5)))

        answers = asyncio.run(scenario())
        assert sorted(a["type"] for a in answers) == ["error"] * 3 + ["session"] * 2
        assert {a.get("code") for a in answers if a["type"] == "error"} == {"too_many_runs"}
        assert health(host)["runs"] <= 5


def test_connections_per_address_are_capped_and_the_longest_idle_makes_room() -> None:
    with live_server(max_runs=2, max_connections_per_client=1, evict_idle_after_s=0) as host:
        port = int(host.rsplit(":", 1)[1])

        async def scenario() -> None:
            def url(n: int) -> str:
                return f"ws://127.0.0.1:{port}/ws"

            a = await connect(url(2), local_addr=("127.0.0.2", 0))
            with_same_address = await connect(url(2), local_addr=("127.0.0.2", 0))
            with_same_address_closed = await asyncio.wait_for(with_same_address.recv(), 10)
            assert json.loads(with_same_address_closed)["code"] == "too_many_runs"
            await asyncio.wait_for(with_same_address.wait_closed(), 10)
            assert with_same_address.close_code == 1013
            b = await connect(url(3), local_addr=("127.0.0.3", 0))
            await b.send(json.dumps(LINEAR))
            await b.send(json.dumps({"type": "play", "rate": 5}))  # b is busy: not evicted
            await asyncio.sleep(0.3)
            c = await connect(url(4), local_addr=("127.0.0.4", 0))  # full: a makes room
            try:
                while True:
                    await asyncio.wait_for(a.recv(), 10)
            except ConnectionClosed:
                pass
            assert a.close_code == 4013
            await c.send(json.dumps(LINEAR))
            assert json.loads(await asyncio.wait_for(c.recv(), 30))["type"] == "session"
            for ws in (b, c):
                await ws.close()

        asyncio.run(scenario())


def test_a_step_past_the_command_budget_is_refused_up_front() -> None:
    with live_server(max_command_seconds=0.5) as host:

        async def scenario() -> dict[str, Any]:
            async with connect(f"ws://{host}/ws") as ws:
                big = {"type": "start", "scenario": "linear"}
                big["config"] = {"n_points": 2000, "batch_size": 1, "device": "cpu"}
                await ws.send(json.dumps(big))
                await asyncio.wait_for(ws.recv(), 30)
                await ws.send(json.dumps({"type": "step", "unit": "epoch", "count": 100}))
                refused = json.loads(await asyncio.wait_for(ws.recv(), 30))
                await ws.send(json.dumps({"type": "step", "unit": "iteration", "count": 1}))
                answered = json.loads(await asyncio.wait_for(ws.recv(), 30))
                while answered["type"] == "graph":  # the topology, sent with the first phase
                    answered = json.loads(await asyncio.wait_for(ws.recv(), 30))
                assert (answered["type"], answered["iteration"]) == ("phase", 0)
                return refused

        refused = asyncio.run(scenario())
        assert (refused["code"], refused["field"]) == ("out_of_range", "count")
        assert "on this server" in refused["message"]


def test_compares_beyond_the_concurrency_limit_get_503() -> None:
    with live_server(max_concurrent_compares=1) as host:
        body = {"scenario": "linear", "epochs": 40, "variants": [{"batch_size": 1}]}

        async def scenario() -> list[int]:
            async with httpx.AsyncClient(timeout=60) as http:
                url = f"http://{host}/api/compare"
                answers = await asyncio.gather(*(http.post(url, json=body) for _ in range(4)))
            return sorted(a.status_code for a in answers)

        statuses = asyncio.run(scenario())
        assert statuses[0] == 200 and 503 in statuses, statuses


def test_a_long_step_run_in_slices_answers_once_with_the_engines_numbers() -> None:
    """2 500 iterations (several slices) come back as one phase event carrying all 2 500
    losses, equal to the in-process engine's single `step` of as many iterations."""
    config = {"n_points": 2000, "batch_size": 1}
    local = make_session("linear", **config)
    expected = [wire(e) for e in local.step("iteration", 2500)]
    with live_server() as host:

        async def scenario() -> list[dict[str, Any]]:
            async with connect(f"ws://{host}/ws", max_size=None) as ws:
                start = {"type": "start", "scenario": "linear", "config": config}
                await ws.send(json.dumps(start))
                await asyncio.wait_for(ws.recv(), 30)
                await ws.send(json.dumps({"type": "step", "unit": "iteration", "count": 2500}))
                events = [json.loads(await asyncio.wait_for(ws.recv(), 60))]
                while events[-1]["type"] != "phase":
                    events.append(json.loads(await asyncio.wait_for(ws.recv(), 60)))
                await ws.send(json.dumps({"type": "step"}))  # answered after, not before
                events.append(json.loads(await asyncio.wait_for(ws.recv(), 60)))
                return events

        *events, after = asyncio.run(scenario())
    # Between slices only `progress` reports come; the answer itself is one phase event.
    progress = [e for e in events if e["type"] == "progress"]
    answer = [e for e in events if e["type"] != "progress"]
    assert all(p["total"] == 2500 and 0 < p["done"] < 2500 for p in progress)
    assert [e["type"] for e in answer] == [e["type"] for e in expected] == ["graph", "phase"]
    assert [comparable(e) for e in answer] == [comparable(e) for e in expected]
    assert (after["type"], after["iteration"], after["phase"]) == ("phase", 2500, "forward")
