"""Server-wide bookkeeping of runs: live counts, and runs parked for a reconnect.

When a connection drops, its run is parked under the run's secret token for
`resume_grace_s` seconds; a new connection that sends `resume` with that token gets
the very same run back, history and all.  After the grace period it is released.
"""

from __future__ import annotations

import time

from ..training.session import Session


class RunRegistry:
    """Counts for /api/health and the parked runs waiting for their learner."""

    def __init__(self, grace_s: float) -> None:
        self.grace_s = grace_s
        self.connections = 0
        self.live_runs = 0
        self.play_tasks = 0
        self.workers = 0
        self.reserved = 0  # runs being built: counted before they exist
        self._parked: dict[str, tuple[Session, float]] = {}

    @property
    def runs(self) -> int:
        """Runs held in memory: live ones and parked ones."""
        self.sweep()
        return self.live_runs + len(self._parked)

    @property
    def parked(self) -> int:
        self.sweep()
        return len(self._parked)

    def reserve(self, limit: int) -> bool:
        """Hold a slot for a run about to be built; False when `limit` runs (live, parked
        or being built) already exist. Checked and taken in one step, with no await between."""
        if self.runs + self.reserved >= limit:
            return False
        self.reserved += 1
        return True

    def unreserve(self) -> None:
        """Give back a slot taken by `reserve` (the run was built and counted, or failed)."""
        self.reserved -= 1

    def park(self, session: Session) -> None:
        """Keep `session` for a reconnect (released after the grace period)."""
        if self.grace_s > 0:
            self._parked[session.token] = (session, time.monotonic() + self.grace_s)
        self.sweep()

    def claim(self, token: str) -> Session | None:
        """The parked run with this token, removed from the park; None if unknown or expired."""
        self.sweep()
        entry = self._parked.pop(token, None)
        return None if entry is None else entry[0]

    def sweep(self) -> None:
        """Release parked runs whose grace period is over."""
        now = time.monotonic()
        for token in [t for t, (_, deadline) in self._parked.items() if deadline <= now]:
            del self._parked[token]

    def clear(self) -> None:
        """Release every parked run (shutdown)."""
        self._parked.clear()
