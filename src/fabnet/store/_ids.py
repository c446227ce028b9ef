"""Run ids: ``YYYYMMDD-HHMMSS-<6 hex>`` in UTC; sortable by start time, unique across processes.

The 24 random bits make a clash between two runs started in the same second unlikely (about one
in 16 million per pair); the store still checks the primary key and draws again on a clash.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

__all__ = ["RUN_ID_PATTERN", "new_run_id"]

RUN_ID_PATTERN = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{6}$")


def new_run_id(now: datetime | None = None) -> str:
    """A new run id for a run started at ``now`` (UTC; default: the current time)."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
