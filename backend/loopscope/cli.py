"""`loopscope serve`, `loopscope run` (headless, the reference log), `loopscope trace`
(step your own script in the page) and `loopscope schema`."""

from __future__ import annotations

import argparse
import gc
import itertools
import sys
from collections.abc import Sequence

import orjson


def _warm_up(device: str) -> None:
    """Run a few captured iterations of each scenario once, at start-up.

    torch imports and builds much on first use (torch._dynamo through the optimizers'
    constructors, autograd's Python side, ...; docs/performance.md, Memory).  Doing it
    here loads them before the freeze below and keeps it out of the first learner's first
    command."""
    from .training.errors import CommandError
    from .training.scenarios import SCENARIOS
    from .training.session import Session

    for name in SCENARIOS:
        try:
            session = Session(name, {}, default_device=device)
        except CommandError:  # e.g. that device is not here: the first `start` will say so
            return
        session.step("iteration", 2)
        session.step("phase", 5)


def _serve(args: argparse.Namespace) -> int:
    import torch
    import uvicorn

    from .config import Settings, as_served
    from .server.app import create_app
    from .server.protocols import uvicorn_options

    overrides = {
        k: v for k, v in vars(args).items() if k in Settings.model_fields and v is not None
    }
    settings = as_served(Settings(**overrides))
    torch.set_num_threads(settings.torch_threads)
    app = create_app(settings)
    _warm_up(settings.device)
    # torch and the app leave many long-lived objects; keep full collections from
    # re-scanning them (each scan stalls every run; docs/performance.md, Load).
    gc.collect()
    gc.freeze()
    shown = "localhost" if settings.host in ("127.0.0.1", "0.0.0.0") else settings.host
    print(f"loopscope: open http://{shown}:{settings.port}/", flush=True)
    uvicorn.run(app, log_level=args.log_level, **uvicorn_options(settings))
    return 0


def _run(args: argparse.Namespace) -> int:
    import torch

    from .training.errors import CommandError
    from .training.headless import run_headless

    torch.set_num_threads(args.torch_threads)
    try:
        config = orjson.loads(args.config) if args.config else {}
        if not isinstance(config, dict):
            raise ValueError("expected a JSON object")
        lines = run_headless(args.scenario, config, epochs=args.epochs, every=args.every)
        first = next(lines, None)  # builds the run: a bad config fails here
    except (ValueError, CommandError) as exc:
        args.parser.error(f"--config: {exc}")
    for line in itertools.chain([first] if first is not None else [], lines):
        print(line, flush=True)
    return 0


