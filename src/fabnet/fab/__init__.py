"""fabnet.fab — a fast discrete-event simulator of a semiconductor wafer fab.

A small event kernel (:mod:`~fabnet.fab.engine`: event queue, integer ids, attributes in tables)
with the fab semantics around it: the model tables (:mod:`~fabnet.fab.model`), the SMT2020 loader
(:mod:`~fabnet.fab.smt2020`), inline fabs and a built-in mini-fab, dispatching rules
(:mod:`~fabnet.fab.dispatch`), block-drawn random streams (:mod:`~fabnet.fab.rng`), KPIs
(:mod:`~fabnet.fab.kpi`), replications (:mod:`~fabnet.fab.replicate`), operating curves
(:mod:`~fabnet.fab.curve`) and queueing formulas for validation (:mod:`~fabnet.fab.theory`).
"""

from __future__ import annotations

import typing
from importlib import import_module
from typing import Any

from fabnet.fab.dispatch import RULES
from fabnet.fab.engine import Engine, RawResult, SimConfig
from fabnet.fab.inline import build_fab
from fabnet.fab.minifab import minifab
from fabnet.fab.model import FabModel
from fabnet.fab.smt2020 import default_smt2020_dir, load_smt2020

if typing.TYPE_CHECKING:
    from fabnet.fab.capacity import release_rates, static_utilisation
    from fabnet.fab.kpi import FabKPIs, kpis
    from fabnet.fab.replicate import confidence_interval, run_replications

#: Names whose modules import NumPy and pandas, loaded on first use (PEP 562) so that building
#: and running a simulation does not wait for pandas (see ``fabnet fab simulate``).
_LAZY = {
    "FabKPIs": "fabnet.fab.kpi",
    "kpis": "fabnet.fab.kpi",
    "release_rates": "fabnet.fab.capacity",
    "static_utilisation": "fabnet.fab.capacity",
    "confidence_interval": "fabnet.fab.replicate",
    "run_replications": "fabnet.fab.replicate",
}

__all__ = [
    "RULES",
    "Engine",
    "FabKPIs",
    "FabModel",
    "RawResult",
    "SimConfig",
    "build_fab",
    "confidence_interval",
    "default_smt2020_dir",
    "kpis",
    "load_smt2020",
    "minifab",
    "model_from_template",
    "release_rates",
    "run_replications",
    "simulate",
    "static_utilisation",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fabnet.fab' has no attribute {name!r}")


def simulate(model: FabModel, config: SimConfig | None = None, **settings: object) -> FabKPIs:
    """Run one simulation and return its KPI tables: ``simulate(minifab(), days=100)``."""
    from fabnet.fab.kpi import kpis as tables  # imported here: it loads pandas

    cfg = config or SimConfig(**settings)  # type: ignore[arg-type]
    return tables(Engine(model, cfg).run())


def model_from_template(template: Any) -> FabModel:
    """A scenario's :class:`~fabnet.scenario.fab_template.FabTemplate` as a model (see
    :mod:`fabnet.fab.template`; imported on use, so that ``import fabnet.fab`` stays light)."""
    from fabnet.fab.template import model_from_template as from_template

    return from_template(template)
