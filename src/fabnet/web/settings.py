"""Settings of the web service: where runs are kept, who may write, and the limits of a request."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from fabnet.scenario.limits import MAX_SCENARIO_BYTES

__all__ = [
    "MAX_HORIZON_MONTHS",
    "MAX_JOBS",
    "MAX_SAMPLES",
    "MAX_SOLVE_SECONDS",
    "MAX_UPLOAD_BYTES",
    "MAX_VALIDATIONS",
    "MAX_VALIDATION_SECONDS",
    "TOKEN_ENV",
    "TRUSTED_ORIGINS_ENV",
    "WebSettings",
    "is_loopback",
]

#: Environment variable holding the access token (``fabnet serve --token`` wins over it).
TOKEN_ENV = "FABNET_TOKEN"
#: Environment variable with further origins that may post to the service (comma-separated).
TRUSTED_ORIGINS_ENV = "FABNET_TRUSTED_ORIGINS"
#: Largest scenario file accepted (bytes); bigger uploads get 413. The same limit as for files
#: (:data:`fabnet.scenario.limits.MAX_SCENARIO_BYTES`).
MAX_UPLOAD_BYTES = MAX_SCENARIO_BYTES
#: Longest planning horizon the service solves (months); longer ones get 422.
MAX_HORIZON_MONTHS = 240
#: Longest solver time limit a scenario may ask the service for (seconds).
MAX_SOLVE_SECONDS = 600.0
#: Most sampled futures per risk run (more get 422).
MAX_SAMPLES = 10_000
#: Most jobs running at once (each is a process; more get 429).
MAX_JOBS = 2
#: Most scenario validations (uploads, checks, starts) at once; more wait briefly, then get 429.
MAX_VALIDATIONS = 2
#: Longest a request waits for its validation (seconds); then it gets 429.
MAX_VALIDATION_SECONDS = 20.0


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
        max_validations, max_validation_seconds: scenario checks at once, and how long a
            request waits for its check.
        trusted_origins: origins besides the service's own that may post to it
            (``scheme://host[:port]``, e.g. a proxy's public address).
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
    max_validations: int = MAX_VALIDATIONS
    max_validation_seconds: float = MAX_VALIDATION_SECONDS
    trusted_origins: tuple[str, ...] = ()

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
        """``$FABNET_TOKEN`` if set and not empty (a blank one is refused by ``create_app``)."""
        return os.environ.get(TOKEN_ENV) or None

    @staticmethod
    def trusted_origins_from_env() -> tuple[str, ...]:
        """``$FABNET_TRUSTED_ORIGINS``, comma-separated."""
        raw = os.environ.get(TRUSTED_ORIGINS_ENV, "")
        return tuple(o.strip() for o in raw.split(",") if o.strip())
