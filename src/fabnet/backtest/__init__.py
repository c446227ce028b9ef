"""The hindcast of the AI-accelerator industry and the venture inside it.

* :mod:`fabnet.backtest.checks` — public figures with their bands (a CSV shipped with fabnet);
* :mod:`fabnet.backtest.hindcast` — solve the industry scenario over 2022-10 … 2025-12 and
  compare its output with the checks (``fabnet backtest``);
* :mod:`fabnet.backtest.shortage` — the industry to the venture plan's horizon, with and without
  the venture's network (``fabnet shortage``).

Part of the core: uses ``scenario`` and ``plan``; no plotting, store or CLI imports.
"""

from fabnet.backtest.checks import QUANTITIES, Check, builtin_checks_path, load_checks
from fabnet.backtest.hindcast import (
    HINDCAST_END,
    BacktestResult,
    hindcast_scenario,
    model_value,
    quarter_of,
    run_backtest,
)
from fabnet.backtest.shortage import ShortageResult, closing_quarter, world_with_venture

__all__ = [
    "HINDCAST_END",
    "QUANTITIES",
    "BacktestResult",
    "Check",
    "ShortageResult",
    "builtin_checks_path",
    "closing_quarter",
    "hindcast_scenario",
    "load_checks",
    "model_value",
    "quarter_of",
    "run_backtest",
    "world_with_venture",
]
