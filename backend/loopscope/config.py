"""The one Settings object: every knob of the server, read from LOOPSCOPE_* variables."""

from __future__ import annotations

import ipaddress
import socket

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Server settings; nothing else in loopscope reads os.environ."""

    model_config = SettingsConfigDict(env_prefix="LOOPSCOPE_", extra="ignore")

    host: str = Field("127.0.0.1", description="Interface to bind; loopback unless told otherwise.")
    port: int = Field(8000, ge=0, le=65535, description="TCP port.")
    device: str = Field(
        "auto",
        description="Default device for runs whose config says 'auto' (auto, cpu, cuda, mps).",
    )
    torch_threads: int = Field(1, ge=1, le=256, description="torch.set_num_threads at start-up.")
    tensor_cap: int = Field(
        4096, ge=1, le=1_000_000, description="Tensors up to this many elements are sent in full."
    )
    history_bytes: int = Field(
        4 * 1024 * 1024, ge=0, description="Rewind history kept per run, in bytes."
    )
    max_message_bytes: int = Field(
        64 * 1024, ge=256, description="Largest websocket message accepted from a client."
    )
    max_play_rate: float = Field(
        240.0, gt=0, le=10_000, description="Highest play rate (steps per second) a client may ask."
    )
    max_runs: int = Field(200, ge=1, description="Concurrent runs (websocket sessions) per server.")
    resume_grace_s: float = Field(
        120.0, ge=0, description="Keep a dropped connection's run this long for a `resume`."
    )
    idle_timeout_s: float = Field(
        1800.0, gt=0, description="Close a connection after this long without a command."
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Extra websocket Origins allowed besides the page's own ('*' = any).",
    )
    max_iterations_per_command: int = Field(
        200_000,
        ge=1,
        description="Iterations one step/play command may run (pause or reset cuts it short).",
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="If set, only these Host headers are served (guards against DNS rebinding).",
    )
    commands_per_second: float = Field(
        200.0, gt=0, description="Commands per second per connection before refusing."
    )
    control_frames_per_second: float = Field(
        10.0, gt=0, description="Pings and pongs per second a client may send (burst: twice)."
    )
    send_budget_bytes: int = Field(
        8 * 1024 * 1024,
        ge=64 * 1024,
        description="Bytes waiting to be sent to one connection; past it the connection closes.",
    )
    max_body_bytes: int = Field(
        64 * 1024, ge=1024, description="Largest HTTP request body; bigger ones get 413 unread."
    )
    header_timeout_s: float = Field(
        10.0, gt=0, description="Time a client has to send a request's headers."
    )
    max_connections_per_client: int = Field(
        16, ge=1, description="Open websockets per client address."
    )
    evict_idle_after_s: float = Field(
        60.0,
        ge=0,
        description="At capacity, a connection this long silent, running nothing, may be closed.",
    )
    max_command_seconds: float = Field(
        30.0, gt=0, description="Estimated CPU time one step may ask for (measured at start-up)."
    )
    max_compare_seconds: float = Field(
        5.0, gt=0, description="Estimated CPU time one POST /api/compare may ask for."
    )
    max_concurrent_compares: int = Field(
        1, ge=1, description="POST /api/compare requests trained at once; more get 503."
    )
    api_docs: bool = Field(False, description="Serve /docs, /redoc and /openapi.json.")


LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address, IPv6 with or without brackets) is loopback:
    localhost, 127.0.0.0/8 in any spelling inet_aton reads (127.1), ::1, ::ffff:127.x.y.z."""
    name = host.strip().lower().removeprefix("[").removesuffix("]").rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        try:
            address = ipaddress.ip_address(socket.inet_aton(name))
        except OSError:
            return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def as_served(settings: Settings) -> Settings:
    """The settings `loopscope serve` runs with: bound to a loopback interface and given no
    allowed_hosts, it serves loopback Host names only, so that a page on another site whose
    name was rebound to 127.0.0.1 (DNS rebinding) is refused."""
    if settings.allowed_hosts or not is_loopback(settings.host):
        return settings
    return settings.model_copy(update={"allowed_hosts": LOOPBACK_HOSTS})
