"""Builds the FastAPI app: API routes, the websocket, the static UI. Nothing else."""

from __future__ import annotations

import asyncio
import contextlib
import platform
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from fastapi import FastAPI, Request, WebSocket
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from .. import __version__
from ..config import Settings
from ..protocol import ApiError, CompareRequest, CompareResponse, protocol_schema
from ..training.compare import compare_runs
from ..training.errors import CommandError
from ..training.scenarios import SCENARIOS, resolve_device
from .admission import Admission
from .memory import release_free_memory
from .notes import notes
from .runs import RunRegistry
from .security import BodyLimit, HostGuard, SecurityHeaders
from .work import Work, measure_speed
from .ws import websocket_endpoint

if TYPE_CHECKING:
    from .traced import TracedRun

STATIC_DIR = Path(__file__).parent.parent / "static"  # the Vite build, in the package


class Health(BaseModel):
    status: str
    version: str
    torch: str
    python: str
    device: str
    torch_threads: int
    connections: int
    runs: int
    parked_runs: int
    play_tasks: int
    workers: int
    asyncio_tasks: int


class ScenarioInfo(BaseModel):
    name: str
    title: str | None  # None: the page names the scenario in the learner's language
    description: str
    config_schema: dict[str, Any]
    defaults: dict[str, Any]


async def _sweep_forever(stats: RunRegistry) -> None:
    """Release parked runs soon after their grace period, even when nobody connects; when
    runs have ended since the last sweep, hand the freed heap back to the OS."""
    last_runs = 0
    while True:
        await asyncio.sleep(max(1.0, min(stats.grace_s / 4, 30.0)))
        stats.sweep()
        runs = stats.runs
        if runs < last_runs:
            await asyncio.to_thread(release_free_memory)
        last_runs = runs


def api_error(code: str, message: str, field: str | None) -> dict[str, Any]:
    """The ApiError body."""
    return {"code": code, "message": message, "field": field}


class Busy(Exception):
    """Refused for now: the server is already doing as much of this as it allows."""


def create_app(settings: Settings | None = None, traced: TracedRun | None = None) -> FastAPI:
    """The whole app: /api/*, /ws and the built frontend at /.  With `traced`, /ws shows
    that traced script to every tab (`loopscope trace`) instead of a run per connection."""
    settings = settings or Settings()
    stats = RunRegistry(settings.resume_grace_s)
    work = Work(settings)
    sockets: set[WebSocket] = set()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        work.speed = await asyncio.to_thread(measure_speed, settings.device)
        sweeper = asyncio.create_task(_sweep_forever(stats))
        if traced is not None:
            await traced.open()
        yield
        sweeper.cancel()
        if traced is not None:
            await traced.close()
        # Shutdown: say goodbye on every open socket (1001 going away), release parked runs.
        for websocket in list(sockets):
            with contextlib.suppress(Exception):
                await websocket.close(code=1001, reason="server shutting down")
        stats.clear()

    docs = settings.api_docs
    app = FastAPI(
        title="loopscope",
        version=__version__,
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    # The last added runs first: security headers go on every answer, the guards' too.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.allowed_hosts:
        app.add_middleware(HostGuard, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(SecurityHeaders)
    app.state.settings = settings
    app.state.stats = stats
    app.state.sockets = sockets
    app.state.work = work
    app.state.admission = Admission(settings)
    app.state.traced = traced

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
            parked_runs=stats.parked,
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
                title=s.title,
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

    @app.post("/api/compare", responses={422: {"model": ApiError}, 503: {"model": ApiError}})
    async def compare(request: CompareRequest) -> CompareResponse:
        """Train a few variants of one scenario headless; their losses side by side."""
        if work.compares >= settings.max_concurrent_compares:
            raise Busy(f"{work.compares} compare(s) running; try again shortly")
        work.compares += 1
        try:
            await run_in_threadpool(work.check_compare, request)
            runs = await run_in_threadpool(
                compare_runs, request.scenario, request.config, request.variants, request.epochs
            )
        finally:
            work.compares -= 1
        return CompareResponse.model_validate({"runs": runs})

    @app.exception_handler(Busy)
    async def busy(_: Request, exc: Busy) -> JSONResponse:
        """Too much of this at once: 503, to be tried again (Retry-After)."""
        body = api_error("busy", str(exc), None)
        return JSONResponse(body, status_code=503, headers={"Retry-After": "2"})

    @app.exception_handler(CommandError)
    async def command_error(_: Request, exc: CommandError) -> JSONResponse:
        """A refused request: 422 with the error code and the field at fault."""
        return JSONResponse(api_error(exc.code, exc.message, exc.field), status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        """Any other HTTP error (a body that is not UTF-8, a missing file): an ApiError body."""
        code = "not_found" if exc.status_code == 404 else "invalid_message"
        headers = getattr(exc, "headers", None)
        # A body FastAPI cannot even decode (400) is a refused request like any other: 422.
        status = 422 if exc.status_code == 400 else exc.status_code
        return JSONResponse(api_error(code, str(exc.detail), None), status, headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        """A malformed request body or query: 422 naming the first offending field."""
        err = exc.errors()[0]
        if err.get("type") == "json_invalid":
            message = f"body is not valid JSON: {err.get('msg', '')}"
            return JSONResponse(api_error("invalid_json", message, None), status_code=422)
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path")]
        field = ".".join(loc) or None
        message = (
            f"{field}: {err.get('msg', 'invalid')}" if field else str(err.get("msg", "invalid"))
        )
        return JSONResponse(api_error("invalid_message", message, field), status_code=422)

    app.add_api_websocket_route("/ws", websocket_endpoint)

    api_methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    app.add_api_route("/api/notes", notes, methods=["POST"], responses={422: {"model": ApiError}})

    @app.api_route("/api/{rest:path}", methods=api_methods, include_in_schema=False)
    async def api_fallback(request: Request, rest: str) -> JSONResponse:
        """Unknown /api paths and methods answer here (404 / 405), not in the static UI."""
        allowed = sorted(
            {
                method
                for route in app.routes
                if isinstance(route, APIRoute)
                and route.path != "/api/{rest:path}"
                and route.path_regex.match(request.url.path)
                for method in route.methods or ()
            }
        )
        if allowed:
            body = api_error("invalid_message", f"method {request.method} not allowed", None)
            return JSONResponse(body, status_code=405, headers={"Allow": ", ".join(allowed)})
        return JSONResponse(api_error("not_found", f"no such endpoint: /api/{rest}", None), 404)

    if (STATIC_DIR / "index.html").is_file():
        if traced is not None:
            # The page of a traced run must not ask for a run of its own: the run is already
            # there, and the server sends it on connect. The page reads this mark.
            page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
            page = page.replace("<head>", '<head><meta name="loopscope-source" content="trace">', 1)

            @app.get("/", response_class=HTMLResponse, include_in_schema=False)
            @app.get("/index.html", response_class=HTMLResponse, include_in_schema=False)
            async def traced_page() -> str:
                """The page, marked as showing a traced script."""
                return page

        app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="static")
    else:

        @app.get("/", response_class=HTMLResponse)
        async def no_build() -> str:
            """Shown when the frontend has not been built."""
            return "<h1>loopscope</h1><p>The UI is not built: run <code>make run</code>.</p>"

    return app
