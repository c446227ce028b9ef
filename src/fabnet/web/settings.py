"""Settings of the web service: where runs are kept, who may write, and the limits of a request."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "MAX_HORIZON_MONTHS",
    "MAX_JOBS",
    "MAX_SAMPLES",
    "MAX_SOLVE_SECONDS",
    "MAX_UPLOAD_BYTES",
    "TOKEN_ENV",
    "WebSettings",
    "is_loopback",
]

#: Environment variable holding the access token (``fabnet serve --token`` wins over it).
TOKEN_ENV = "FABNET_TOKEN"
#: Largest scenario file accepted (bytes); bigger uploads get 413.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
#: Longest planning horizon the service solves (months); longer ones get 422.
MAX_HORIZON_MONTHS = 240
#: Longest solver time limit a scenario may ask the service for (seconds).
MAX_SOLVE_SECONDS = 600.0
#: Most sampled futures per risk run (more get 422).
MAX_SAMPLES = 10_000
#: Most jobs running at once (each is a process; more get 429).
MAX_JOBS = 2


def is_loopback(host: str) -> bool:
    """True for 127.0.0.1, ::1, localhost and the rest of 127.0.0.0/8."""
    if host.strip().lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class WebSettings:
    """How one instance of the service runs.

    Attributes:
        home: the run store's folder (uploaded scenarios are kept in ``home/web/scenarios``).
        token: the access token for anything that writes or starts work (``None``: open; only
            allowed when the service listens on a loopback address).
        host: the address the server is bound to (for the page footer and the token rule).
        max_upload_bytes, max_horizon_months, max_solve_seconds, max_samples, max_jobs: limits.
        max_uploads: uploaded scenarios kept (the oldest are removed beyond this).
    """

    home: Path
    token: str | None = None
    host: str = "127.0.0.1"
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    max_horizon_months: int = MAX_HORIZON_MONTHS
    max_solve_seconds: float = MAX_SOLVE_SECONDS
    max_samples: int = MAX_SAMPLES
    max_jobs: int = MAX_JOBS
    max_uploads: int = 100

    @property
    def auth_required(self) -> bool:
        """True when writes need the token."""
        return bool(self.token)

    @property
    def scenarios_dir(self) -> Path:
        """Folder of uploaded scenarios."""
        return self.home / "web" / "scenarios"

    @property
    def log_dir(self) -> Path:
        """Folder of the jobs' standard-error logs."""
        return self.home / "web" / "logs"

    @staticmethod
    def token_from_env() -> str | None:
        """``$FABNET_TOKEN`` if set and not blank."""
        value = os.environ.get(TOKEN_ENV, "").strip()
        return value or None