def _schema(_: argparse.Namespace) -> int:
    from .protocol import protocol_schema

    sys.stdout.write(orjson.dumps(protocol_schema(), option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


def _trace(args: argparse.Namespace) -> int:
    """Serve the page for the script given here (only here: the browser never names a file);
    with --headless, play it to its end without a page and print one line of what was seen."""
    import os

    if not os.path.isfile(args.script):
        args.parser.error(f"script: no such file {args.script!r}")
    script_args = args.script_args[1:] if args.script_args[:1] == ["--"] else args.script_args
    if args.headless:
        return _trace_headless(args, script_args)
    return _trace_served(args, script_args)


def _trace_headless(args: argparse.Namespace, script_args: list[str]) -> int:
    from .trace.source import TraceSource

    def note(event: dict[str, object]) -> None:
        # what the page says in a notice, said here too (a headless run has no page)
        if event.get("type") == "notice":
            print(f"loopscope trace: note ({event['code']}): {event['message']}", file=sys.stderr)

    source = TraceSource(args.script, script_args, on_event=note)
    try:
        source.start()
        if source.end is None:  # a script may end before its first phase (an import failed)
            source.play()
            source.wait_end(keep=False)
    except KeyboardInterrupt:
        source.stop()
    finally:
        source.close()
    end = source.end or {"status": "stopped", "exit_code": 1, "summary": None}
    _say_end(end)
    return int(end["exit_code"]) if args.exit_with_script else 0


def _say_end(end: dict[str, object]) -> None:
    seen = end.get("summary") or {}
    assert isinstance(seen, dict)
    print(
        f"loopscope trace: {end['status']} (exit status {end['exit_code']}), "
        f"{seen.get('iterations', 0)} training iterations, "
        f"{seen.get('evaluation_calls', 0)} evaluation calls",
        file=sys.stderr,
        flush=True,
    )


def _trace_served(args: argparse.Namespace, script_args: list[str]) -> int:
    import uvicorn

    from .config import Settings, as_served
    from .server.app import create_app
    from .server.protocols import uvicorn_options
    from .server.traced import TracedRun

    overrides = {k: v for k, v in vars(args).items() if k in ("host", "port") and v is not None}
    settings = as_served(Settings(**overrides))
    ended: list[dict[str, object]] = []
    server: uvicorn.Server | None = None

    def on_end(event: dict[str, object]) -> None:
        ended.append(event)
        _say_end(event)
        if args.exit_with_script and server is not None:
            server.should_exit = True

    run = TracedRun(args.script, script_args, on_end=on_end)
    app = create_app(settings, traced=run)
    config = uvicorn.Config(app, log_level=args.log_level, **uvicorn_options(settings))
    server = uvicorn.Server(config)
    shown = "localhost" if settings.host in ("127.0.0.1", "0.0.0.0") else settings.host
    url = f"http://{shown}:{settings.port}/"
    print(f"loopscope: open {url} to step {args.script}", file=sys.stderr, flush=True)
    if not args.no_open:
        import webbrowser

        webbrowser.open(url)
    server.run()
    if args.exit_with_script and ended:
        return int(str(ended[-1]["exit_code"]))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command line: serve, run, schema."""
    from .training.scenarios import SCENARIOS

    parser = argparse.ArgumentParser(prog="loopscope", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the UI and /ws (env LOOPSCOPE_* sets defaults)")
    serve.add_argument("--host", help="interface (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--device", help="default device for 'auto' configs: auto, cpu, cuda, mps")
    serve.add_argument("--torch-threads", dest="torch_threads", type=int, help="torch threads")
    serve.add_argument("--log-level", dest="log_level", default="info", help="uvicorn log level")
    serve.set_defaults(func=_serve)

    run = sub.add_parser("run", help="train headless and print the reference script's log")
    run.add_argument("--scenario", default=next(iter(SCENARIOS)), choices=list(SCENARIOS))
    run.add_argument("--epochs", type=int, default=1000)
    run.add_argument("--every", type=int, default=100, help="log every N epochs")
    run.add_argument("--config", help="JSON config, e.g. '{\"lr\": 0.02}'")
    run.add_argument("--torch-threads", dest="torch_threads", type=int, default=1)
    run.set_defaults(func=_run, parser=run)

    trace = sub.add_parser("trace", help="run your own training script and step it in the page")
    trace.add_argument("script", help="the training script, run as `python script.py` would")
    trace.add_argument("script_args", nargs=argparse.REMAINDER, help="its arguments (after --)")
    trace.add_argument("--host", help="interface (default 127.0.0.1)")
    trace.add_argument("--port", type=int, help="port (default 8000)")
    trace.add_argument("--no-open", action="store_true", help="do not open a browser")
    trace.add_argument(
        "--exit-with-script", action="store_true", help="exit with the script's exit status"
    )
    trace.add_argument("--headless", action="store_true", help="no page: play it to its end")
    trace.add_argument("--log-level", dest="log_level", default="warning", help="uvicorn log level")
    trace.set_defaults(func=_trace, parser=trace)

    schema = sub.add_parser("schema", help="print the protocol's JSON Schema")
    schema.set_defaults(func=_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `loopscope` console script."""
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
