"""fabnet — plan, simulate and finance a network of AI-chip wafer fabs.

Layers (see DESIGN.md): ``scenario`` → ``econ`` → ``plan`` → ``risk``; ``fab`` (discrete-event
simulation) feeds operating curves to the planner through the scenario; ``store``, ``report``,
``cli`` and ``web`` are outer layers on top of the core.
"""

from fabnet.errors import (
    DataError,
    FabnetError,
    InfeasibleError,
    Problem,
    ScenarioError,
    SolverError,
    StoreError,
    UsageError,
)

__version__ = "0.1.0"

__all__ = [
    "DataError",
    "FabnetError",
    "InfeasibleError",
    "Problem",
    "ScenarioError",
    "SolverError",
    "StoreError",
    "UsageError",
    "__version__",
]
