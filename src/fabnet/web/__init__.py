"""The web service and dashboard (``fabnet serve``): FastAPI + uvicorn, the optional extra
``fabnet[web]``.

Pages to pick or upload a scenario, edit its main parameters, start a plan in the background
(its own process), watch its progress, browse runs, open a run's report and compare two runs;
a JSON API behind them (``/api/...``, OpenAPI at ``/openapi.json``). See :func:`create_app`.
"""

from fabnet.web.app import create_app, error_status
from fabnet.web.launcher import JobLauncher, ProcessLauncher, TooManyJobs
from fabnet.web.settings import (
    MAX_HORIZON_MONTHS,
    MAX_JOBS,
    MAX_SAMPLES,
    MAX_SOLVE_SECONDS,
    MAX_UPLOAD_BYTES,
    TOKEN_ENV,
    WebSettings,
    is_loopback,
)

__all__ = [
    "MAX_HORIZON_MONTHS",
    "MAX_JOBS",
    "MAX_SAMPLES",
    "MAX_SOLVE_SECONDS",
    "MAX_UPLOAD_BYTES",
    "TOKEN_ENV",
    "JobLauncher",
    "ProcessLauncher",
    "TooManyJobs",
    "WebSettings",
    "create_app",
    "error_status",
    "is_loopback",
]
