"""Builds the FastAPI app: API routes, the websocket, the static UI. Nothing else."""

from __future__ import annotations

import asyncio
import platform
from pathlib import Path
from typing import Any

import torch
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from . import __version__
from .config import Settings
from .connection import Stats
from .protocol import protocol_schema
from .training.scenarios import SCENARIOS, resolve_device
from .ws import websocket_endpoint

STATIC_DIR = Path(__file__).parent / "static"


class Health(BaseModel):
    status: str
    version: str
    torch: str
    python: str
    device: str
    torch_threads: int
    connections: int
    runs: int
    play_tasks: int
    workers: int
    asyncio_tasks: int


class ScenarioInfo(BaseModel):
    name: str
    description: str
    config_schema: dict[str, Any]
    defaults: dict[str, Any]


def create_app(settings: Settings | None = None) -> FastAPI:
    """The whole app: /api/*, /ws and the built frontend at /."""
    settings = settings or Settings()
    app = FastAPI(title="loopscope", version=__version__)
    app.state.settings = settings
    app.state.stats = stats = Stats()

    @app.get("/api/health")
    async def health() -> Health:
        """Liveness and the server's current counts."""
        return Health(
            status="ok",
            version=__version__,
            torch=torch.__version__,
            python=platform.python_version(),
            device=str(resolve_device("auto", settings.device)),
            torch_threads=torch.get_num_threads(),
            connections=stats.connections,
            runs=stats.runs,
            play_tasks=stats.play_tasks,
            workers=stats.workers,
            asyncio_tasks=len(asyncio.all_tasks()),
        )

    @app.get("/api/scenarios")
    async def scenarios() -> list[ScenarioInfo]:
        """Every scenario with its config's JSON Schema and defaults."""
        return [
            ScenarioInfo(
                name=s.name,
                description=s.description,
                config_schema=s.config_cls.model_json_schema(),
                defaults=s.config_cls().model_dump(mode="json"),
            )
            for s in SCENARIOS.values()
        ]

    @app.get("/api/protocol")
    async def protocol() -> dict[str, Any]:
        """JSON Schema of every websocket message."""
        return protocol_schema()

    app.add_api_websocket_route("/ws", websocket_endpoint)

    if (STATIC_DIR / "index.html").is_file():
        app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="static")
    else:

        @app.get("/", response_class=HTMLResponse)
        async def no_build() -> str:
            """Shown when the frontend has not been built."""
            return "<h1>loopscope</h1><p>The UI is not built: run <code>make run</code>.</p>"

    return app
