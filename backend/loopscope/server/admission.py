"""Who may open a websocket: at most `max_runs` connections in all and
`max_connections_per_client` from one address; at capacity, the connection that has been
silent longest with nothing running is closed to make room."""

from __future__ import annotations

from typing import Protocol

from ..config import Settings


class Member(Protocol):
    """What admission needs of an open connection."""

    def idle_s(self) -> float:
        """Seconds since its last message."""

    def busy(self) -> bool:
        """Whether play or a command is running or waiting."""

    def evict(self) -> None:
        """Close it to make room (its run parks for `resume`)."""


class Admission:
    """The open connections and the client address each came from."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.members: dict[Member, str] = {}

    def refusal(self, client: str) -> str | None:
        """Why a new connection from `client` is refused (None: let in, after closing the
        longest-idle connection when the server is full)."""
        per_client = self.settings.max_connections_per_client
        if sum(1 for c in self.members.values() if c == client) >= per_client:
            return f"server busy: {per_client} connections from this address already"
        if len(self.members) < self.settings.max_runs:
            return None
        idle = [
            m
            for m in self.members
            if not m.busy() and m.idle_s() >= self.settings.evict_idle_after_s
        ]
        if not idle:
            return f"server busy: {self.settings.max_runs} runs already; try again later"
        victim = max(idle, key=lambda m: m.idle_s())
        del self.members[victim]
        victim.evict()
        return None

    def add(self, member: Member, client: str) -> None:
        """Count an admitted connection."""
        self.members[member] = client

    def discard(self, member: Member) -> None:
        """Forget a closed connection."""
        self.members.pop(member, None)
